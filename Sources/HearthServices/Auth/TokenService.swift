import Crypto
import Foundation
import HearthCore
import HearthStore

/// API tokens for the TCP listener. The secret is shown once, at creation; the store keeps
/// only its SHA-256, so a copy of the database does not hand out access.
public struct TokenService: Sendable {
    let store: Store
    let cache = TokenCache()

    public init(store: Store) {
        self.store = store
    }

    /// Creates a token and returns it with its secret (`hearth_` + 40 hex digits).
    public func create(projectID: String, isAdmin: Bool, description: String?) async throws -> (token: APIToken, secret: String) {
        guard !projectID.isEmpty, projectID.count <= 255 else {
            throw ServiceError.invalidInput("project must be 1 to 255 characters")
        }
        var generator = SystemRandomNumberGenerator()
        let secret = "hearth_" + (0..<20).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let token = APIToken(
            id: String(Identifier.make().prefix(8)), secretHash: Self.hash(secret), projectID: projectID,
            isAdmin: isAdmin, description: description, createdAt: Date()
        )
        try await store.insertToken(token)
        return (token, secret)
    }

    /// The caller a token stands for, or nil if no such token exists. A token revoked by
    /// another process (`hearthd token revoke`) is refused within a second (`TokenCache`).
    public func authenticate(secret: String) async throws -> Caller? {
        let hash = Self.hash(secret)
        return try cache.caller(secretHash: hash) {
            try store.token(secretHash: hash).map { Caller(projectID: $0.projectID, isAdmin: $0.isAdmin) }
        }
    }

    public func list() async throws -> [APIToken] {
        try await store.tokens()
    }

    /// Revokes a token named by its id or by its secret.
    public func revoke(_ idOrSecret: String) async throws -> Bool {
        if try await store.deleteToken(id: idOrSecret) { return true }
        guard let token = try store.token(secretHash: Self.hash(idOrSecret)) else { return false }
        return try await store.deleteToken(id: token.id)
    }

    static func hash(_ secret: String) -> String {
        // Not String(format:) per byte: slow on Linux, and every TCP request hashes its token.
        let hex = Array("0123456789abcdef".utf8)
        return String(decoding: SHA256.hash(data: Data(secret.utf8)).flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 0x0F)]] }, as: UTF8.self)
    }
}
