import GRDB

extension Schema {
    /// The FunctionGraph face: AK/SK credentials, and per-function settings and version names
    /// that Qinling has no field for. They go with their function (or version).
    static func createFunctionGraphTables(_ db: Database) throws {
        try db.create(table: "access_credentials") { t in
            t.primaryKey("access_key", .text)
            t.column("sealed_secret", .blob).notNull()
            t.column("project_id", .text).notNull()
            t.column("description", .text)
            t.column("created_at", .datetime).notNull()
        }

        try db.create(table: "functiongraph_settings") { t in
            t.primaryKey("function_id", .text).references("functions", onDelete: .cascade)
            t.column("package", .text).notNull()
            t.column("runtime", .text).notNull()
            t.column("user_data", .text)
            t.column("code_type", .text).notNull()
            t.column("code_filename", .text)
            t.column("concurrency", .integer)
            t.column("updated_at", .datetime).notNull()
        }

        try db.create(table: "async_invoke_configs") { t in
            t.primaryKey("function_id", .text).references("functions", onDelete: .cascade)
            t.column("max_async_event_age_in_seconds", .integer).notNull()
            t.column("max_async_retry_attempts", .integer).notNull()
            t.column("enable_async_status_log", .boolean).notNull()
            t.column("on_success", .text)
            t.column("on_failure", .text)
            t.column("created_at", .datetime).notNull()
            t.column("updated_at", .datetime).notNull()
        }

        // FunctionGraph names its versions ("v1"); Qinling numbers them. A name goes with its version.
        try db.create(table: "functiongraph_versions") { t in
            t.column("function_id", .text).notNull()
            t.column("version_number", .integer).notNull()
            t.column("name", .text).notNull()
            t.primaryKey(["function_id", "version_number"])
            t.uniqueKey(["function_id", "name"])
            t.foreignKey(["function_id", "version_number"], references: "function_versions", columns: ["function_id", "version_number"], onDelete: .cascade)
        }

        // Async records are listed per function, newest window first.
        try db.create(index: "executions_by_function", on: "executions", columns: ["function_id", "created_at"])
    }

    /// The functions whose executions led, destination by destination, to an execution (a
    /// JSON array of ids; NULL for the rest), so that a cycle of destinations ends.
    static func addDestinationChain(_ db: Database) throws {
        try db.alter(table: "executions") { t in
            t.add(column: "destination_chain", .text)
        }
    }
}
