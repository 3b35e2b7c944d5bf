import Foundation
import Synchronization
import HearthServices
import Logging

/// The drain of a stop: from SIGTERM, running calls have `seconds` to end and record their
/// results (HTTP stops accepting meanwhile, and answers the sync calls in flight); async
/// executions still queued stay queued for the next start. When the time runs out the calls
/// still running are stopped, each recorded as stopped by the drain. `seconds` 0: at once.
/// Below systemd's TimeoutStopSec (30 s in the unit), so that it never SIGKILLs mid-drain.
final class Drain: Sendable {
    let seconds: Double
    let executions: ExecutionService
    let logger: Logger
    private let clock = Mutex<Task<Void, Never>?>(nil)
    private let began = Mutex<ContinuousClock.Instant?>(nil)
    /// How long after the deadline calls stopped by it have to record their ends.
    static let recordingTime = Duration.seconds(5)

    init(seconds: Double, executions: ExecutionService, logger: Logger) {
        self.seconds = seconds
        self.executions = executions
        self.logger = logger
    }

    /// Starts the drain (once; later calls do nothing).
    func begin() {
        clock.withLock { task in
            guard task == nil else { return }
            logger.notice("stopping: running calls may finish", metadata: ["drain_seconds": "\(seconds)"])
            began.withLock { $0 = .now }
            let (executions, seconds) = (executions, seconds)
            task = Task {
                await executions.beginDrain()
                try? await Task.sleep(for: .seconds(seconds))
                await executions.endDrain(after: seconds)
            }
        }
    }

    /// Once HTTP is done (its sync calls answered): waits until every async execution on a
    /// worker has recorded its end, which the drain's deadline bounds.
    func finish() async {
        begin()
        let deadline = (began.withLock { $0 } ?? .now) + .seconds(seconds) + Self.recordingTime
        await executions.drained(within: max(.zero, deadline - .now))
        clock.withLock { $0?.cancel() }
    }
}
