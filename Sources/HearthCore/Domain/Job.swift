import Foundation

/// A schedule that creates executions: one-shot at a time, or recurring on a cron pattern.
public struct Job: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case running, paused, done, cancelled
    }

    public var id: String
    public var name: String?
    /// Nil when the job targets an alias, which is resolved at every firing.
    public var functionID: String?
    public var functionAlias: String?
    public var functionVersion: Int
    public var functionInput: String?
    public var status: Status
    public var pattern: String?
    /// Firings left; nil means unlimited.
    public var count: Int?
    public var firstExecutionTime: Date?
    public var nextExecutionTime: Date?
    public var projectID: String
    public var createdAt: Date
    public var updatedAt: Date?

    public init(
        id: String, name: String?, functionID: String?, functionAlias: String?, functionVersion: Int,
        functionInput: String?, status: Status, pattern: String?, count: Int?, firstExecutionTime: Date?,
        nextExecutionTime: Date?, projectID: String, createdAt: Date, updatedAt: Date? = nil
    ) {
        self.id = id
        self.name = name
        self.functionID = functionID
        self.functionAlias = functionAlias
        self.functionVersion = functionVersion
        self.functionInput = functionInput
        self.status = status
        self.pattern = pattern
        self.count = count
        self.firstExecutionTime = firstExecutionTime
        self.nextExecutionTime = nextExecutionTime
        self.projectID = projectID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, status, pattern, count
        case functionID = "function_id"
        case functionAlias = "function_alias"
        case functionVersion = "function_version"
        case functionInput = "function_input"
        case firstExecutionTime = "first_execution_time"
        case nextExecutionTime = "next_execution_time"
        case projectID = "project_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}
