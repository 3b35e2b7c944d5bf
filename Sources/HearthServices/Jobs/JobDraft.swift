import HearthCore

/// The fields of a job create request, already type-checked by the API.
public struct JobDraft: Sendable {
    public var name: String?
    public var functionID: String?
    public var functionAlias: String?
    public var functionVersion: Int?
    public var functionInput: String?
    public var pattern: String?
    public var count: Int?
    public var firstExecutionTime: String?

    public init(
        name: String?, functionID: String?, functionAlias: String?, functionVersion: Int?, functionInput: String?,
        pattern: String?, count: Int?, firstExecutionTime: String?
    ) {
        self.name = name
        self.functionID = functionID
        self.functionAlias = functionAlias
        self.functionVersion = functionVersion
        self.functionInput = functionInput
        self.pattern = pattern
        self.count = count
        self.firstExecutionTime = firstExecutionTime
    }
}

/// What a job update may change; nil fields stay as they are.
public struct JobPatch: Sendable {
    public var name: String?
    public var functionInput: String?
    public var status: String?
    public var pattern: String?
    public var nextExecutionTime: String?

    public init(name: String?, functionInput: String?, status: String?, pattern: String?, nextExecutionTime: String?) {
        self.name = name
        self.functionInput = functionInput
        self.status = status
        self.pattern = pattern
        self.nextExecutionTime = nextExecutionTime
    }
}
