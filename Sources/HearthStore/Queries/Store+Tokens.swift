import GRDB
import HearthCore

extension Store {
    public func insertToken(_ token: APIToken) async throws {
        try await write { db in try token.insert(db) }
    }

    /// Read on the caller's thread with a cached statement: every TCP request looks its token
    /// up, and GRDB's async read plus a freshly built query cost more than the request.
    public func token(secretHash: String) throws -> APIToken? {
        try readNow { db in try APIToken.fetchOne(db.cachedStatement(sql: "SELECT * FROM api_tokens WHERE secret_hash = ?"), arguments: [secretHash]) }
    }

    public func tokens() async throws -> [APIToken] {
        try await db.read { db in try APIToken.order(Column("created_at"), Column("id")).fetchAll(db) }
    }

    /// Deletes the token with this id; returns whether one existed.
    public func deleteToken(id: String) async throws -> Bool {
        try await write { db in try APIToken.deleteOne(db, key: id) }
    }
}
