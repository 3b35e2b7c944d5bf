import HearthCore

extension Webhook {
    /// Qinling's webhook resource; `webhook_url` is built on every read from `base`, the
    /// daemon's public URL.
    func json(base: String) -> JSONValue {
        .object([
            "id": .string(id),
            "function_id": JSONValue(functionID),
            "function_alias": JSONValue(functionAlias),
            "function_version": JSONValue(functionVersion),
            "description": JSONValue(description),
            "project_id": .string(projectID),
            "created_at": .string(Timestamp.format(createdAt)),
            "updated_at": JSONValue(updatedAt.map(Timestamp.format)),
            "webhook_url": .string(base + "/v1/webhooks/\(id)/invoke"),
        ])
    }
}
