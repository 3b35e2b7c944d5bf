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

    /// The insert on every call's path, spelled out: GRDB's Codable insert costs half as much
    /// again as the statement. `StoreTests` checks that it stores every field as `insert` does.
    static let insertSQL = """
        INSERT INTO executions (id, function_id, function_version, function_alias, description, status, sync, input, result,
        project_id, created_at, updated_at, started_at, destination_chain) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// The columns in `insertSQL`'s order.
    static let columns = "id, function_id, function_version, function_alias, description, status, sync, input, result, project_id, created_at, updated_at, started_at, destination_chain"

    /// One row of `columns` from `insertArguments`, for a row that is not in the table. Each
    /// value is cast to its column's affinity, so that a list filter compares it as it would
    /// the stored column (`function_version=2`, `sync=1`); the dates are left as the text
    /// they are stored as (a cast to NUMERIC would cut them to the year), and are not filtered.
    static let liveRow = "CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BOOLEAN), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), ?, ?, ?, CAST(? AS TEXT)"

    var insertArguments: StatementArguments {
        [id, functionID, functionVersion, functionAlias, description, status.rawValue, sync, input, result,
         projectID, StoredDate(createdAt), updatedAt.map(StoredDate.init), startedAt.map(StoredDate.init),
         // JSON text, as GRDB decodes an array column.
         destinationChain.map { JSONValue.array($0.map(JSONValue.string)).serialized }]
    }
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
