import Foundation
import HearthCore
import HearthStore

/// Numbered, immutable snapshots of a function's package.
extension FunctionService {
    public func createVersion(id: String, description: String?, by caller: Caller) async throws -> FunctionVersion {
        try Limits.checkLength(description, field: "description", max: 255)
        // Another project's function is invisible here, even to an admin (Qinling: 404).
        _ = try await owned(id: id, by: caller)
        switch try await store.createVersion(functionID: id, description: description, maxVersions: settings.maxVersions) {
        case .created(let version):
            logger.info("function version created", metadata: ["function_id": "\(id)", "version": "\(version.versionNumber)"])
            return version
        case .functionMissing:
            throw ServiceError.notFound("Function not found [id=\(id)]")
        case .limitReached:
            throw ServiceError.notAllowed(
                "Can not exceed maximum number(\(settings.maxVersions)) of versions; delete an old version first."
            )
        case .unchanged(let latest):
            throw ServiceError.notAllowed("Function package not changed since the latest version \(latest).")
        }
    }

    public func versions(id: String, by caller: Caller) async throws -> [FunctionVersion] {
        let function = try await show(id: id, by: caller)
        return try await store.versions(functionID: function.id)
    }

    public func version(id: String, number: Int, by caller: Caller) async throws -> FunctionVersion {
        let function = try await show(id: id, by: caller)
        guard let version = try await store.version(functionID: function.id, number: number) else {
            throw Self.versionNotFound(id, number)
        }
        return version
    }

    /// The package a version snapshotted, for `?download=true`.
    public func versionPackage(id: String, number: Int, by caller: Caller) async throws -> Data {
        let version = try await version(id: id, number: number, by: caller)
        do {
            return try store.packages.read(functionID: id, md5: version.packageMD5)
        } catch {
            logger.error("package file missing", metadata: ["function_id": "\(id)", "version": "\(number)", "error": "\(error)"])
            throw ServiceError.notFound("Storage file not found for version \(number) of function \(id).")
        }
    }

    /// Deletes a version no alias, webhook or unfinished job uses; its number is not reused.
    public func deleteVersion(id: String, number: Int, by caller: Caller) async throws {
        _ = try await owned(id: id, by: caller)
        guard try await store.version(functionID: id, number: number) != nil else { throw Self.versionNotFound(id, number) }
        let references = try await store.references(toFunction: id, version: number)
        if references.activeJobs > 0 { throw ServiceError.notAllowed("The function version is still associated with running job(s).") }
        if references.webhooks > 0 { throw ServiceError.notAllowed("The function version is still associated with webhook(s).") }
        if references.aliases > 0 { throw ServiceError.notAllowed("The function version is still associated with alias(es).") }
        try await store.deleteVersion(functionID: id, number: number)
        await pool?.detach(functionID: id, version: number)
        store.packages.prune(functionID: id, keep: try await store.packageMD5sInUse(functionID: id))
        logger.info("function version deleted", metadata: ["function_id": "\(id)", "version": "\(number)"])
    }

    static func versionNotFound(_ id: String, _ number: Int) -> ServiceError {
        .notFound("FunctionVersion not found [function_id=\(id), version_number=\(number)]")
    }
}
