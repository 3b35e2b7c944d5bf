import Foundation
import HearthCore
import HearthStore

/// `async-invoke-config` of a function: stored as sent (after checks), applied by
/// `AsyncInvokePolicy` to every async execution of the function.
public struct AsyncInvokeConfigs: Sendable {
    let store: Store
    let functions: FunctionGraphFunctions

    /// The fields of a config update, as sent (type-checked by the API).
    public struct Draft: Sendable {
        public var maxAge: Int?
        public var maxRetries: Int?
        public var enableStatusLog: Bool?
        public var onSuccess: JSONValue?
        public var onFailure: JSONValue?

        public init(maxAge: Int?, maxRetries: Int?, enableStatusLog: Bool?, onSuccess: JSONValue?, onFailure: JSONValue?) {
            self.maxAge = maxAge
            self.maxRetries = maxRetries
            self.enableStatusLog = enableStatusLog
            self.onSuccess = onSuccess
            self.onFailure = onFailure
        }
    }

    public static let defaultMaxAge = 3600
    /// The API reference's response table (0–8, default 3); its request table says 0–3,
    /// default 1. The wider range accepts what either describes.
    public static let defaultRetries = 3
    public static let maxRetries = 8

    public func show(_ resolved: ResolvedFunction) async throws -> AsyncInvokeConfig {
        guard let config = try await store.asyncInvokeConfig(functionID: resolved.function.id) else {
            throw FunctionGraphError(.notFound, "FSS.0404", "The function has no async invoke config.")
        }
        return config
    }

    public func update(_ resolved: ResolvedFunction, _ draft: Draft, by caller: Caller) async throws -> AsyncInvokeConfig {
        let maxAge = draft.maxAge ?? Self.defaultMaxAge
        guard (1...86400).contains(maxAge) else {
            throw FunctionGraphError.invalid("max_async_event_age_in_seconds must be 1 to 86400, got \(maxAge).")
        }
        let retries = draft.maxRetries ?? Self.defaultRetries
        guard (0...Self.maxRetries).contains(retries) else {
            throw FunctionGraphError.invalid("max_async_retry_attempts must be 0 to \(Self.maxRetries), got \(retries).")
        }
        let onSuccess = try await destination(draft.onSuccess, "on_success", project: caller.projectID)
        let onFailure = try await destination(draft.onFailure, "on_failure", project: caller.projectID)
        let targets = [("on_success", onSuccess), ("on_failure", onFailure)].compactMap { field, destination in
            destination.map { (field: field, function: $0.target.function) }
        }
        try await DestinationCycles(store: store, functions: functions).check(resolved.function, targets: targets)
        let existing = try await store.asyncInvokeConfig(functionID: resolved.function.id)
        let now = Date()
        let config = AsyncInvokeConfig(
            functionID: resolved.function.id, maxAsyncEventAgeInSeconds: maxAge, maxAsyncRetryAttempts: retries,
            enableAsyncStatusLog: draft.enableStatusLog ?? false, onSuccess: onSuccess?.value.serialized, onFailure: onFailure?.value.serialized,
            createdAt: existing?.createdAt ?? now, updatedAt: now
        )
        try await store.saveAsyncInvokeConfig(config)
        return config
    }

    public func delete(_ resolved: ResolvedFunction) async throws {
        guard try await store.deleteAsyncInvokeConfig(functionID: resolved.function.id) else {
            throw FunctionGraphError(.notFound, "FSS.0404", "The function has no async invoke config.")
        }
    }

    /// A `{"destination": "FunctionGraph", "param": "{\"func_urn\": …}"}` whose function exists;
    /// returned with `param` as a JSON string, as FunctionGraph shows it, and the function.
    func destination(_ value: JSONValue?, _ field: String, project: String) async throws -> (value: JSONValue, target: ResolvedFunction)? {
        guard let value, !value.isNull else { return nil }
        guard value.objectMembers != nil else {
            throw FunctionGraphError.invalid("destination_config.\(field) must be an object with destination and param.")
        }
        guard value["destination"]?.stringValue == "FunctionGraph" else {
            throw FunctionGraphError.invalid("destination_config.\(field).destination must be FunctionGraph: Hearth has no OBS, SMN or DIS to deliver to.")
        }
        let urn = try Self.destinationURN(value)
        let target = try await functions.resolve(try FunctionURN(parsing: urn), project: project)
        let param: JSONValue = .object(["func_urn": .string(urn)])
        return (.object(["destination": .string("FunctionGraph"), "param": .string(param.serialized)]), target)
    }

    /// The `func_urn` of a destination's `param` (a JSON string, or an object from lenient clients).
    static func destinationURN(_ destination: JSONValue) throws(FunctionGraphError) -> String {
        var param = destination["param"]
        if let text = param?.stringValue { param = try? JSONValue.parse(text) }
        guard let urn = param?["func_urn"]?.stringValue, !urn.isEmpty else {
            throw FunctionGraphError.invalid("A FunctionGraph destination needs param = {\"func_urn\": \"urn:fss:…\"} (as a JSON string).")
        }
        return urn
    }
}
