import Foundation
import GRDB
import HearthCore

extension Store {
    /// How a request for a new version ended; decided inside one transaction so that two
    /// concurrent requests cannot both take the same number or both pass the limit.
    public enum VersionCreation: Sendable {
        case created(FunctionVersion)
        case functionMissing
        case limitReached
        /// The current package is the one the latest version already has.
        case unchanged(latest: Int)
    }

    /// Snapshots a function's current package as its next version. Numbers come from
    /// `versions_issued`, so a deleted number is never issued again.
    public func createVersion(functionID: String, description: String?, maxVersions: Int) async throws -> VersionCreation {
        try await write { db in
            guard var function = try Function.fetchOne(db, key: functionID) else { return .functionMissing }
            let existing = try FunctionVersion.filter(Column("function_id") == functionID).order(Column("version_number").desc).fetchAll(db)
            if existing.count >= maxVersions { return .limitReached }
            if let latest = existing.first, latest.packageMD5 == function.packageMD5 { return .unchanged(latest: latest.versionNumber) }
            let number = max(function.versionsIssued, function.latestVersion) + 1
            let version = FunctionVersion(
                id: Identifier.make(), functionID: functionID, versionNumber: number, description: description,
                packageMD5: function.packageMD5, projectID: function.projectID, createdAt: Date()
            )
            try version.insert(db)
            function.latestVersion = number
            function.versionsIssued = number
            try function.update(db)
            return .created(version)
        }
    }

    /// A function's versions, by number.
    public func versions(functionID: String) async throws -> [FunctionVersion] {
        try await db.read { db in
            try FunctionVersion.filter(Column("function_id") == functionID).order(Column("version_number")).fetchAll(db)
        }
    }

    public func version(functionID: String, number: Int) async throws -> FunctionVersion? {
        try await db.read { db in
            try FunctionVersion.filter(Column("function_id") == functionID && Column("version_number") == number).fetchOne(db)
        }
    }

    /// Deletes a version; `latest_version` becomes the highest number left (0 when none).
    @discardableResult
    public func deleteVersion(functionID: String, number: Int) async throws -> Bool {
        try await write { db in
            let deleted = try FunctionVersion.filter(Column("function_id") == functionID && Column("version_number") == number).deleteAll(db)
            try db.execute(
                sql: """
                    UPDATE functions SET latest_version =
                        (SELECT COALESCE(MAX(version_number), 0) FROM function_versions WHERE function_id = ?)
                    WHERE id = ?
                    """,
                arguments: [functionID, functionID]
            )
            return deleted > 0
        }
    }
}
