import GRDB

/// The schema, as ordered, named migrations. A migration is frozen once it has shipped:
/// change the schema by appending a new one.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: Qinling resources and API tokens", migrate: createQinlingResources)
        migrator.registerMigration("v2: durable execution queue", migrate: addExecutionStart)
        migrator.registerMigration("v4: FunctionGraph credentials and settings", migrate: createFunctionGraphTables)
        migrator.registerMigration("v5: the destination chain of an async execution", migrate: addDestinationChain)
        migrator.registerMigration("v6: fewer indexes for every execution stored", migrate: trimExecutionIndexes)
        return migrator
    }

    static func createQinlingResources(_ db: Database) throws {
        try db.create(table: "runtimes") { t in
            t.primaryKey("id", .text)
            t.column("name", .text)
            t.column("image", .text).notNull()
            t.column("description", .text)
            t.column("is_public", .boolean).notNull()
            t.column("trusted", .boolean).notNull()
            t.column("status", .text).notNull()
            t.column("status_reason", .text)
            t.column("project_id", .text).notNull()
            t.column("created_at", .datetime).notNull()
            t.column("updated_at", .datetime)
        }

        try db.create(table: "functions") { t in
            t.primaryKey("id", .text)
            t.column("name", .text)
            t.column("description", .text)
            // A runtime in use cannot be deleted.
            t.column("runtime_id", .text).notNull().indexed().references("runtimes", onDelete: .restrict)
            t.column("entry", .text).notNull()
            t.column("cpu", .integer).notNull()
            t.column("memory_size", .integer).notNull()
            t.column("timeout", .integer).notNull()
            t.column("package_md5", .text).notNull()
            t.column("count", .integer).notNull().defaults(to: 0)
            t.column("latest_version", .integer).notNull().defaults(to: 0)
            t.column("versions_issued", .integer).notNull().defaults(to: 0)
            t.column("project_id", .text).notNull().indexed()
            t.column("created_at", .datetime).notNull()
            t.column("updated_at", .datetime)
        }

        try db.create(table: "function_versions") { t in
            t.primaryKey("id", .text)
            t.column("function_id", .text).notNull().references("functions", onDelete: .cascade)
            t.column("version_number", .integer).notNull().check { $0 >= 1 }
            t.column("description", .text)
            t.column("package_md5", .text).notNull()
            t.column("count", .integer).notNull().defaults(to: 0)
            t.column("project_id", .text).notNull()
            t.column("created_at", .datetime).notNull()
            t.column("updated_at", .datetime)
            t.uniqueKey(["function_id", "version_number"])
        }

        try db.create(table: "function_aliases") { t in
            t.primaryKey("id", .text)
            t.column("name", .text).notNull()
            // An alias keeps its function alive: delete the alias first.
            t.column("function_id", .text).notNull().indexed().references("functions", onDelete: .restrict)
            t.column("function_version", .integer).notNull().defaults(to: 0)
            t.column("description", .text)
            t.column("project_id", .text).notNull()
            t.column("created_at", .datetime).notNull()
            t.column("updated_at", .datetime)
            t.uniqueKey(["project_id", "name"])
            t.uniqueKey(["project_id", "function_id", "function_version"])
        }

        // Executions outlive their function (Qinling keeps them), so function_id is not a foreign key.
        try db.create(table: "executions") { t in
            t.primaryKey("id", .text)
            t.column("function_id", .text).notNull().indexed()
            t.column("function_version", .integer).notNull().defaults(to: 0)
            t.column("function_alias", .text)
            t.column("description", .text)
            t.column("status", .text).notNull().indexed()
            t.column("sync", .boolean).notNull()
            t.column("input", .text)
            t.column("result", .text)
            t.column("project_id", .text).notNull()
            t.column("created_at", .datetime).notNull()
            t.column("updated_at", .datetime)
        }
        try db.create(index: "executions_by_project", on: "executions", columns: ["project_id", "created_at"])

        // Logs live apart from the rows so that listing executions never reads them.
        try db.create(table: "execution_logs") { t in
            t.primaryKey("execution_id", .text).references("executions", onDelete: .cascade)
            t.column("text", .text).notNull()
        }

        try db.create(table: "jobs") { t in
            t.primaryKey("id", .text)
            t.column("name", .text)
            // Finished jobs go with their function; running ones keep it from being deleted.
            t.column("function_id", .text).indexed().references("functions", onDelete: .cascade)
            t.column("function_alias", .text)
            t.column("function_version", .integer).notNull().defaults(to: 0)
            t.column("function_input", .text)
            t.column("status", .text).notNull()
            t.column("pattern", .text)
            t.column("count", .integer)
            t.column("first_execution_time", .datetime)
            t.column("next_execution_time", .datetime)
            t.column("project_id", .text).notNull()
            t.column("created_at", .datetime).notNull()
            t.column("updated_at", .datetime)
        }
        try db.create(index: "jobs_due", on: "jobs", columns: ["status", "next_execution_time"])

        try db.create(table: "webhooks") { t in
            t.primaryKey("id", .text)
            t.column("function_id", .text).indexed().references("functions", onDelete: .restrict)
            t.column("function_alias", .text)
            t.column("function_version", .integer)
            t.column("description", .text)
            t.column("project_id", .text).notNull()
            t.column("created_at", .datetime).notNull()
            t.column("updated_at", .datetime)
        }

        try db.create(table: "api_tokens") { t in
            t.primaryKey("id", .text)
            t.column("secret_hash", .text).notNull().unique()
            t.column("project_id", .text).notNull()
            t.column("is_admin", .boolean).notNull()
            t.column("description", .text)
            t.column("created_at", .datetime).notNull()
        }
    }

    /// When a worker took the execution. A `running` row without it never started, so after a
    /// crash it is run again rather than failed; the partial index finds those rows at start-up.
    static func addExecutionStart(_ db: Database) throws {
        try db.alter(table: "executions") { t in
            t.add(column: "started_at", .datetime)
        }
        try db.execute(sql: "CREATE INDEX executions_pending ON executions (created_at) WHERE status = 'running' AND started_at IS NULL")
    }

    /// Every execution stored updates each index of its table, most of a sync call's write.
    /// `function_id` alone is the prefix of `executions_by_function`; `status` is asked only
    /// for running ones (at start-up, and by filters), which a partial index finds without
    /// the finished rows, nearly all of them, being indexed at all; it serves the start-up
    /// query for queued ones too (`executions_pending`, a part of it).
    static func trimExecutionIndexes(_ db: Database) throws {
        try db.execute(sql: "DROP INDEX executions_on_function_id")
        try db.execute(sql: "DROP INDEX executions_on_status")
        try db.execute(sql: "DROP INDEX executions_pending")
        try db.execute(sql: "CREATE INDEX executions_running ON executions (created_at) WHERE status = 'running'")
    }
}
