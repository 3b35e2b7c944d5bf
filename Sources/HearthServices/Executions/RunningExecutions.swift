import HearthCore
import HearthPool
import Synchronization

/// Every execution while it runs: its output so far, so that its log can be read before it
/// ends, and — for a sync execution, which has no row until a moment after it ends — the
/// execution itself, which reads merge in: `running` like any other, then ended until stored.
///
/// A sync call is stored once, after it ends (`Store.storeFinishedExecution`): storing it
/// first as `running` and then updating it was two commits, about 1.7× the store's CPU of one,
/// and its caller gets its answer before the record is committed, which stays here, ended,
/// until it is. If the daemon dies mid-call, the call leaves no record: it was never
/// acknowledged (the caller only ever learns the id from the answer, and sees its connection
/// drop), so it is as if the request never arrived, and it was not counted. Async executions
/// are stored before they are accepted, as before.
final class RunningExecutions: Sendable {
    private struct Entry {
        var log: LogCapture
        /// A sync execution not stored yet; nil for async ones, whose row is the record.
        var unstored: Execution?
        /// Deleted while it runs: its end must not store it.
        var deleted = false
    }

    private let entries = Mutex<[String: Entry]>([:])

    func started(_ execution: Execution, log: LogCapture, stored: Bool) {
        entries.withLock { $0[execution.id] = Entry(log: log, unstored: stored ? nil : execution) }
    }

    /// A sync execution has ended: reads see its end until it is stored.
    func finished(_ execution: Execution) {
        entries.withLock { entries in
            if entries[execution.id]?.unstored != nil { entries[execution.id]?.unstored = execution }
        }
    }

    /// Called once its end is stored (or it will never be): only then may reads stop merging it in.
    func ended(_ id: String) {
        _ = entries.withLock { $0.removeValue(forKey: id) }
    }

    func log(_ id: String) -> LogCapture? {
        entries.withLock { $0[id]?.log }
    }

    /// The running sync execution with this id, unless it was deleted.
    func unstored(_ id: String) -> Execution? {
        entries.withLock { entries in entries[id].flatMap { $0.deleted ? nil : $0.unstored } }
    }

    /// Every running sync execution not deleted, for a list to merge in.
    func unstored() -> [Execution] {
        entries.withLock { entries in entries.values.compactMap { $0.deleted ? nil : $0.unstored }.sorted { $0.createdAt < $1.createdAt } }
    }

    /// Marks a running execution deleted, before the store's delete runs.
    func markDeleted(_ id: String) {
        entries.withLock { $0[id]?.deleted = true }
    }

    func isDeleted(_ id: String) -> Bool {
        entries.withLock { $0[id]?.deleted ?? false }
    }
}
