import GRDB
import HearthCore

extension Store {
    public func insertRuntime(_ runtime: Runtime) async throws {
        try await write { db in try runtime.insert(db) }
    }

    public func runtime(id: String) async throws -> Runtime? {
        try await db.read { db in try Runtime.fetchOne(db, key: id) }
    }

    /// The status of the runtime a sync call checks, nil if there is none: usually from
    /// memory (`DefinitionCache`), else the one column, read on the caller's thread.
    public func runtimeStatusNow(id: String) throws -> Runtime.Status? {
        try definitions.runtimeStatus(id: id) {
            try readNow { db in
                try String.fetchOne(db.cachedStatement(sql: "SELECT status FROM runtimes WHERE id = ?"), arguments: [id]).flatMap(Runtime.Status.init(rawValue:))
            }
        }
    }

    /// Runtimes in creation order.
    public func runtimes(_ query: ListQuery) async throws -> [Runtime] {
        let (condition, arguments) = query.sqlCondition()
        return try await db.read { db in
            try Runtime.fetchAll(db, sql: "SELECT * FROM runtimes WHERE \(condition) ORDER BY created_at, rowid", arguments: arguments)
        }
    }

    public func runtimes(status: Runtime.Status) async throws -> [Runtime] {
        try await db.read { db in
            try Runtime.filter(Column("status") == status.rawValue).order(Column("created_at")).fetchAll(db)
        }
    }

    public func updateRuntime(_ runtime: Runtime) async throws {
        try await write { db in try runtime.update(db) }
    }

    /// Sets a runtime's status unless it was deleted meanwhile; returns the updated runtime.
    @discardableResult
    public func setRuntimeStatus(id: String, _ status: Runtime.Status, reason: String?) async throws -> Runtime? {
        try await write { db in
            guard var runtime = try Runtime.fetchOne(db, key: id) else { return nil }
            runtime.status = status
            runtime.statusReason = reason
            try runtime.update(db)
            return runtime
        }
    }

    /// How many functions (of any project) run on a runtime.
    public func functionCount(runtimeID: String) async throws -> Int {
        try await db.read { db in try Function.filter(Column("runtime_id") == runtimeID).fetchCount(db) }
    }

    /// Deletes a runtime; throws `StoreError.stillReferenced` if a function was created on it meanwhile.
    @discardableResult
    public func deleteRuntime(id: String) async throws -> Bool {
        try await write { db in try Runtime.deleteOne(db, key: id) }
    }
}
