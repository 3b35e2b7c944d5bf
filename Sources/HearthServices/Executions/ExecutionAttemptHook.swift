import Foundation
import HearthCore
import HearthPool

/// How one attempt of an execution ended, before it is recorded.
public struct AttemptEnding: Sendable {
    public var status: Execution.Status
    /// `{"output": …, "duration": …, "error": …}` as Qinling's `result` carries it.
    public var result: JSONValue
    public var log: String?
    /// Why the call failed, when the worker or the pool could say.
    public var failure: InvocationResult.Failure?

    public init(status: Execution.Status, result: JSONValue, log: String?, failure: InvocationResult.Failure?) {
        self.status = status
        self.result = result
        self.log = log
        self.failure = failure
    }
}

/// What to do once an attempt has ended.
public enum AttemptVerdict: Sendable {
    /// Record this ending; the execution is over.
    case finish(AttemptEnding)
    /// Run the execution again after a pause.
    case retry(after: Duration)
    /// Something else has already recorded the end (a cancel): write nothing.
    case leave
}

/// A policy for async executions that `ExecutionService` consults around each attempt: the
/// FunctionGraph face uses it for retries, event age and destinations. Sync executions never
/// see it; without a hook an async execution runs once, as in Qinling.
public protocol ExecutionAttemptHook: Sendable {
    /// Before each attempt: nil to run it, `.finish` to record an ending instead (a discarded
    /// event), `.leave` to stop (cancelled); `.retry` is asked again after the pause.
    func beforeAttempt(_ execution: Execution, attempt: Int) async -> AttemptVerdict?
    /// After each attempt: finish, retry or leave.
    func afterAttempt(_ execution: Execution, attempt: Int, ending: AttemptEnding) async -> AttemptVerdict
    /// Once the end of the execution is stored.
    func ended(_ execution: Execution, attempts: Int, ending: AttemptEnding) async
}

/// Holds the one hook of a daemon; set after the services are built, since the hook itself
/// starts executions (destinations).
final class AttemptHookSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var hook: (any ExecutionAttemptHook)?

    var current: (any ExecutionAttemptHook)? { lock.withLock { hook } }

    func set(_ hook: any ExecutionAttemptHook) { lock.withLock { self.hook = hook } }
}
