import Dispatch
import GRDB
import HearthCore
import Synchronization

/// Sync executions that have ended, on their way into the store. Their callers have their
/// answers already and reads find them in memory until they are stored (the services'
/// `RunningExecutions`), so no caller waits for the commit: one queue writes them a moment
/// later, everything that ended within `gathering` of the first in one transaction. Under
/// load a commit (its BEGIN, its COMMIT and the WAL frames of the pages it touched) is shared
/// by many executions, and a function's count moves once per batch.
///
/// What it gives up: a daemon killed in those milliseconds loses the records of calls whose
/// callers already have their results, as a sync call killed while it runs leaves none. A
/// clean stop writes everything first (`close`). When writes fall behind, callers wait for
/// their own commit again (`backlog`), so memory stays bounded.
final class FinishedExecutions: Sendable {
    struct Finished: Sendable {
        let execution: Execution
        let log: String?
        /// Asked inside the transaction: a deleted execution is counted but not stored.
        let deleted: @Sendable () -> Bool
        /// Called once it is stored, or could not be (with why).
        let stored: @Sendable ((any Error)?) -> Void

        var bytes: Int { (execution.result?.utf8.count ?? 0) + (execution.input?.utf8.count ?? 0) + (log?.utf8.count ?? 0) }
    }

    private enum Item {
        case finished(Finished, waiter: CheckedContinuation<Void, Never>?)
        /// Someone waiting for everything queued before it (`flush`).
        case barrier(CheckedContinuation<Void, Never>)
    }

    private struct State {
        var pending: [Item] = []
        var pendingCount = 0
        var pendingBytes = 0
        /// A drain is on the queue.
        var scheduled = false
        /// A batch is being written.
        var writing = false
    }

    /// How long the first execution of a batch waits for others (tests make it long).
    let gathering: DispatchTimeInterval
    /// A batch this big is written without waiting for the rest of `gathering`.
    static let fullBatch = 64
    /// Beyond this many executions (or bytes of inputs, results and logs) waiting, callers
    /// wait for their own commit.
    static let backlog = (count: 512, bytes: 32 << 20)

    private let writer: DatabaseWriter
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "hearth.store.finished-executions")

    init(writer: DatabaseWriter, gathering: DispatchTimeInterval = .milliseconds(2)) {
        self.writer = writer
        self.gathering = gathering
    }

    /// Queues `finished` to be stored; returns at once, or once it is stored if too many are
    /// waiting already.
    func add(_ finished: Finished) async {
        let behind = state.withLock { $0.pendingCount >= Self.backlog.count || $0.pendingBytes >= Self.backlog.bytes }
        if behind {
            await withCheckedContinuation { continuation in enqueue(.finished(finished, waiter: continuation), bytes: finished.bytes) }
        } else {
            enqueue(.finished(finished, waiter: nil), bytes: finished.bytes)
        }
    }

    /// Returns once everything queued before the call is stored: for reads that must see what
    /// the executions changed beyond themselves (their functions' counts).
    func flush() async {
        let idle = state.withLock { !$0.writing && $0.pending.isEmpty }
        if idle { return }
        await withCheckedContinuation { continuation in
            state.withLock { $0.pending.append(.barrier(continuation)) }
            queue.async { self.drain() }
        }
    }

    /// Writes everything queued, on the calling thread; for the store's close (never from a
    /// `stored` callback, which runs on the queue).
    func flushNow() {
        dispatchPrecondition(condition: .notOnQueue(queue))
        queue.sync { drain() }
    }

    private func enqueue(_ item: Item, bytes: Int) {
        let (schedule, full) = state.withLock { state -> (Bool, Bool) in
            state.pending.append(item)
            state.pendingCount += 1
            state.pendingBytes += bytes
            defer { state.scheduled = true }
            return (!state.scheduled, state.pendingCount == Self.fullBatch)
        }
        if full {
            queue.async { self.drain() }
        } else if schedule {
            queue.asyncAfter(deadline: .now() + gathering) { self.drain() }
        }
    }

    /// On the queue: writes what is pending in one transaction, then tells each caller.
    private func drain() {
        let batch = state.withLock { state -> [Item] in
            defer {
                state.pending = []
                (state.pendingCount, state.pendingBytes, state.scheduled) = (0, 0, false)
            }
            state.writing = !state.pending.isEmpty
            return state.pending
        }
        guard !batch.isEmpty else { return }
        let finished = batch.compactMap { item -> Finished? in
            if case .finished(let finished, _) = item { return finished }
            return nil
        }
        let errors = write(finished)
        var next = 0
        for item in batch {
            switch item {
            case .finished(let finished, let waiter):
                finished.stored(errors[next])
                next += 1
                waiter?.resume()
            case .barrier(let continuation):
                continuation.resume()
            }
        }
        state.withLock { $0.writing = false }
    }

    /// Stores the batch in one transaction. If a record breaks a constraint (an id taken),
    /// each is written in its own, so that it costs only its own record; any other failure
    /// (a full disk, say) fails them all at once rather than once each. Returns each one's
    /// error, or nil.
    private func write(_ batch: [Finished]) -> [(any Error)?] {
        guard !batch.isEmpty else { return [] }
        do {
            try writer.write { db in try Self.store(batch, db) }
            return Array(repeating: nil, count: batch.count)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT && batch.count > 1 {
            return batch.map { finished in
                do {
                    try writer.write { db in try Self.store([finished], db) }
                    return nil
                } catch {
                    return Self.described(error)
                }
            }
        } catch {
            return Array(repeating: Self.described(error), count: batch.count)
        }
    }

    private static func described(_ error: any Error) -> any Error {
        guard let error = error as? DatabaseError, error.resultCode == .SQLITE_CONSTRAINT else { return error }
        return Store.constraintError(error)
    }

    private static func store(_ batch: [Finished], _ db: Database) throws {
        var counts: [ExecutionCount: Int] = [:]
        for finished in batch {
            let execution = finished.execution
            if !finished.deleted() {
                try db.cachedStatement(sql: Execution.insertSQL).execute(arguments: execution.insertArguments)
                if let log = finished.log, !log.isEmpty {
                    try db.cachedStatement(sql: "INSERT INTO execution_logs (execution_id, text) VALUES (?, ?)").execute(arguments: [execution.id, log])
                }
            }
            // Deleted or not, it counts, as Qinling counts calls made.
            counts[ExecutionCount(execution), default: 0] += 1
        }
        for (key, count) in counts {
            try key.add(count, db)
        }
    }
}

/// Which counter an execution moves: its function's, or its version's.
struct ExecutionCount: Hashable {
    let functionID: String
    let version: Int

    init(_ execution: Execution) {
        (functionID, version) = (execution.functionID, execution.functionVersion)
    }

    func add(_ count: Int, _ db: Database) throws {
        if version == 0 {
            try db.cachedStatement(sql: "UPDATE functions SET count = count + ? WHERE id = ?").execute(arguments: [count, functionID])
        } else {
            try db.cachedStatement(sql: "UPDATE function_versions SET count = count + ? WHERE function_id = ? AND version_number = ?")
                .execute(arguments: [count, functionID, version])
        }
    }
}
