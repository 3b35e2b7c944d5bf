import Foundation

/// A FunctionGraph access/secret key pair (AK/SK) for one project. The secret is stored sealed
/// (AES-GCM under a key file of the data directory), never in clear: HMAC verification needs
/// the secret itself, so a hash would not do.
public struct AccessCredential: Codable, Sendable, Equatable {
    public var accessKey: String
    /// Nonce, ciphertext and tag of the secret key, as one blob.
    public var sealedSecret: Data
    public var projectID: String
    public var description: String?
    public var createdAt: Date

    public init(accessKey: String, sealedSecret: Data, projectID: String, description: String?, createdAt: Date) {
        self.accessKey = accessKey
        self.sealedSecret = sealedSecret
        self.projectID = projectID
        self.description = description
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case description
        case accessKey = "access_key"
        case sealedSecret = "sealed_secret"
        case projectID = "project_id"
        case createdAt = "created_at"
    }
}
