import Foundation

/// A language runtime: a directory under `runtimes/` plus the pool of workers started from it.
public struct Runtime: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case creating, available, error, upgrading, deleting
    }

    public var id: String
    public var name: String?
    /// What the caller asked for: a runtime directory name or a Qinling image name.
    public var image: String
    public var description: String?
    public var isPublic: Bool
    public var trusted: Bool
    public var status: Status
    /// Why the runtime is in `error`, for operators; nil otherwise.
    public var statusReason: String?
    public var projectID: String
    public var createdAt: Date
    public var updatedAt: Date?

    public init(
        id: String, name: String?, image: String, description: String?, isPublic: Bool, trusted: Bool,
        status: Status, statusReason: String? = nil, projectID: String, createdAt: Date, updatedAt: Date? = nil
    ) {
        self.id = id
        self.name = name
        self.image = image
        self.description = description
        self.isPublic = isPublic
        self.trusted = trusted
        self.status = status
        self.statusReason = statusReason
        self.projectID = projectID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, image, description, status, trusted
        case isPublic = "is_public"
        case statusReason = "status_reason"
        case projectID = "project_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}
