/// Which calls bring code older than their function's workers: the pool's side of the race
/// between a call and an update of its function.
///
/// A call reads its function's definition (and so its code) before it reaches the pool, and
/// an update commits and then detaches the function's workers. A call that read before the
/// commit and arrives after the detach holds the code of before: the worker it specialises
/// must serve it alone, or every later call would run the old code until the worker idles
/// out. Each call says how many detaches it had seen when it read (`count`, published by
/// `WorkerPool.detaches`), and a call that read before its function's last detach is stale.
/// One that read between the commit and the detach is counted stale too, which costs it only
/// a worker of its own.
struct DetachLog: Equatable {
    /// Detaches so far.
    private(set) var count = 0
    /// The count just after each function's last detach.
    private var last: [String: Int] = [:]
    /// Calls that read before this count are stale whatever their function: `last` is cleared
    /// past `limit` functions, so that a daemon that detached many never holds them all.
    private var floor = 0
    private let limit: Int

    init(limit: Int = 4096) {
        self.limit = limit
    }

    mutating func record(functionID: String) {
        count += 1
        if last.count >= limit {
            last = [:]
            floor = count - 1
        }
        last[functionID] = count
    }

    /// Whether a call of `functionID` that had seen `seen` detaches reads code older than now.
    func isStale(functionID: String, seen: Int) -> Bool {
        seen < floor || seen < last[functionID] ?? 0
    }
}
