import GRDB
import HearthCore

extension Store {
    public func insertAlias(_ alias: FunctionAlias) async throws {
        try await write { db in try alias.insert(db) }
    }

    public func alias(name: String, projectID: String) async throws -> FunctionAlias? {
        try await db.read { db in
            try FunctionAlias.filter(Column("project_id") == projectID && Column("name") == name).fetchOne(db)
        }
    }

    /// Aliases in creation order.
    public func aliases(_ query: ListQuery) async throws -> [FunctionAlias] {
        let (condition, arguments) = query.sqlCondition()
        return try await db.read { db in
            try FunctionAlias.fetchAll(db, sql: "SELECT * FROM function_aliases WHERE \(condition) ORDER BY created_at, rowid", arguments: arguments)
        }
    }

    public func updateAlias(_ alias: FunctionAlias) async throws {
        try await write { db in try alias.update(db) }
    }

    @discardableResult
    public func deleteAlias(id: String) async throws -> Bool {
        try await write { db in try FunctionAlias.deleteOne(db, key: id) }
    }

    /// Jobs (neither done nor cancelled) and webhooks of a project that fire through an alias.
    public func aliasUsers(name: String, projectID: String) async throws -> (activeJobs: Int, webhooks: Int) {
        try await db.read { db in
            let finished = [Job.Status.done.rawValue, Job.Status.cancelled.rawValue]
            let jobs = try Job.filter(Column("project_id") == projectID && Column("function_alias") == name && !finished.contains(Column("status"))).fetchCount(db)
            let webhooks = try Webhook.filter(Column("project_id") == projectID && Column("function_alias") == name).fetchCount(db)
            return (jobs, webhooks)
        }
    }
}
