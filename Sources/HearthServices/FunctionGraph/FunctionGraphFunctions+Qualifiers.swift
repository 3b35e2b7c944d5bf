import Foundation
import HearthCore
import HearthStore

/// URN qualifiers: FunctionGraph version names and aliases, over Qinling's numbered versions
/// and project-wide aliases.
extension FunctionGraphFunctions {
    /// A published version by its FunctionGraph name, or by its number when it has no name
    /// (published through Qinling); nil if there is none.
    func version(named name: String, of head: ResolvedFunction) async throws -> ResolvedFunction? {
        let functionID = head.function.id
        var number = try await store.versionNumber(functionID: functionID, name: name)
        if number == nil, let numeric = Int(name), numeric > 0, try await store.versionNames(functionID: functionID)[numeric] == nil {
            number = numeric
        }
        guard let number else { return nil }
        return try await version(number, of: head)
    }

    func version(_ number: Int, of head: ResolvedFunction) async throws -> ResolvedFunction? {
        if number == 0 { return head }
        guard let record = try await store.version(functionID: head.function.id, number: number) else { return nil }
        let name = try await store.versionNames(functionID: head.function.id)[number] ?? String(number)
        return ResolvedFunction(
            function: head.function, settings: head.settings, version: number, versionName: name,
            packageMD5: record.packageMD5, alias: nil, modified: record.createdAt
        )
    }

    /// The version an alias of this function points to; nil if the project has no such alias
    /// for this function (Hearth's alias names are project-wide, as Qinling's).
    func alias(named name: String, of head: ResolvedFunction) async throws -> ResolvedFunction? {
        guard let alias = try await store.alias(name: name, projectID: head.function.projectID), alias.functionID == head.function.id,
            var resolved = try await version(alias.functionVersion, of: head)
        else { return nil }
        resolved.alias = name
        return resolved
    }

    /// The FunctionGraph name of a version number: `latest`, its name, or the number.
    func versionName(_ number: Int, functionID: String) async throws -> String {
        if number == 0 { return "latest" }
        return try await store.versionNames(functionID: functionID)[number] ?? String(number)
    }
}
