import Foundation
import HearthCore
import HearthPool
import HearthStore
import Logging

/// The async side of `async-invoke-config`, as the hook `ExecutionService` consults around
/// each attempt of an async execution:
/// - an event older than `max_async_event_age_in_seconds` when an attempt would start is
///   DISCARDed;
/// - platform failures (timeout, out of memory, crash) are retried up to
///   `max_async_retry_attempts` times; errors the function raised are not;
/// - the `on_success` / `on_failure` destination function is invoked once, async, with the
///   documented payload, unless that would revisit a function of the event's chain of
///   destinations or make it longer than `DestinationCycles.maximumChain`;
/// - a cancelled execution is left as the cancel recorded it.
/// Functions without a config run once, as Qinling async executions do.
struct AsyncInvokePolicy: ExecutionAttemptHook {
    let store: Store
    let functions: FunctionGraphFunctions
    let executions: ExecutionService
    let cancels: CancelRegistry
    let logger: Logger
    /// Pause between attempts.
    var retryPause: Duration = .seconds(1)

    static let retried: Set<InvocationResult.Failure> = [.timeout, .outOfMemory, .crashed]

    func beforeAttempt(_ execution: Execution, attempt: Int) async -> AttemptVerdict? {
        if cancels.isCancelled(execution.id, consume: true) { return .leave }
        guard let config = await config(of: execution) else { return nil }
        let age = Date().timeIntervalSince(execution.createdAt)
        guard age > Double(config.maxAsyncEventAgeInSeconds) else { return nil }
        let output = "The event was discarded: it was \(Int(age)) s old when attempt \(attempt) would start (max_async_event_age_in_seconds is \(config.maxAsyncEventAgeInSeconds))."
        let result: JSONValue = .object(["output": .string(output), "duration": .double(0), "error": .string("discarded"), "attempts": .int(Int64(attempt - 1))])
        return .finish(AttemptEnding(status: .failed, result: result, log: nil, failure: nil))
    }

    func afterAttempt(_ execution: Execution, attempt: Int, ending: AttemptEnding) async -> AttemptVerdict {
        if cancels.isCancelled(execution.id, consume: true) { return .leave }
        let config = await config(of: execution)
        if let failure = ending.failure, Self.retried.contains(failure), let config, attempt <= config.maxAsyncRetryAttempts {
            return .retry(after: retryPause)
        }
        guard attempt > 1, case .object(var members) = ending.result else { return .finish(ending) }
        members.append((key: "attempts", value: .int(Int64(attempt))))
        var final = ending
        final.result = .object(members)
        return .finish(final)
    }

    func ended(_ execution: Execution, attempts: Int, ending: AttemptEnding) async {
        guard let config = await config(of: execution) else { return }
        let succeeded = ending.status == .success
        guard let text = succeeded ? config.onSuccess : config.onFailure, let destination = try? JSONValue.parse(text) else { return }
        do {
            let urn = try AsyncInvokeConfigs.destinationURN(destination)
            let target = try await functions.resolve(try FunctionURN(parsing: urn), project: execution.projectID)
            // Configs may have changed into a cycle since they were checked.
            let chain = (execution.destinationChain ?? []) + [execution.functionID]
            if let refusal = DestinationCycles.refusal(chain: chain, next: target.function.id) {
                logger.warning("destination not invoked", metadata: [
                    "execution_id": "\(execution.id)", "destination_function": "\(target.function.id)", "reason": "\(refusal)",
                ])
                return
            }
            let payload = await payload(execution, attempts: attempts, ending: ending)
            var draft = ExecutionDraft(functionID: target.function.id, functionVersion: target.version, input: payload, sync: false)
            draft.destinationChain = chain
            let started = try await executions.create(draft, by: Caller(projectID: execution.projectID, isAdmin: false))
            logger.info("destination invoked", metadata: ["execution_id": "\(execution.id)", "destination": "\(started.id)", "on": "\(succeeded ? "success" : "failure")"])
        } catch {
            logger.error("destination could not be invoked", metadata: ["execution_id": "\(execution.id)", "error": "\(error)"])
        }
    }

    /// The destination payload of FunctionGraph's user guide.
    func payload(_ execution: Execution, attempts: Int, ending: AttemptEnding) async -> JSONValue {
        let output = ending.result["output"] ?? .null
        let error = ending.result["error"]?.stringValue
        let condition: String
        switch error {
        case nil: condition = ""
        case "discarded": condition = "EventAgeExceeded"
        case let kind? where Self.retried.contains(where: { $0.rawValue == kind }): condition = "RetriesExhausted"
        default: condition = "FunctionError"
        }
        // The URN the event was sent to: through its alias, its version, or latest.
        var urn = execution.functionID
        if let function = try? await store.function(id: execution.functionID) {
            let package = (try? await store.functionGraphSettings(functionID: function.id))?.package ?? "default"
            let version = (try? await functions.versionName(execution.functionVersion, functionID: function.id)) ?? String(execution.functionVersion)
            let qualifier = execution.functionAlias.map { "!\($0)" } ?? version
            urn = FunctionURN.string(projectID: function.projectID, package: package, name: function.name ?? function.id, qualifier: qualifier)
        }
        return .object([
            "timestamp": .string(ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withInternetDateTime, .withFractionalSeconds])),
            "request_context": .object([
                "request_id": .string(execution.id), "function_urn": .string(urn), "condition": .string(condition),
                "approximate_invoke_count": .int(Int64(attempts)),
            ]),
            "request_payload": .string(execution.input ?? ""),
            "response_context": .object([
                "status_code": .int(ending.status == .success ? 200 : 500), "function_error": .string(error ?? ""),
            ]),
            "response_payload": .string(output.stringValue ?? output.serialized),
        ])
    }

    func config(of execution: Execution) async -> AsyncInvokeConfig? {
        try? await store.asyncInvokeConfig(functionID: execution.functionID)
    }
}
