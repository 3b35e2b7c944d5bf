import Foundation
import GRDB
import HearthCore

/// Queries of the FunctionGraph face: credentials, per-function settings, async configs.
extension Store {
    public func insertCredential(_ credential: AccessCredential) async throws {
        try await write { db in try credential.insert(db) }
    }

    public func credential(accessKey: String) async throws -> AccessCredential? {
        try await db.read { db in try AccessCredential.fetchOne(db, key: accessKey) }
    }

    public func credentials() async throws -> [AccessCredential] {
        try await db.read { db in try AccessCredential.order(Column("created_at"), Column("access_key")).fetchAll(db) }
    }

    public func deleteCredential(accessKey: String) async throws -> Bool {
        try await write { db in try AccessCredential.deleteOne(db, key: accessKey) }
    }

    public func functionGraphSettings(functionID: String) async throws -> FunctionGraphSettings? {
        try await db.read { db in try FunctionGraphSettings.fetchOne(db, key: functionID) }
    }

    public func saveFunctionGraphSettings(_ settings: FunctionGraphSettings) async throws {
        try await write { db in try settings.save(db) }
    }

    /// The functions of a project with this name, oldest first (Qinling does not keep names unique).
    public func functions(projectID: String, name: String) async throws -> [Function] {
        try await db.read { db in
            try Function.fetchAll(
                db, sql: "SELECT * FROM functions WHERE project_id = ? AND name = ? ORDER BY created_at, rowid",
                arguments: [projectID, name]
            )
        }
    }

    public func asyncInvokeConfig(functionID: String) async throws -> AsyncInvokeConfig? {
        try await db.read { db in try AsyncInvokeConfig.fetchOne(db, key: functionID) }
    }

    public func saveAsyncInvokeConfig(_ config: AsyncInvokeConfig) async throws {
        try await write { db in try config.save(db) }
    }

    @discardableResult
    public func deleteAsyncInvokeConfig(functionID: String) async throws -> Bool {
        try await write { db in try AsyncInvokeConfig.deleteOne(db, key: functionID) }
    }

    /// Ends an execution that is still running (a cancel); false if it had already ended.
    public func finishExecutionIfRunning(id: String, status: Execution.Status, result: String) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: "UPDATE executions SET status = ?, result = ?, updated_at = ? WHERE id = ? AND status = 'running'",
                arguments: [status.rawValue, result, Date(), id]
            )
            return db.changesCount > 0
        }
    }

    /// One page of a function's async executions in a time window, newest first, and how many
    /// match in all. `outcome` is an SQL condition on the row chosen by the caller from
    /// `AsyncRecordFilter`, never caller text.
    public func asyncExecutions(_ filter: AsyncRecordFilter) async throws -> (executions: [Execution], count: Int) {
        var clauses = ["function_id = ?", "sync = 0", "created_at >= ?", "created_at <= ?"]
        var arguments: StatementArguments = [filter.functionID, filter.begin, filter.end]
        if !filter.requestIDs.isEmpty {
            clauses.append("id IN (\(Array(repeating: "?", count: filter.requestIDs.count).joined(separator: ", ")))")
            _ = arguments.append(contentsOf: StatementArguments(filter.requestIDs))
        }
        if !filter.states.isEmpty {
            clauses.append("(" + filter.states.map(\.sqlCondition).joined(separator: " OR ") + ")")
        }
        let condition = clauses.joined(separator: " AND ")
        let (countArguments, pageArguments) = (arguments, arguments + [filter.limit, filter.offset])
        return try await db.read { db in
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM executions WHERE \(condition)", arguments: countArguments) ?? 0
            let rows = try Execution.fetchAll(
                db, sql: "SELECT * FROM executions WHERE \(condition) ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?",
                arguments: pageArguments
            )
            return (rows, count)
        }
    }
}

/// Which async executions of a function a FunctionGraph record list shows.
public struct AsyncRecordFilter: Sendable {
    /// How an execution stands, as FunctionGraph distinguishes it. Discarded and cancelled
    /// executions are `failed` rows whose result names the reason (`"error": "discarded"`).
    public enum State: Sendable, CaseIterable {
        /// Accepted, not yet on a worker (in the execution queue).
        case waiting
        case running, succeeded, failed, discarded

        var sqlCondition: String {
            switch self {
            case .waiting: return "(status = 'running' AND started_at IS NULL)"
            case .running: return "(status = 'running' AND started_at IS NOT NULL)"
            case .succeeded: return "status = 'success'"
            case .failed: return "(status IN ('failed', 'error') AND IFNULL(json_extract(result, '$.error'), '') != 'discarded')"
            case .discarded: return "(status = 'failed' AND json_extract(result, '$.error') = 'discarded')"
            }
        }
    }

    public var functionID: String
    public var requestIDs: [String]
    /// Empty: every state.
    public var states: [State]
    public var begin: Date
    public var end: Date
    public var offset: Int
    public var limit: Int

    public init(functionID: String, requestIDs: [String], states: [State], begin: Date, end: Date, offset: Int, limit: Int) {
        self.functionID = functionID
        self.requestIDs = requestIDs
        self.states = states
        self.begin = begin
        self.end = end
        self.offset = offset
        self.limit = limit
    }
}
