import HearthCore
import Synchronization

/// Callers of the tokens recently seen, so that a TCP request does not read the store to
/// learn who sent it. Tokens are created and revoked by `hearthd token`, another process,
/// whose commits this daemon is not told of: an entry is trusted for `lifetime` only, which
/// is how long a revoked token can still be used. Only tokens found are kept (a new one
/// works at once, and guessing cannot fill the cache), at most `capacity` of them.
final class TokenCache: Sendable {
    private struct Entry {
        var caller: Caller
        var expires: ContinuousClock.Instant
    }

    private let entries = Mutex([String: Entry]())
    private let lifetime: Duration
    private let capacity: Int

    init(lifetime: Duration = .seconds(1), capacity: Int = 1024) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The caller for `secretHash`, from memory if looked up within `lifetime`, else `read`.
    func caller(secretHash: String, read: () throws -> Caller?) rethrows -> Caller? {
        let now = ContinuousClock.now
        if let entry = entries.withLock({ $0[secretHash] }), entry.expires > now { return entry.caller }
        guard let caller = try read() else {
            entries.withLock { _ = $0.removeValue(forKey: secretHash) }
            return nil
        }
        entries.withLock { entries in
            if entries.count >= capacity { entries = entries.filter { $0.value.expires > now } }
            if entries.count >= capacity { entries = [:] }
            entries[secretHash] = Entry(caller: caller, expires: now + lifetime)
        }
        return caller
    }
}
