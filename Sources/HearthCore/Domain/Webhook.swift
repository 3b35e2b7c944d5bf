import Foundation

/// An unauthenticated URL that runs a function asynchronously with the request's parameters.
public struct Webhook: Codable, Sendable, Equatable {
    public var id: String
    /// Nil when the webhook targets an alias, which is resolved at every invocation.
    public var functionID: String?
    public var functionAlias: String?
    public var functionVersion: Int?
    public var description: String?
    public var projectID: String
    public var createdAt: Date
    public var updatedAt: Date?

    public init(
        id: String, functionID: String?, functionAlias: String?, functionVersion: Int?, description: String?,
        projectID: String, createdAt: Date, updatedAt: Date? = nil
    ) {
        self.id = id
        self.functionID = functionID
        self.functionAlias = functionAlias
        self.functionVersion = functionVersion
        self.description = description
        self.projectID = projectID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, description
        case functionID = "function_id"
        case functionAlias = "function_alias"
        case functionVersion = "function_version"
        case projectID = "project_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}
