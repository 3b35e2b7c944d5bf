import Foundation
import HearthCore
import HearthSandbox
import Logging

/// The pool's part of a daemon stop (SIGTERM/SIGINT), in order:
/// 1. `beginDrain`: calls on workers run on; async calls that wait for a worker give up their
///    place (`PoolError.stopping`), so that their executions stay queued for the next start;
///    calls whose callers wait for the response may still start.
/// 2. `endDrain`: the drain time ran out: every call still running is stopped, and ends saying
///    so (`interrupted`), not as a crash; nothing starts any more.
/// 3. `shutdown`: every worker is killed and waited for, those still starting included, and
///    everyone waiting on the pool is resumed with `PoolError.stopping`.
extension WorkerPool {
    public func beginDrain() {
        perform(.beginDrain)
    }

    public func endDrain(after seconds: Double) {
        guard state.phase != .stopped else { return }
        perform(.stop)
        let running = Array(inCall.values)
        if !running.isEmpty {
            logger.warning("drain time ran out: stopping the calls still running", metadata: ["calls": "\(running.count)", "drain_seconds": "\(seconds)"])
        }
        for worker in running where worker.interruption == nil {
            worker.interruption = .drainEnded(seconds: seconds)
            worker.process.kill()
        }
    }

    /// Stops everything and returns once every worker's sandbox is gone.
    public func shutdown() async {
        endDrain(after: 0)
        let starting = Array(starts.values)
        for task in starting { task.cancel() }
        for waiter in warmWaiters.values.joined() { waiter.resume(throwing: PoolError.stopping) }
        warmWaiters = [:]
        var all = Array(live.values) + Array(inCall.values) + Array(ending.values)
        live = [:]
        var seen = Set<ObjectIdentifier>()
        all = all.filter { seen.insert(ObjectIdentifier($0)).inserted }
        await withTaskGroup(of: Void.self) { group in
            for worker in all { group.addTask { await worker.stop() } }
        }
        for task in starting { await task.value }
    }
}
