import Foundation

/// The one long-lived thread that makes sandboxes, one request after another. A spawn blocks
/// for milliseconds (clone, the child's set-up, or the launcher's answer), so it must not run
/// on the cooperative pool; a thread per spawn made the daemon's thread count follow its
/// refills. The launcher makes one sandbox at a time anyway, and in-process spawns are
/// CPU-bound on a small machine, so a queue of them loses little.
final class SpawnThread: @unchecked Sendable {
    static let shared = SpawnThread()

    /// Guards `requests`, and wakes the thread when one comes.
    private let condition = NSCondition()
    private var requests: [@Sendable () -> Void] = []

    private init() {
        let thread = Thread { [self] in run() }
        thread.name = "hearth-spawn"
        thread.start()
    }

    /// Runs `body` on the spawn thread, after the requests before it, and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            condition.lock()
            requests.append { continuation.resume(returning: body()) }
            condition.signal()
            condition.unlock()
        }
    }

    private func run() {
        while true {
            condition.lock()
            while requests.isEmpty { condition.wait() }
            let batch = requests
            requests = []
            condition.unlock()
            for request in batch { request() }
        }
    }
}
