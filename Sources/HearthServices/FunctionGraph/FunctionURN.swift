/// A function URN as FunctionGraph accepts it, in every short and long form:
///
///     <name>                                   package default, the caller's project, latest
///     <package>:<name>
///     <project>:<package>:<name>
///     <project>:<package>:<name>:<qualifier>
///     urn:fss:<region>:<project>:function:<package>:<name>
///     urn:fss:<region>:<project>:function:<package>:<name>:<qualifier>
///
/// The qualifier is `latest`, a version name, or `!alias`. Callers percent-decode the path
/// segment first. The region is ignored.
public struct FunctionURN: Sendable, Equatable {
    public enum Qualifier: Sendable, Equatable {
        case latest
        /// A version name, or an alias of that name when no version has it.
        case version(String)
        /// `!name`: an alias only.
        case alias(String)
    }

    /// nil when the short form leaves it to the path's project.
    public var projectID: String?
    public var package: String
    public var name: String
    public var qualifier: Qualifier

    public init(projectID: String?, package: String, name: String, qualifier: Qualifier = .latest) {
        self.projectID = projectID
        self.package = package
        self.name = name
        self.qualifier = qualifier
    }

    public static let region = "local"

    public init(parsing text: String) throws(FunctionGraphError) {
        let fields = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var qualifier: String?
        switch fields.count {
        case 1:
            (projectID, package, name) = (nil, "default", fields[0])
        case 2:
            (projectID, package, name) = (nil, fields[0], fields[1])
        case 3, 4:
            (projectID, package, name) = (fields[0], fields[1], fields[2])
            qualifier = fields.count == 4 ? fields[3] : nil
        case 7, 8:
            guard fields[0] == "urn", fields[1] == "fss", fields[4] == "function" else {
                throw .invalidURN(text, "expected urn:fss:<region>:<project_id>:function:<package>:<function_name>[:<version or !alias>]")
            }
            (projectID, package, name) = (fields[3], fields[5], fields[6])
            qualifier = fields.count == 8 ? fields[7] : nil
        default:
            throw .invalidURN(text, "it has \(fields.count) colon-separated fields; use 1, 2, 3, 4, 7 or 8")
        }
        if let projectID, !Self.isToken(projectID) { throw .invalidURN(text, "the project id '\(projectID)' is not valid") }
        guard Self.isToken(package) else { throw .invalidURN(text, "the package '\(package)' is not valid") }
        // Qinling allows any name; only those FunctionGraph could name are reachable here.
        guard Self.isToken(name, maxLength: 255) else {
            throw .invalidURN(text, "the function name '\(name)' is not valid (letters, digits, '-', '_' and '.')")
        }
        switch qualifier {
        case nil, "latest"?:
            self.qualifier = .latest
        case let q? where q.hasPrefix("!"):
            let alias = String(q.dropFirst())
            guard Self.isToken(alias) else { throw .invalidURN(text, "the alias '\(alias)' is not valid") }
            self.qualifier = .alias(alias)
        case let q?:
            guard Self.isToken(q) else { throw .invalidURN(text, "the version '\(q)' is not valid") }
            self.qualifier = .version(q)
        }
    }

    /// `urn:fss:local:<project>:function:<package>:<name>`, with `:<qualifier>` when asked.
    public static func string(projectID: String, package: String, name: String, qualifier: String? = nil) -> String {
        "urn:fss:\(region):\(projectID):function:\(package):\(name)" + (qualifier.map { ":\($0)" } ?? "")
    }

    /// Letters, digits, `-`, `_` and `.`, 1 to `maxLength` characters.
    static func isToken(_ text: String, maxLength: Int = 64) -> Bool {
        !text.isEmpty && text.count <= maxLength && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }
    }
}
