import GRDB
import HearthCore

extension AccessCredential: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "access_credentials"
}

extension FunctionGraphSettings: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "functiongraph_settings"
}

extension AsyncInvokeConfig: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "async_invoke_configs"
}

extension FunctionGraphVersionName: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "functiongraph_versions"
}
