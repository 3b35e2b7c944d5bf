import HearthCore

/// What an execution runs: one version of one function, named directly or through an alias.
/// Executions, jobs and webhooks all resolve their target the same way.
public struct FunctionTarget: Sendable {
    /// As a call runs it: its `count` may be behind (`Store.functionToRun`).
    public var function: Function
    /// 0 is the function's current package.
    public var version: Int
    /// The alias the target was reached through, kept on the execution.
    public var alias: String?
}

extension FunctionService {
    /// Resolves `function_id` (+ `function_version`) or `function_alias` to a function version
    /// the caller may run. With `ownedOnly` the function must be the caller's project's even
    /// for admins, as Qinling requires for jobs and webhooks.
    public func resolveTarget(functionID: String?, alias: String?, version: Int?, by caller: Caller, ownedOnly: Bool = false) async throws -> FunctionTarget {
        let functionID = functionID.flatMap { $0.isEmpty ? nil : $0 }
        if let version, version < 0 {
            throw ServiceError.invalidInput("function_version must be 0 or a version number, got \(version).")
        }
        if let alias = alias.flatMap({ $0.isEmpty ? nil : $0 }) {
            guard functionID == nil, (version ?? 0) == 0 else {
                throw ServiceError.invalidInput("Give either function_alias or function_id (with function_version), not both: the alias names its function and version.")
            }
            guard let record = try await store.alias(name: alias, projectID: caller.projectID) else {
                throw ServiceError.notFound("FunctionAlias not found [name=\(alias)]")
            }
            let function = try runnable(id: record.functionID, by: caller, ownedOnly: ownedOnly)
            try await checkVersion(record.functionVersion, of: function)
            return FunctionTarget(function: function, version: record.functionVersion, alias: alias)
        }
        guard let functionID else {
            throw ServiceError.invalidInput("Either function_alias or function_id must be provided.")
        }
        let function = try runnable(id: functionID, by: caller, ownedOnly: ownedOnly)
        try await checkVersion(version ?? 0, of: function)
        return FunctionTarget(function: function, version: version ?? 0, alias: nil)
    }

    /// The function `show` (or, `ownedOnly`, `owned`) would give, as a call runs it.
    private func runnable(id: String, by caller: Caller, ownedOnly: Bool) throws -> Function {
        guard let function = try store.functionToRun(id: id),
              ownedOnly ? function.projectID == caller.projectID : caller.canRead(project: function.projectID) else {
            throw Self.notFound(id: id)
        }
        return function
    }
}
