import HearthCore
import HearthSandbox

/// One function version of one project: the unit a specialised worker is bound to.
public struct FunctionKey: Hashable, Sendable, CustomStringConvertible {
    public var projectID: String
    public var functionID: String
    public var version: Int

    public init(projectID: String, functionID: String, version: Int) {
        self.projectID = projectID
        self.functionID = functionID
        self.version = version
    }

    public var description: String { "\(functionID)@\(version)" }
}

/// One call to run.
public struct InvocationRequest: Sendable {
    public var key: FunctionKey
    public var runtimeID: String
    public var executionID: String
    public var limits: CgroupLimits
    /// Seconds.
    public var timeout: Double
    public var input: JSONValue?
    public var positional: Bool
    /// What a worker loads when one has to be specialised for the call, or why it cannot be
    /// had (a warm worker of the version may still run the call).
    public var code: Result<CodeBundle, PoolError>
    /// `WorkerPool.detaches` read before the function's definition (and so `code`) was.
    public var detachesSeen: Int
    /// Where the call's output goes; readable while the call runs.
    public var log: LogCapture?
    /// An async execution's call: callers waiting on a response go first.
    public var background = false
    /// Called once a worker has been taken for the call.
    public var onStart: (@Sendable () async -> Void)?

    public init(
        key: FunctionKey, runtimeID: String, executionID: String, limits: CgroupLimits, timeout: Double,
        input: JSONValue?, positional: Bool, code: Result<CodeBundle, PoolError>, detachesSeen: Int
    ) {
        self.key = key
        self.runtimeID = runtimeID
        self.executionID = executionID
        self.limits = limits
        self.timeout = timeout
        self.input = input
        self.positional = positional
        self.code = code
        self.detachesSeen = detachesSeen
    }
}

/// How a call ended. `output` is what Qinling puts in `result.output`.
public struct InvocationResult: Sendable {
    public enum Failure: String, Sendable {
        /// The function raised.
        case exception
        /// It returned something that is not JSON.
        case unserializable
        /// A limit refused it a process, a thread or memory (it raised, the worker lives on).
        case resource
        /// The code could not be loaded (missing module, syntax error…).
        case loadFailed = "load_failed"
        case timeout
        case outOfMemory = "out_of_memory"
        /// The worker died (exit, signal, process limit).
        case crashed
        /// Stopped on request (the execution was deleted).
        case cancelled
        /// Stopped because hearthd was stopping and its drain time ran out.
        case interrupted
        case protocolError = "protocol_error"
    }

    public var failure: Failure?
    public var output: JSONValue
    /// Seconds.
    public var duration: Double
    public var log: String
    /// True when a worker had to be specialised for this call.
    public var cold: Bool
    public var workerID: String?

    public var succeeded: Bool { failure == nil }
}

extension InvocationResult.Failure {
    /// A failed `result`'s `error_type` (PROTOCOL.md); anything unknown counts as an exception.
    init(workerErrorType: String?) {
        switch workerErrorType {
        case "unserializable"?: self = .unserializable
        case "resource"?: self = .resource
        default: self = .exception
        }
    }
}

/// What the pool refuses.
public enum PoolError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownRuntime(String)
    case runtimeUnavailable(String)
    case workerStartFailed(String)
    /// Too many calls already wait for this function.
    case queueFull(waiting: Int)
    case codeUnavailable(String)
    /// hearthd is stopping: no call starts any more (for async ones: not after SIGTERM).
    case stopping

    public var description: String {
        switch self {
        case .unknownRuntime(let id): return "runtime \(id) has no pool"
        case .runtimeUnavailable(let reason): return "runtime unavailable: \(reason)"
        case .workerStartFailed(let reason): return "a worker could not start: \(reason)"
        case .queueFull(let waiting): return "too many calls are waiting for this function (\(waiting)); retry later"
        case .codeUnavailable(let reason): return "the function's code could not be read: \(reason)"
        case .stopping: return "hearthd is stopping: the call did not start"
        }
    }
}

/// A row of `GET /v1/functions/{id}/workers`.
public struct WorkerInfo: Sendable, Equatable {
    public var functionID: String
    public var version: Int
    public var workerName: String
}
