import Foundation
import HearthCore
import HearthStore
import Logging

/// FunctionGraph versions and aliases, as Qinling function versions and aliases: a published
/// version is a numbered snapshot with a FunctionGraph name beside it; an alias is a Qinling
/// alias of the function (one per version, names project-wide).
public struct FunctionGraphVersions: Sendable {
    let store: Store
    let settings: ServiceSettings
    let functions: FunctionGraphFunctions
    let aliases: AliasService
    let logger: Logger

    public static let maxAliases = 10

    // MARK: - Versions

    /// Publishes the function's current code as a version named `name` (default
    /// `vYYYYMMDD-HHMMSS`). `digest`, if given, must be the current code's.
    public func publish(_ head: ResolvedFunction, name: String?, description: String?, digest: String?, by caller: Caller) async throws -> FunctionGraphFunction {
        try functions.latestOnly(head, "versions")
        let name = try Self.checkVersionName(name.flatMap { $0.isEmpty ? nil : $0 } ?? Self.generatedName(Date()))
        try await FunctionGraphError.translating { try Limits.checkLength(description, field: "description", max: 255) }
        if let digest, !digest.isEmpty, digest != (try await functions.view(head)).digest {
            throw FunctionGraphError.invalid("digest does not match the function's current code: publish what you have checked, or omit digest.")
        }
        if try await store.versionNumber(functionID: head.function.id, name: name) != nil {
            throw FunctionGraphError(.conflict, "FSS.1062", "The version '\(name)' already exists.")
        }
        let version: FunctionVersion
        switch try await store.createVersion(functionID: head.function.id, description: description, maxVersions: settings.maxVersions) {
        case .created(let created): version = created
        case .functionMissing: throw FunctionGraphError.functionNotFound()
        case .limitReached:
            throw FunctionGraphError(.forbidden, "FSS.1042", "The function has \(settings.maxVersions) versions, the most this daemon allows (max_versions); delete one first.")
        case .unchanged(let latest):
            let existing = try await functions.versionName(latest, functionID: head.function.id)
            throw FunctionGraphError(.badRequest, "FSS.1016", "The function cannot be published because no changes have been made since version '\(existing)'.")
        }
        do {
            try await store.insertVersionName(FunctionGraphVersionName(functionID: head.function.id, versionNumber: version.versionNumber, name: name))
        } catch StoreError.duplicate {
            _ = try? await store.deleteVersion(functionID: head.function.id, number: version.versionNumber)
            throw FunctionGraphError(.conflict, "FSS.1062", "The version '\(name)' already exists.")
        }
        logger.info("function version published", metadata: ["function_id": "\(head.function.id)", "version": "\(version.versionNumber)", "name": "\(name)"])
        guard let resolved = try await functions.version(version.versionNumber, of: head) else { throw FunctionGraphError.versionNotFound(name) }
        return try await functions.view(resolved)
    }

    /// `latest` and the published versions, oldest first, a page at a time.
    public func list(_ head: ResolvedFunction, marker: Int, maxItems: Int) async throws -> (items: [FunctionGraphFunction], nextMarker: Int, count: Int) {
        var all = [try await functions.view(head)]
        for record in try await store.versions(functionID: head.function.id) {
            if let resolved = try await functions.version(record.versionNumber, of: head) { all.append(try await functions.view(resolved)) }
        }
        return page(all, marker: marker, maxItems: maxItems)
    }

    /// `DELETE …/{urn}`: with `latest` or no qualifier the whole function, its versions and
    /// aliases (FunctionGraph's semantics); with a version name only that version, once no
    /// alias points to it.
    public func delete(_ resolved: ResolvedFunction, by caller: Caller) async throws {
        if resolved.version == 0, resolved.alias == nil {
            try await deleteAliases(of: resolved, by: caller)
            return try await functions.delete(resolved, by: caller)
        }
        guard resolved.alias == nil else {
            throw FunctionGraphError.invalid("Name a version, not an alias, to delete it; DELETE …/aliases/\(resolved.alias!) deletes the alias.")
        }
        do {
            try await functions.functions.deleteVersion(id: resolved.function.id, number: resolved.version, by: caller)
        } catch ServiceError.notAllowed(let message) {
            throw FunctionGraphError(.conflict, "FSS.0409", message)
        } catch let error as ServiceError {
            throw FunctionGraphError.wrapping(error)
        }
    }

    // MARK: - Aliases

    public func createAlias(_ head: ResolvedFunction, name: String?, version: String?, description: String?, weightsGiven: Bool, by caller: Caller) async throws -> FunctionGraphAlias {
        try functions.latestOnly(head, "aliases")
        guard let name, Self.isAliasName(name) else {
            throw FunctionGraphError(.badRequest, "FSS.1014", "Invalid alias name '\(name ?? "")': at most 64 letters, digits, '-' and '_', starting with a letter.")
        }
        try Self.refuseWeights(weightsGiven)
        let target = try await versionTarget(version, of: head)
        let existing = try await functionAliases(head)
        guard existing.count < Self.maxAliases else {
            throw FunctionGraphError(.forbidden, "FSS.1043", "The function has \(Self.maxAliases) aliases, the most allowed.")
        }
        if try await store.alias(name: name, projectID: caller.projectID) != nil {
            throw FunctionGraphError(.conflict, "FSS.1063", "The alias '\(name)' already exists in this project (alias names are project-wide in Hearth).")
        }
        if let other = existing.first(where: { $0.functionVersion == target.version }) {
            throw FunctionGraphError(.conflict, "FSS.1066", "The version '\(target.versionName)' is already in use by alias '\(other.name)'.")
        }
        let alias = try await FunctionGraphError.translating(badRequestCode: "FSS.1014") {
            try await aliases.create(.init(name: name, functionID: head.function.id, functionVersion: target.version, description: description), by: caller)
        }
        return try await view(alias, of: head)
    }

    public func listAliases(_ head: ResolvedFunction) async throws -> [FunctionGraphAlias] {
        var views: [FunctionGraphAlias] = []
        for alias in try await functionAliases(head) { views.append(try await view(alias, of: head)) }
        return views
    }

    public func showAlias(_ head: ResolvedFunction, name: String) async throws -> FunctionGraphAlias {
        try await view(try await alias(name, of: head), of: head)
    }

    public func updateAlias(_ head: ResolvedFunction, name: String, version: String?, description: String?, weightsGiven: Bool, by caller: Caller) async throws -> FunctionGraphAlias {
        let current = try await alias(name, of: head)
        try Self.refuseWeights(weightsGiven)
        var number: Int?
        if let version {
            let target = try await versionTarget(version, of: head)
            if let other = try await functionAliases(head).first(where: { $0.functionVersion == target.version && $0.name != name }) {
                throw FunctionGraphError(.conflict, "FSS.1066", "The version '\(target.versionName)' is already in use by alias '\(other.name)'.")
            }
            number = target.version
        }
        let updated = try await FunctionGraphError.translating {
            try await aliases.update(name: current.name, functionID: head.function.id, functionVersion: number, description: description, by: caller)
        }
        return try await view(updated, of: head)
    }

    public func deleteAlias(_ head: ResolvedFunction, name: String, by caller: Caller) async throws {
        let alias = try await alias(name, of: head)
        try await FunctionGraphError.translating { try await aliases.delete(name: alias.name, by: caller) }
    }

    /// Deletes every alias of a function, so that deleting the whole function (FunctionGraph
    /// semantics) is not refused by its aliases.
    func deleteAliases(of head: ResolvedFunction, by caller: Caller) async throws {
        for alias in try await functionAliases(head) {
            try await FunctionGraphError.translating { try await aliases.delete(name: alias.name, by: caller) }
        }
    }

    // MARK: - Helpers

    func functionAliases(_ head: ResolvedFunction) async throws -> [FunctionAlias] {
        try await store.aliases(ListQuery(scope: .project(head.function.projectID), filters: [ListFilter(field: "function_id", expression: head.function.id)]))
    }

    func alias(_ name: String, of head: ResolvedFunction) async throws -> FunctionAlias {
        guard let alias = try await store.alias(name: name, projectID: head.function.projectID), alias.functionID == head.function.id else {
            throw FunctionGraphError.aliasNotFound(name)
        }
        return alias
    }

    /// The version an alias should point to: `latest` or a version name.
    func versionTarget(_ version: String?, of head: ResolvedFunction) async throws -> ResolvedFunction {
        guard let version, !version.isEmpty else {
            throw FunctionGraphError(.badRequest, "FSS.1015", "version is required: `latest` or the name of a published version.")
        }
        if version == "latest" { return head }
        guard let resolved = try await functions.version(named: version, of: head) else { throw FunctionGraphError.versionNotFound(version) }
        return resolved
    }

    func view(_ alias: FunctionAlias, of head: ResolvedFunction) async throws -> FunctionGraphAlias {
        FunctionGraphAlias(
            name: alias.name, version: try await functions.versionName(alias.functionVersion, functionID: head.function.id),
            description: alias.description ?? "", lastModified: alias.updatedAt ?? alias.createdAt,
            urn: FunctionURN.string(projectID: head.function.projectID, package: head.package, name: head.function.name ?? head.function.id, qualifier: "!\(alias.name)")
        )
    }

    static func refuseWeights(_ given: Bool) throws(FunctionGraphError) {
        if given {
            throw FunctionGraphError(.badRequest, "FSS.1014", "additional_version_weights and additional_version_strategy (traffic shifting) are not supported by Hearth: an alias points to one version.")
        }
    }

    /// Letters, digits, `-`, `_` and `.`, starting with a letter; not `latest`, not only digits
    /// (a number names a version published through Qinling).
    static func checkVersionName(_ name: String) throws(FunctionGraphError) -> String {
        guard name != "latest", name.first?.isLetter == true, FunctionURN.isToken(name) else {
            throw FunctionGraphError(.badRequest, "FSS.1015", "Invalid version name '\(name)': at most 64 letters, digits, '-', '_' and '.', starting with a letter, not 'latest'.")
        }
        return name
    }

    static func isAliasName(_ name: String) -> Bool {
        name.count <= 64 && name.first?.isASCII == true && name.first?.isLetter == true
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    /// `vYYYYMMDD-HHMMSS`, UTC, as FunctionGraph names versions it generates.
    static func generatedName(_ date: Date) -> String {
        let stamp = Timestamp.format(date)  // YYYY-MM-DDTHH:MM:SSZ
        let digits = stamp.filter(\.isNumber)
        return "v\(digits.prefix(8))-\(digits.dropFirst(8).prefix(6))"
    }
}
