import HearthCore

/// The fields of a function create request, already type-checked by the API.
public struct FunctionDraft: Sendable {
    public var name: String?
    public var description: String?
    public var runtimeID: String?
    public var entry: String?
    public var cpu: Int?
    public var memorySize: Int?
    public var timeout: Int?
    /// The `code` object: `{"source": "package", "md5sum": "…"}`.
    public var code: JSONValue?
    /// The zip sent as multipart field `package`.
    public var package: [UInt8]?

    public init(
        name: String? = nil, description: String? = nil, runtimeID: String? = nil, entry: String? = nil,
        cpu: Int? = nil, memorySize: Int? = nil, timeout: Int? = nil, code: JSONValue? = nil, package: [UInt8]? = nil
    ) {
        self.name = name
        self.description = description
        self.runtimeID = runtimeID
        self.entry = entry
        self.cpu = cpu
        self.memorySize = memorySize
        self.timeout = timeout
        self.code = code
        self.package = package
    }
}

/// The fields a function update may change; nil leaves a field as it is.
public struct FunctionPatch: Sendable {
    public var name: String?
    public var description: String?
    public var entry: String?
    public var cpu: Int?
    public var memorySize: Int?
    public var timeout: Int?
    public var code: JSONValue?
    public var package: [UInt8]?

    public init(
        name: String? = nil, description: String? = nil, entry: String? = nil, cpu: Int? = nil,
        memorySize: Int? = nil, timeout: Int? = nil, code: JSONValue? = nil, package: [UInt8]? = nil
    ) {
        self.name = name
        self.description = description
        self.entry = entry
        self.cpu = cpu
        self.memorySize = memorySize
        self.timeout = timeout
        self.code = code
        self.package = package
    }

    /// Qinling changes only the row (not the workers) when nothing else is touched.
    var isMetadataOnly: Bool {
        entry == nil && cpu == nil && memorySize == nil && code == nil && package == nil
    }
}
