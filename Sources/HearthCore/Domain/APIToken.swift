import Foundation

/// A bearer token for the TCP API. Only the SHA-256 of the secret is stored.
public struct APIToken: Codable, Sendable, Equatable {
    public var id: String
    public var secretHash: String
    public var projectID: String
    public var isAdmin: Bool
    public var description: String?
    public var createdAt: Date

    public init(id: String, secretHash: String, projectID: String, isAdmin: Bool, description: String?, createdAt: Date) {
        self.id = id
        self.secretHash = secretHash
        self.projectID = projectID
        self.isAdmin = isAdmin
        self.description = description
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, description
        case secretHash = "secret_hash"
        case projectID = "project_id"
        case isAdmin = "is_admin"
        case createdAt = "created_at"
    }
}
