import GRDB
import HearthCore

extension Store {
    public func insertToken(_ token: APIToken) async throws {
        try await write { db in try token.insert(db) }
    }

    public func token(secretHash: String) async throws -> APIToken? {
        try await db.read { db in try APIToken.filter(Column("secret_hash") == secretHash).fetchOne(db) }
    }

    public func tokens() async throws -> [APIToken] {
        try await db.read { db in try APIToken.order(Column("created_at"), Column("id")).fetchAll(db) }
    }

    /// Deletes the token with this id; returns whether one existed.
    public func deleteToken(id: String) async throws -> Bool {
        try await write { db in try APIToken.deleteOne(db, key: id) }
    }
}
