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
            if execution.functionVersion == 0 {
                try db.cachedStatement(sql: "UPDATE functions SET count = count + 1 WHERE id = ?").execute(arguments: [execution.functionID])
            } else {
                try db.cachedStatement(sql: "UPDATE function_versions SET count = count + 1 WHERE function_id = ? AND version_number = ?")
                    .execute(arguments: [execution.functionID, execution.functionVersion])
            }
        }
    }

    public func execution(id: String) async throws -> Execution? {
        try await db.read { db in try Execution.fetchOne(db, key: id) }
    }

    /// Executions in creation order.
    public func executions(_ query: ListQuery) async throws -> [Execution] {
        let (condition, arguments) = query.sqlCondition()
        return try await db.read { db in
            try Execution.fetchAll(db, sql: "SELECT * FROM executions WHERE \(condition) ORDER BY created_at, rowid", arguments: arguments)
        }
    }

    /// Async executions accepted and not yet taken by a worker, oldest first.
    public func pendingExecutions() async throws -> [Execution] {
        try await db.read { db in
            try Execution.fetchAll(
                db, sql: "SELECT * FROM executions WHERE status = 'running' AND started_at IS NULL AND sync = 0 ORDER BY created_at, rowid")
        }
    }

    /// Notes that a worker took the execution: from now on a crash fails it instead of re-running it.
    public func markExecutionStarted(id: String) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE executions SET started_at = ? WHERE id = ?", arguments: [Date(), id])
        }
    }

    /// Records how an execution ended, with its log, in one transaction, on the caller's
    /// thread (a sync caller waits for it). Nothing happens if it was deleted meanwhile (a
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

    public func executionLog(id: String) async throws -> String? {
        try await db.read { db in try String.fetchOne(db, sql: "SELECT text FROM execution_logs WHERE execution_id = ?", arguments: [id]) }
    }

    @discardableResult
    public func deleteExecution(id: String) async throws -> Bool {
        try await write { db in try Execution.deleteOne(db, key: id) }
    }
}
