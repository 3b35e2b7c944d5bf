/// The operator's pool settings.
public struct PoolSettings: Sendable {
    /// Generic workers kept warm per runtime (Qinling's replicas: 3).
    public var capacity: Int
    /// Workers one function version may have at once; calls beyond wait in its queue.
    public var perFunctionWorkers: Int
    /// Calls that may wait for one function version before more are refused (429).
    public var perFunctionQueue: Int
    /// Workers of all runtimes together; past it the least recently used idle one is retired.
    public var maxWorkers: Int
    /// A specialised worker idle this long is retired (seconds).
    public var idleTTL: Double
    /// How long a new worker may take to say hello (seconds). Generous: node's start-up takes
    /// over 10 s on a slow or emulated edge box (seen in the system test's VM under load), and
    /// a runtime whose first worker misses it is marked `error`.
    public var startTimeout: Double
    /// Limits of a generic worker before it is given a function.
    public var genericMemory: Int
    public var pidsLimit: Int
    public var openFiles: Int
    public var tmpSize: Int
    public var codeSize: Int
    /// Captured output per call (bytes); the rest is replaced by a marker.
    public var logLimit: Int

    public init(
        capacity: Int = 3, perFunctionWorkers: Int = 4, perFunctionQueue: Int = 64, maxWorkers: Int = 64,
        idleTTL: Double = 3600, startTimeout: Double = 30, genericMemory: Int = 134_217_728, pidsLimit: Int = 128,
        openFiles: Int = 1024, tmpSize: Int = 64 << 20, codeSize: Int = 128 << 20, logLimit: Int = 1 << 20
    ) {
        self.capacity = capacity
        self.perFunctionWorkers = perFunctionWorkers
        self.perFunctionQueue = perFunctionQueue
        self.maxWorkers = maxWorkers
        self.idleTTL = idleTTL
        self.startTimeout = startTimeout
        self.genericMemory = genericMemory
        self.pidsLimit = pidsLimit
        self.openFiles = openFiles
        self.tmpSize = tmpSize
        self.codeSize = codeSize
        self.logLimit = logLimit
    }
}
