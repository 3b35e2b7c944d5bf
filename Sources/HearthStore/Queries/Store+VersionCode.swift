import GRDB
import HearthCore

/// What the workers of one function version load, as stored: which package and, for a
/// function made through FunctionGraph, its settings and the version's FunctionGraph name.
public struct VersionCode: Sendable, Equatable {
    public var packageMD5: String
    public var functionGraph: FunctionGraphSettings?
    /// Nil for version 0 and for a version FunctionGraph never named.
    public var versionName: String?

    public init(packageMD5: String, functionGraph: FunctionGraphSettings? = nil, versionName: String? = nil) {
        self.packageMD5 = packageMD5
        self.functionGraph = functionGraph
        self.versionName = versionName
    }
}

extension Store {
    /// The code a call of `version` of `function` runs, from memory between the commits that
    /// change it; nil if that version was deleted. Version 0 runs the function's own package,
    /// taken from `function` rather than kept: the function may have been read before an
    /// update that the cache has already seen.
    public func codeToRun(of function: Function, version: Int) throws -> VersionCode? {
        let (id, md5) = (function.id, function.packageMD5)
        let stored = try definitions.code(key: "\(id)@\(version)") {
            try readNow { db -> VersionCode? in
                var code = VersionCode(packageMD5: "")
                if version != 0 {
                    let versionMD5 = try String.fetchOne(
                        db.cachedStatement(sql: "SELECT package_md5 FROM function_versions WHERE function_id = ? AND version_number = ?"),
                        arguments: [id, version]
                    )
                    guard let versionMD5 else { return nil }
                    code.packageMD5 = versionMD5
                }
                code.functionGraph = try FunctionGraphSettings.fetchOne(db, key: id)
                if code.functionGraph != nil, version != 0 {
                    code.versionName = try String.fetchOne(
                        db.cachedStatement(sql: "SELECT name FROM functiongraph_versions WHERE function_id = ? AND version_number = ?"),
                        arguments: [id, version]
                    )
                }
                return code
            }
        }
        guard var code = stored else { return nil }
        if version == 0 { code.packageMD5 = md5 }
        return code
    }
}
