import Foundation

/// A project-unique name for one version of one function.
public struct FunctionAlias: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var functionID: String
    public var functionVersion: Int
    public var description: String?
    public var projectID: String
    public var createdAt: Date
    public var updatedAt: Date?

    public init(
        id: String, name: String, functionID: String, functionVersion: Int, description: String?,
        projectID: String, createdAt: Date, updatedAt: Date? = nil
    ) {
        self.id = id
        self.name = name
        self.functionID = functionID
        self.functionVersion = functionVersion
        self.description = description
        self.projectID = projectID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, description
        case functionID = "function_id"
        case functionVersion = "function_version"
        case projectID = "project_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}
