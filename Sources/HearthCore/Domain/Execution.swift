import Foundation

/// One call of a function. An async one is stored before it is accepted, so that nothing
/// accepted is lost; a sync one when it ends (its caller waits for that answer).
public struct Execution: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        case running, success, failed, error
    }

    public var id: String
    public var functionID: String
    public var functionVersion: Int
    public var functionAlias: String?
    public var description: String?
    public var status: Status
    public var sync: Bool
    /// The normalised input as Qinling returns it: a JSON string, or the raw text of a positional input.
    public var input: String?
    /// `{"output": …, "duration": …}` as a JSON string, once finished.
    public var result: String?
    public var projectID: String
    public var createdAt: Date
    public var updatedAt: Date?
    /// When a worker took it; nil while it waits (an async one after a crash runs again).
    public var startedAt: Date?
    /// For an execution an async destination started: the functions whose executions led to
    /// it, first to last. nil for every other execution. It bounds a chain of destinations
    /// whose configs were changed into a cycle after they were checked.
    public var destinationChain: [String]?

    public init(
        id: String, functionID: String, functionVersion: Int, functionAlias: String?, description: String?,
        status: Status, sync: Bool, input: String?, result: String? = nil,
        projectID: String, createdAt: Date, updatedAt: Date? = nil, startedAt: Date? = nil, destinationChain: [String]? = nil
    ) {
        self.id = id
        self.functionID = functionID
        self.functionVersion = functionVersion
        self.functionAlias = functionAlias
        self.description = description
        self.status = status
        self.sync = sync
        self.input = input
        self.result = result
        self.projectID = projectID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.startedAt = startedAt
        self.destinationChain = destinationChain
    }

    enum CodingKeys: String, CodingKey {
        case id, description, status, sync, input, result
        case functionID = "function_id"
        case functionVersion = "function_version"
        case functionAlias = "function_alias"
        case projectID = "project_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case startedAt = "started_at"
        case destinationChain = "destination_chain"
    }
}
