import GRDB
import HearthCore
import Synchronization

/// Functions, runtime statuses and versions' code as every call reads them, kept in memory
/// between the writes that change them. Two reads per call through a reader connection (a
/// transaction, a schema check and the pool's bookkeeping each) were a fifth of a warm call's
/// daemon CPU.
///
/// Only this daemon writes these tables (`hearthd token` and `credential` write others), so
/// watching its own commits is enough: a commit that touched any of them empties the cache.
/// The per-call `count` updates are the one change it ignores, so a cached function's `count`
/// may be behind; `Store.function(id:)`, which answers reads of the function itself, never
/// comes from here.
///
/// A read that began before such a commit may finish after the cache was emptied; the
/// generation it started with is then stale and what it read is not kept.
final class DefinitionCache: TransactionObserver, Sendable {
    private struct Entries {
        var generation = 0
        var functions: [String: Function] = [:]
        var runtimeStatuses: [String: Runtime.Status] = [:]
        var codes: [String: VersionCode] = [:]

        var count: Int { functions.count + runtimeStatuses.count + codes.count }

        mutating func empty() {
            functions = [:]
            runtimeStatuses = [:]
            codes = [:]
        }
    }

    /// What a commit to one of these tables may change.
    private static let tables: Set<String> = ["functions", "runtimes", "function_versions", "functiongraph_settings", "functiongraph_versions"]
    /// Tables whose `count` column counts calls: updating it alone changes nothing a call runs.
    private static let counted: Set<String> = ["functions", "function_versions"]

    private let entries = Mutex(Entries())
    /// Set by a change inside the transaction now being written; only the writer touches it.
    private let changed = Mutex(false)
    /// Bounds memory for a store of many functions; past it the cache starts over.
    private let capacity: Int

    /// How many times a commit emptied it.
    var generation: Int { entries.withLock { $0.generation } }

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    func function(id: String, read: () throws -> Function?) rethrows -> Function? {
        try lookUp(id, read: read, get: { $0.functions[id] }, keep: { $0.functions[id] = $1 })
    }

    func runtimeStatus(id: String, read: () throws -> Runtime.Status?) rethrows -> Runtime.Status? {
        try lookUp(id, read: read, get: { $0.runtimeStatuses[id] }, keep: { $0.runtimeStatuses[id] = $1 })
    }

    /// `key`: function id and version number.
    func code(key: String, read: () throws -> VersionCode?) rethrows -> VersionCode? {
        try lookUp(key, read: read, get: { $0.codes[key] }, keep: { $0.codes[key] = $1 })
    }

    // Closures rather than key paths: a key path is built anew at every call.
    private func lookUp<Value>(
        _ id: String, read: () throws -> Value?, get: (Entries) -> Value?, keep: (inout Entries, Value) -> Void
    ) rethrows -> Value? {
        let (cached, generation) = entries.withLock { (get($0), $0.generation) }
        if let cached { return cached }
        // Absent rows are not kept: a function created a moment later must be found.
        guard let value = try read() else { return nil }
        entries.withLock { entries in
            guard entries.generation == generation else { return }
            if entries.count >= capacity { entries.empty() }
            keep(&entries, value)
        }
        return value
    }

    // MARK: - TransactionObserver (on the writer's connection)

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool {
        switch eventKind {
        case .update(let table, let columns) where columns == ["count"]:
            return !Self.counted.contains(table) && Self.tables.contains(table)
        case .insert(let table), .delete(let table), .update(let table, _):
            return Self.tables.contains(table)
        }
    }

    func databaseDidChange(with event: DatabaseEvent) {
        changed.withLock { $0 = true }
    }

    func databaseDidCommit(_ db: Database) {
        guard changed.withLock({ was in defer { was = false }; return was }) else { return }
        entries.withLock { entries in
            entries.generation += 1
            entries.empty()
        }
    }

    func databaseDidRollback(_ db: Database) {
        changed.withLock { $0 = false }
    }
}
