import Foundation

/// An immutable snapshot of a function's package, numbered from 1.
public struct FunctionVersion: Codable, Sendable, Equatable {
    public var id: String
    public var functionID: String
    public var versionNumber: Int
    public var description: String?
    public var packageMD5: String
    public var count: Int
    public var projectID: String
    public var createdAt: Date
    public var updatedAt: Date?

    public init(
        id: String, functionID: String, versionNumber: Int, description: String?, packageMD5: String,
        count: Int = 0, projectID: String, createdAt: Date, updatedAt: Date? = nil
    ) {
        self.id = id
        self.functionID = functionID
        self.versionNumber = versionNumber
        self.description = description
        self.packageMD5 = packageMD5
        self.count = count
        self.projectID = projectID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, description, count
        case functionID = "function_id"
        case versionNumber = "version_number"
        case packageMD5 = "package_md5"
        case projectID = "project_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}
