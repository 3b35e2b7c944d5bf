import Foundation
import HearthCore

/// A function as the FunctionGraph face shows it: the Hearth function, its FunctionGraph
/// settings (or the defaults of a function made through the Qinling API) and its code's
/// size and digest.
public struct FunctionGraphFunction: Sendable {
    public var function: Function
    public var package: String
    public var runtime: String
    public var userData: String?
    public var codeType: String
    public var codeFilename: String?
    /// `strategy_config.concurrency`: -1 unlimited, 0 disabled.
    public var concurrency: Int
    /// `latest` or a version name.
    public var version: String
    public var codeSize: Int
    /// SHA-512 hex of the package.
    public var digest: String
    public var lastModified: Date

    public var name: String { function.name ?? function.id }

    /// The URN, qualified with the version (`…:latest`) or not.
    public func urn(qualified: Bool) -> String {
        FunctionURN.string(projectID: function.projectID, package: package, name: name, qualifier: qualified ? version : nil)
    }
}

/// One page of a FunctionGraph list: `marker` is an offset; the next marker and the total come back.
func page<T>(_ all: [T], marker: Int, maxItems: Int) -> (items: [T], nextMarker: Int, count: Int) {
    let items = Array(all.dropFirst(marker).prefix(maxItems))
    return (items, marker + items.count, all.count)
}

/// A function URN resolved in a project: which function, and which of its versions.
public struct ResolvedFunction: Sendable {
    public var function: Function
    public var settings: FunctionGraphSettings?
    /// Qinling's version number; 0 is `latest`.
    public var version: Int
    public var versionName: String
    /// The package that version runs (a published version keeps its snapshot).
    public var packageMD5: String
    /// The alias the URN named, if it named one.
    public var alias: String?
    /// When the version was published (the function's last change for `latest`).
    public var modified: Date
    public var package: String { settings?.package ?? "default" }

    init(function: Function, settings: FunctionGraphSettings?) {
        self.init(function: function, settings: settings, version: 0, versionName: "latest", packageMD5: function.packageMD5,
                  alias: nil, modified: function.updatedAt ?? function.createdAt)
    }

    init(function: Function, settings: FunctionGraphSettings?, version: Int, versionName: String, packageMD5: String, alias: String?, modified: Date) {
        self.function = function
        self.settings = settings
        self.version = version
        self.versionName = versionName
        self.packageMD5 = packageMD5
        self.alias = alias
        self.modified = modified
    }
}

/// The fields of a function create or config update, as sent (type-checked by the API).
public struct FunctionGraphFunctionDraft: Sendable {
    public var funcName: String?
    public var package: String?
    public var runtime: String?
    public var handler: String?
    /// MB.
    public var memorySize: Int?
    /// Seconds.
    public var timeout: Int?
    public var codeType: String?
    public var codeFilename: String?
    /// `func_code.file`: base64 of a zip.
    public var codeFile: String?
    public var userData: String?
    public var description: String?
    public var concurrency: Int?

    public init(
        funcName: String? = nil, package: String? = nil, runtime: String? = nil, handler: String? = nil,
        memorySize: Int? = nil, timeout: Int? = nil, codeType: String? = nil, codeFilename: String? = nil,
        codeFile: String? = nil, userData: String? = nil, description: String? = nil, concurrency: Int? = nil
    ) {
        self.funcName = funcName
        self.package = package
        self.runtime = runtime
        self.handler = handler
        self.memorySize = memorySize
        self.timeout = timeout
        self.codeType = codeType
        self.codeFilename = codeFilename
        self.codeFile = codeFile
        self.userData = userData
        self.description = description
        self.concurrency = concurrency
    }
}
