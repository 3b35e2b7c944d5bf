import GRDB
import Synchronization

/// Writes that arrive while another commits go in together, in one transaction: the
/// executions that end at the same moment share one commit (one WAL append of the pages
/// they touch) instead of queueing for the writer one by one. A write that finds nobody
/// writing commits at once, on its own thread, so a lone caller waits for nothing extra.
///
/// Each write runs in its own savepoint, so one that fails (its function deleted meanwhile,
/// say) is rolled back alone and only its caller gets the error. A failed commit fails
/// every write in it.
///
/// Whoever commits a batch hands the writing on to the first caller still waiting, so that
/// under steady load no caller writes other callers' batches for ever.
final class GroupCommit: Sendable {
    typealias Write = @Sendable (Database) throws -> Void

    private enum Turn {
        case committed
        case lead
    }

    private struct Waiting {
        var write: Write
        var continuation: CheckedContinuation<Turn, any Error>
    }

    private struct State {
        var writing = false
        var waiting: [Waiting] = []
    }

    private let writer: DatabaseWriter
    private let state = Mutex(State())

    init(writer: DatabaseWriter) {
        self.writer = writer
    }

    /// Runs `write` in a transaction shared with the writes that arrive meanwhile, and
    /// returns once it is committed.
    func write(_ write: @escaping Write) async throws {
        let leads = state.withLock { state in
            defer { state.writing = true }
            return !state.writing
        }
        if !leads {
            // The writer may have finished between the check and here: then this leads.
            let turn = try await withCheckedThrowingContinuation { continuation in
                let queued = state.withLock { state in
                    guard state.writing else {
                        state.writing = true
                        return false
                    }
                    state.waiting.append(Waiting(write: write, continuation: continuation))
                    return true
                }
                if !queued { continuation.resume(returning: .lead) }
            }
            if case .committed = turn { return }
        }
        try commit(own: write)
    }

    /// Commits `own` with everything waiting, then hands the writing on.
    private func commit(own: @escaping Write) throws {
        let others = state.withLock { state in
            defer { state.waiting = [] }
            return state.waiting
        }
        var results: [Result<Void, any Error>] = []
        var failure: (any Error)?
        do {
            try writer.write { db in
                results = []
                for write in [own] + others.map(\.write) {
                    do {
                        try db.inSavepoint {
                            try write(db)
                            return .commit
                        }
                        results.append(.success(()))
                    } catch {
                        results.append(.failure(error))
                    }
                }
            }
        } catch {
            failure = error
        }
        for (index, waiting) in others.enumerated() {
            if let failure {
                waiting.continuation.resume(throwing: failure)
            } else if case .failure(let error) = results[index + 1] {
                waiting.continuation.resume(throwing: error)
            } else {
                waiting.continuation.resume(returning: .committed)
            }
        }
        let next = state.withLock { state -> Waiting? in
            guard !state.waiting.isEmpty else {
                state.writing = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.continuation.resume(returning: .lead)
        if let failure { throw failure }
        try results[0].get()
    }
}
