import HearthCore

extension Runtime {
    /// Qinling's runtime resource, keys in the order Qinling emits them.
    var json: JSONValue {
        .object([
            "id": .string(id),
            "name": JSONValue(name),
            "image": .string(image),
            "description": JSONValue(description),
            "is_public": .bool(isPublic),
            "trusted": .bool(trusted),
            "status": .string(status.rawValue),
            "project_id": .string(projectID),
            "created_at": .string(Timestamp.format(createdAt)),
            "updated_at": JSONValue(updatedAt.map(Timestamp.format)),
        ])
    }
}
