import Foundation
import GRDB
import HearthCore

extension Store {
    /// Stores a new execution and counts it against its function (or version), as Qinling
    /// counts executions created, in one transaction.
    public func insertExecution(_ execution: Execution) async throws {
        try await write { db in
            try execution.insert(db)
            if execution.functionVersion == 0 {
                try db.execute(sql: "UPDATE functions SET count = count + 1 WHERE id = ?", arguments: [execution.functionID])
            } else {
                try db.execute(
                    sql: "UPDATE function_versions SET count = count + 1 WHERE function_id = ? AND version_number = ?",
                    arguments: [execution.functionID, execution.functionVersion]
                )
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

    /// Records how an execution ended, with its log, in one transaction. Nothing happens if it
    /// was deleted meanwhile (a running execution is stopped by deleting it).
    public func finishExecution(id: String, status: Execution.Status, result: String, log: String?) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE executions SET status = ?, result = ?, updated_at = ? WHERE id = ?",
                arguments: [status.rawValue, result, Date(), id]
            )
            if db.changesCount > 0, let log, !log.isEmpty {
                try db.execute(sql: "INSERT OR REPLACE INTO execution_logs (execution_id, text) VALUES (?, ?)", arguments: [id, log])
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
