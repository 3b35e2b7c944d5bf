import Foundation
import GRDB
import HearthCore

extension Store {
    /// Stores a new execution and counts it against its function (or version), as Qinling
    /// counts executions created, reading its runtime in the same transaction for `check` (which
    /// stores nothing if it throws): one short write on the call's own thread, with cached
    /// statements, where a read and a write each hopping to a GRDB queue and back, with freshly
    /// built queries and Codable encoding, were most of a warm call's cost.
    public func insertExecution(_ execution: Execution, runtimeID: String, check: (Runtime?) throws -> Void) throws {
        try writeNow { db in
            try check(try Runtime.fetchOne(db.cachedStatement(sql: "SELECT * FROM runtimes WHERE id = ?"), arguments: [runtimeID]))
            try db.cachedStatement(sql: Execution.insertSQL).execute(arguments: execution.insertArguments)
            try ExecutionCount(execution).add(1, db)
        }
    }

    /// On the caller's thread with a cached statement: a client waiting for an async
    /// execution asks for it again and again, and GRDB's async read cost more than the read.
    public func execution(id: String) async throws -> Execution? {
        try readNow { db in try Execution.fetchOne(db.cachedStatement(sql: "SELECT * FROM executions WHERE id = ?"), arguments: [id]) }
    }

    /// Executions in creation order, with `live` ones merged in: sync executions that run and
    /// have no row until they end (the services keep them in memory). The same condition
    /// filters both, in SQL, so a filter means the same on either; a live one that has been
    /// stored meanwhile is listed once, as stored.
    public func executions(_ query: ListQuery, including live: [Execution] = []) async throws -> [Execution] {
        let (condition, arguments) = query.sqlCondition()
        guard !live.isEmpty else {
            return try await db.read { db in
                try Execution.fetchAll(db, sql: "SELECT * FROM executions WHERE \(condition) ORDER BY created_at, rowid", arguments: arguments)
            }
        }
        var rows = ["SELECT \(Execution.columns), rowid AS listed FROM executions"]
        var rowArguments: StatementArguments = []
        for (index, execution) in live.enumerated() {
            rows.append("SELECT \(Execution.liveRow), ? WHERE NOT EXISTS (SELECT 1 FROM executions WHERE id = ?)")
            _ = rowArguments.append(contentsOf: execution.insertArguments)
            // After every stored row of the same millisecond, in the order they started.
            _ = rowArguments.append(contentsOf: [Int64.max - Int64(live.count - index), execution.id])
        }
        let sql = "SELECT * FROM (\(rows.joined(separator: " UNION ALL "))) WHERE \(condition) ORDER BY created_at, listed"
        let all = rowArguments + arguments
        return try await db.read { db in try Execution.fetchAll(db, sql: sql, arguments: all) }
    }

    /// Async executions accepted and not yet taken by a worker, oldest first.
    public func pendingExecutions() async throws -> [Execution] {
        try await db.read { db in
            try Execution.fetchAll(
                db, sql: "SELECT * FROM executions WHERE status = 'running' AND started_at IS NULL AND sync = 0 ORDER BY created_at, rowid")
        }
    }

    /// Every execution still `running`, oldest first: with the status written out, so that
    /// SQLite reads them from their partial index rather than every row.
    public func runningExecutions() async throws -> [Execution] {
        try await db.read { db in
            try Execution.fetchAll(db, sql: "SELECT * FROM executions WHERE status = 'running' ORDER BY created_at, rowid")
        }
    }

    /// Notes that a worker took the execution: from now on a crash fails it instead of re-running it.
    public func markExecutionStarted(id: String) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE executions SET started_at = ? WHERE id = ?", arguments: [Date(), id])
        }
    }

    /// Records how an async execution ended, with its log, in one transaction, on the
    /// caller's thread. Nothing happens if it was deleted meanwhile (a
    /// running execution is stopped by deleting it).
    public func finishExecution(id: String, status: Execution.Status, result: String, log: String?) throws {
        try writeNow { db in
            try db.cachedStatement(sql: "UPDATE executions SET status = ?, result = ?, updated_at = ? WHERE id = ?")
                .execute(arguments: [status.rawValue, result, StoredDate(Date()), id])
            if db.changesCount > 0, let log, !log.isEmpty {
                try db.cachedStatement(sql: "INSERT OR REPLACE INTO execution_logs (execution_id, text) VALUES (?, ?)").execute(arguments: [id, log])
            }
        }
    }

    /// Stores a sync execution that has ended, with its log, and counts it: its only write (it
    /// is shown from memory while it runs, and until `stored` is called). Returns before it
    /// is stored (`FinishedExecutions` says when it is). `deleted` is asked inside the
    /// transaction: a delete marks the execution before its own write, so whichever
    /// transaction runs second sees the other's effect and a deleted execution is never stored.
    public func storeFinishedExecution(
        _ execution: Execution, log: String?, deleted: @escaping @Sendable () -> Bool, stored: @escaping @Sendable ((any Error)?) -> Void
    ) async {
        await finishedExecutions.add(.init(execution: execution, log: log, deleted: deleted, stored: stored))
    }

    /// Returns once every sync execution that ended before the call is stored and counted.
    public func finishedExecutionsStored() async {
        await finishedExecutions.flush()
    }

    public func executionLog(id: String) async throws -> String? {
        try readNow { db in try String.fetchOne(db.cachedStatement(sql: "SELECT text FROM execution_logs WHERE execution_id = ?"), arguments: [id]) }
    }

    @discardableResult
    public func deleteExecution(id: String) async throws -> Bool {
        try await write { db in try Execution.deleteOne(db, key: id) }
    }
}
