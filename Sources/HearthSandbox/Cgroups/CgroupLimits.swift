/// What a sandbox's cgroup enforces for every process in it.
public struct CgroupLimits: Sendable, Equatable {
    /// Bytes of memory (and, where the kernel counts it, swap).
    public var memory: Int
    /// Processes and threads.
    public var pids: Int
    /// CPU share in millicpu: 100 is a tenth of one core (Qinling's unit).
    public var millicpu: Int

    public init(memory: Int, pids: Int, millicpu: Int) {
        self.memory = memory
        self.pids = pids
        self.millicpu = millicpu
    }

    /// CFS period; quota = millicpu × period / 1000, as Qinling wrote it.
    static let periodMicroseconds = 100_000
    var quotaMicroseconds: Int { millicpu * Self.periodMicroseconds / 1000 }
}
