import GRDB
import HearthCore

/// FunctionGraph version names.
extension Store {
    public func insertVersionName(_ name: FunctionGraphVersionName) async throws {
        try await write { db in try name.insert(db) }
    }

    /// The names of a function's versions, by number.
    public func versionNames(functionID: String) async throws -> [Int: String] {
        try await db.read { db in
            let rows = try FunctionGraphVersionName.filter(Column("function_id") == functionID).fetchAll(db)
            return Dictionary(uniqueKeysWithValues: rows.map { ($0.versionNumber, $0.name) })
        }
    }

    public func versionNumber(functionID: String, name: String) async throws -> Int? {
        try await db.read { db in
            try FunctionGraphVersionName.filter(Column("function_id") == functionID && Column("name") == name).fetchOne(db)?.versionNumber
        }
    }
}
