import Foundation
import HearthCore
import HearthPool
import HearthStore

/// FunctionGraph invocations, as Hearth executions: a sync invoke is a sync execution, an
/// async invoke an async one whose id is the `request_id`; the record lists are a view of
/// the executions table.
public struct FunctionGraphInvocations: Sendable {
    let store: Store
    let executions: ExecutionService
    let pool: WorkerPool?
    let cancels: CancelRegistry

    /// A finished sync invocation.
    public struct Outcome: Sendable {
        public var execution: Execution
        public var output: JSONValue
        /// The failure kind (`exception`, `timeout`, …); nil on success.
        public var failure: String?
        /// Seconds.
        public var duration: Double
        public var log: String
    }

    /// Runs the function; `withLog` also reads the call's log back (for `X-Cff-Log-Type: tail`).
    public func invoke(_ resolved: ResolvedFunction, event: JSONValue, withLog: Bool, by caller: Caller) async throws -> Outcome {
        try checkEnabled(resolved)
        let execution = try await FunctionGraphError.translating {
            try await executions.create(draft(resolved, event: event, sync: true), by: caller)
        }
        let result = execution.result.flatMap { try? JSONValue.parse($0) }
        let failure = result?["error"]?.stringValue ?? (execution.status == .success ? nil : "error")
        let duration: Double
        switch result?["duration"] {
        case .double(let d)?: duration = d
        case .int(let i)?: duration = Double(i)
        default: duration = 0
        }
        // Through the service: the record may still be on its way into the store.
        let log = withLog ? try await executions.log(id: execution.id, by: caller) ?? "" : ""
        return Outcome(execution: execution, output: result?["output"] ?? .null, failure: failure, duration: duration, log: log)
    }

    /// Accepts an async invocation (stored before this returns) and gives its request id.
    public func invokeAsync(_ resolved: ResolvedFunction, event: JSONValue, by caller: Caller) async throws -> String {
        try checkEnabled(resolved)
        return try await FunctionGraphError.translating {
            try await executions.create(draft(resolved, event: event, sync: false), by: caller).id
        }
    }

    /// A page of a function's async records, and how many match in all.
    public func records(_ resolved: ResolvedFunction, filter: AsyncRecordFilter) async throws -> (records: [AsyncRecord], count: Int) {
        var filter = filter
        filter.functionID = resolved.function.id
        let (rows, count) = try await store.asyncExecutions(filter)
        return (rows.map(AsyncRecord.init), count)
    }

    /// Ends a waiting or running async invocation as FAIL 4208: a waiting one leaves the queue,
    /// a running one has its worker killed.
    public func cancel(_ resolved: ResolvedFunction, requestID: String, by caller: Caller) async throws {
        guard let execution = try await store.execution(id: requestID), execution.functionID == resolved.function.id,
            execution.projectID == caller.projectID, !execution.sync
        else {
            throw FunctionGraphError.invalid("Invalid RequestId: no async invocation '\(requestID)' of this function.")
        }
        let result: JSONValue = .object([
            "output": .string(AsyncRecord.cancelledMessage), "duration": .double(0), "error": .string("canceled"),
        ])
        cancels.mark(requestID)
        guard try await store.finishExecutionIfRunning(id: requestID, status: .failed, result: result.serialized) else {
            _ = cancels.isCancelled(requestID, consume: true)
            throw FunctionGraphError.invalid("Invalid RequestId: invocation '\(requestID)' has already finished (\(AsyncRecord(execution).status)).")
        }
        // Still queued: it will never start. On a worker: the worker is killed.
        if await executions.queue.remove(executionID: requestID) {
            _ = cancels.isCancelled(requestID, consume: true)
        } else {
            _ = await pool?.cancel(executionID: requestID)
        }
    }

    /// Through an alias, the execution records it (as a Qinling execution by alias would).
    func draft(_ resolved: ResolvedFunction, event: JSONValue, sync: Bool) -> ExecutionDraft {
        if let alias = resolved.alias { return ExecutionDraft(functionAlias: alias, input: event, sync: sync) }
        return ExecutionDraft(functionID: resolved.function.id, functionVersion: resolved.version, input: event, sync: sync)
    }

    /// `strategy_config.concurrency = 0` disables a function.
    func checkEnabled(_ resolved: ResolvedFunction) throws(FunctionGraphError) {
        if resolved.settings?.concurrency == 0 {
            throw FunctionGraphError(.tooManyRequests, "FSS.0429", "Function Disabled")
        }
    }
}
