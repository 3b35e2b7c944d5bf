import GRDB
import HearthCore

extension Store {
    public func insertFunction(_ function: Function) async throws {
        try await write { db in try function.insert(db) }
    }

    public func function(id: String) async throws -> Function? {
        try readNow { db in try Function.fetchOne(db.cachedStatement(sql: "SELECT * FROM functions WHERE id = ?"), arguments: [id]) }
    }

    /// The function as a call runs it, usually from memory (`DefinitionCache`): every call
    /// reads its function. Its `count` may be behind; everything else is as last committed.
    public func functionToRun(id: String) throws -> Function? {
        try definitions.function(id: id) {
            try readNow { db in try Function.fetchOne(db.cachedStatement(sql: "SELECT * FROM functions WHERE id = ?"), arguments: [id]) }
        }
    }

    /// Functions in creation order (Qinling's order was by UUID, i.e. random).
    public func functions(_ query: ListQuery) async throws -> [Function] {
        let (condition, arguments) = query.sqlCondition()
        return try await db.read { db in
            try Function.fetchAll(db, sql: "SELECT * FROM functions WHERE \(condition) ORDER BY created_at, rowid", arguments: arguments)
        }
    }

    public func updateFunction(_ function: Function) async throws {
        try await write { db in try function.update(db) }
    }

    @discardableResult
    public func deleteFunction(id: String) async throws -> Bool {
        try await write { db in try Function.deleteOne(db, key: id) }
    }

    /// What still refers to a function and would keep it from being changed or deleted.
    public struct FunctionReferences: Sendable, Equatable {
        /// Jobs that are neither done nor cancelled.
        public var activeJobs: Int
        public var webhooks: Int
        public var aliases: Int
    }

    public func references(toFunction id: String, version: Int? = nil) async throws -> FunctionReferences {
        try await db.read { db in
            var jobs = Job.filter(Column("function_id") == id && ![Job.Status.done.rawValue, Job.Status.cancelled.rawValue].contains(Column("status")))
            var webhooks = Webhook.filter(Column("function_id") == id)
            var aliases = FunctionAlias.filter(Column("function_id") == id)
            if let version {
                jobs = jobs.filter(Column("function_version") == version)
                webhooks = webhooks.filter(Column("function_version") == version)
                aliases = aliases.filter(Column("function_version") == version)
            }
            return FunctionReferences(activeJobs: try jobs.fetchCount(db), webhooks: try webhooks.fetchCount(db), aliases: try aliases.fetchCount(db))
        }
    }

    /// The package md5s a function still needs: its current package and every version's.
    public func packageMD5sInUse(functionID: String) async throws -> Set<String> {
        try await db.read { db in
            var md5s = Set(try String.fetchAll(db, sql: "SELECT package_md5 FROM function_versions WHERE function_id = ?", arguments: [functionID]))
            if let current = try String.fetchOne(db, sql: "SELECT package_md5 FROM functions WHERE id = ?", arguments: [functionID]) {
                md5s.insert(current)
            }
            return md5s
        }
    }
}
