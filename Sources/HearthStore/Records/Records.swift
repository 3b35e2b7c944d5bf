import GRDB
import HearthCore

// The domain types are the records: their Codable keys are the column names, so a table and
// its type cannot drift apart. Only this target knows they are stored in SQLite.

extension Runtime: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "runtimes"
}

extension Function: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "functions"
}

extension FunctionVersion: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "function_versions"
}

extension FunctionAlias: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "function_aliases"
}

extension Execution: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "executions"
}

extension Job: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "jobs"
}

extension Webhook: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "webhooks"
}

extension APIToken: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "api_tokens"
}
