import Foundation
import HearthPool

/// Executions across a daemon stop. At SIGTERM (`beginDrain`) the queue starts nothing more
/// and async executions waiting for a worker give up their place: their rows stay `running`
/// with no start time, which `requeuePending` runs at the next start. Calls on a worker go on
/// until `endDrain` (the drain time ran out), which stops them with a result that says so.
extension ExecutionService {
    public func beginDrain() async {
        await queue.stop()
        await pool?.beginDrain()
    }

    public func endDrain(after seconds: Double) async {
        await pool?.endDrain(after: seconds)
    }

    /// Returns once every async execution the queue had started has recorded its end, or
    /// after `limit`.
    public func drained(within limit: Duration) async {
        await queue.idle(within: limit)
    }
}
