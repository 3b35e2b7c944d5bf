import Synchronization
import HearthPool

/// The output of every execution while it runs, so that its log can be read before it ends.
final class RunningExecutions: Sendable {
    private let logs = Mutex<[String: LogCapture]>([:])

    func started(_ id: String, log: LogCapture) {
        logs.withLock { $0[id] = log }
    }

    func ended(_ id: String) {
        _ = logs.withLock { $0.removeValue(forKey: id) }
    }

    func log(_ id: String) -> LogCapture? {
        logs.withLock { $0[id] }
    }
}
