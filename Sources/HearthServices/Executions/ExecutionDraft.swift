import HearthCore

/// The fields of an execution create request, already type-checked by the API.
public struct ExecutionDraft: Sendable {
    public var functionID: String?
    public var functionAlias: String?
    public var functionVersion: Int?
    /// A JSON string as Qinling clients send it, or any JSON value.
    public var input: JSONValue?
    public var description: String?
    public var sync: Bool?
    /// Set by the destination hook only: the functions that led to this execution.
    var destinationChain: [String]?

    public init(functionID: String? = nil, functionAlias: String? = nil, functionVersion: Int? = nil, input: JSONValue? = nil, description: String? = nil, sync: Bool? = nil) {
        self.functionID = functionID
        self.functionAlias = functionAlias
        self.functionVersion = functionVersion
        self.input = input
        self.description = description
        self.sync = sync
    }
}
