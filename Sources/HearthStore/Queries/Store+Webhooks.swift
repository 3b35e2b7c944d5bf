import GRDB
import HearthCore

extension Store {
    public func insertWebhook(_ webhook: Webhook) async throws {
        try await write { db in try webhook.insert(db) }
    }

    public func webhook(id: String) async throws -> Webhook? {
        try await db.read { db in try Webhook.fetchOne(db, key: id) }
    }

    /// Webhooks in creation order.
    public func webhooks(_ query: ListQuery) async throws -> [Webhook] {
        let (condition, arguments) = query.sqlCondition()
        return try await db.read { db in
            try Webhook.fetchAll(db, sql: "SELECT * FROM webhooks WHERE \(condition) ORDER BY created_at, rowid", arguments: arguments)
        }
    }

    public func updateWebhook(_ webhook: Webhook) async throws {
        try await write { db in try webhook.update(db) }
    }

    @discardableResult
    public func deleteWebhook(id: String) async throws -> Bool {
        try await write { db in try Webhook.deleteOne(db, key: id) }
    }
}
