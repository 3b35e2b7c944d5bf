import Foundation
import HearthCore
import HearthStore
import Logging

/// Aliases: a project-unique name for one version of one function. Executions resolve an
/// alias when they are created; jobs and webhooks at every firing.
public struct AliasService: Sendable {
    let store: Store
    let functions: FunctionService
    let logger: Logger

    public init(store: Store, functions: FunctionService, logger: Logger) {
        self.store = store
        self.functions = functions
        self.logger = logger
    }

    public static let filterableFields: [String: FilterField] = [
        "name": .text, "function_id": .text, "function_version": .int, "description": .text, "project_id": .text,
    ]

    public struct Draft: Sendable {
        public var name: String?
        public var functionID: String?
        public var functionVersion: Int?
        public var description: String?

        public init(name: String?, functionID: String?, functionVersion: Int?, description: String?) {
            self.name = name
            self.functionID = functionID
            self.functionVersion = functionVersion
            self.description = description
        }
    }

    public func create(_ draft: Draft, by caller: Caller) async throws -> FunctionAlias {
        var missing: [String] = []
        if (draft.name ?? "").isEmpty { missing.append("'name'") }
        if (draft.functionID ?? "").isEmpty { missing.append("'function_id'") }
        guard missing.isEmpty, let name = draft.name, let functionID = draft.functionID else {
            throw ServiceError.invalidInput("Required param is missing. Required: {\(missing.joined(separator: ", "))}")
        }
        try Self.checkName(name)
        try Limits.checkLength(draft.description, field: "description", max: 255)
        let target = try await functions.resolveTarget(functionID: functionID, alias: nil, version: draft.functionVersion, by: caller, ownedOnly: true)
        let alias = FunctionAlias(
            id: Identifier.make(), name: name, functionID: target.function.id, functionVersion: target.version,
            description: draft.description, projectID: caller.projectID, createdAt: Date()
        )
        try await Self.refusingDuplicates { try await store.insertAlias(alias) }
        logger.info("alias created", metadata: ["alias": "\(name)", "function_id": "\(functionID)", "version": "\(target.version)"])
        return alias
    }

    public func list(by caller: Caller, filters: [ListFilter], allProjects: Bool) async throws -> [FunctionAlias] {
        try await store.aliases(.projectScoped(for: caller, filters: filters, allowed: Self.filterableFields, allProjects: allProjects))
    }

    /// Aliases are named within the caller's project.
    public func show(name: String, by caller: Caller) async throws -> FunctionAlias {
        guard let alias = try await store.alias(name: name, projectID: caller.projectID) else {
            throw ServiceError.notFound("FunctionAlias not found [name=\(name)]")
        }
        return alias
    }

    /// Re-points an alias or changes its description; nil fields stay as they are. The name is fixed.
    public func update(name: String, functionID: String?, functionVersion: Int?, description: String?, by caller: Caller) async throws -> FunctionAlias {
        var alias = try await show(name: name, by: caller)
        try Limits.checkLength(description, field: "description", max: 255)
        if functionID != nil || functionVersion != nil {
            let target = try await functions.resolveTarget(
                functionID: functionID ?? alias.functionID, alias: nil, version: functionVersion ?? alias.functionVersion, by: caller, ownedOnly: true
            )
            alias.functionID = target.function.id
            alias.functionVersion = target.version
        }
        if let description { alias.description = description }
        alias.updatedAt = Date()
        let updated = alias
        try await Self.refusingDuplicates { try await store.updateAlias(updated) }
        return alias
    }

    /// Deletes an alias no job or webhook fires through.
    public func delete(name: String, by caller: Caller) async throws {
        let alias = try await show(name: name, by: caller)
        let users = try await store.aliasUsers(name: name, projectID: caller.projectID)
        if users.activeJobs > 0 {
            throw ServiceError.notAllowed("Alias \(name) is still used by \(users.activeJobs) job(s); cancel or delete them first.")
        }
        if users.webhooks > 0 {
            throw ServiceError.notAllowed("Alias \(name) is still used by \(users.webhooks) webhook(s); delete them or point them elsewhere first.")
        }
        try await store.deleteAlias(id: alias.id)
        logger.info("alias deleted", metadata: ["alias": "\(name)"])
    }

    /// Names appear in URL paths: printable, no slashes, at most 255 characters.
    static func checkName(_ name: String) throws {
        try Limits.checkLength(name, field: "name", max: 255)
        guard !name.contains("/"), name.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
            throw ServiceError.invalidInput("Alias name '\(name)' may not contain '/' or control characters.")
        }
    }

    /// The two uniqueness rules of aliases, as Qinling words them, plus what to do about them.
    static func refusingDuplicates(_ write: () async throws -> Void) async throws {
        do {
            try await write()
        } catch StoreError.duplicate(let table, let columns) {
            let hint = columns.contains("name") ? "an alias with this name exists" : "another alias already names this function version"
            throw ServiceError.invalidInput("Duplicate entry for \(table): [\(columns.map { "'\($0)'" }.joined(separator: ", "))] (\(hint)).")
        } catch StoreError.stillReferenced {
            throw ServiceError.notFound("The function was deleted meanwhile.")
        }
    }
}
