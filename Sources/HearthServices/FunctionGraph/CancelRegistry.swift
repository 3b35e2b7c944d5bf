import Foundation

/// Async executions cancelled while an attempt of theirs may still be under way. The cancel
/// records the end at once; the attempt, when it returns, finds the mark and writes nothing.
final class CancelRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled: Set<String> = []

    func mark(_ id: String) { _ = lock.withLock { cancelled.insert(id) } }

    /// Whether `id` was cancelled; forgets the mark when `consume` is set.
    func isCancelled(_ id: String, consume: Bool = false) -> Bool {
        lock.withLock { consume ? cancelled.remove(id) != nil : cancelled.contains(id) }
    }
}
