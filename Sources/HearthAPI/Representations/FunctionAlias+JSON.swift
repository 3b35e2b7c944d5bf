import HearthCore

extension FunctionAlias {
    /// Qinling's function alias resource.
    var json: JSONValue {
        .object([
            "id": .string(id),
            "name": .string(name),
            "description": JSONValue(description),
            "function_id": .string(functionID),
            "function_version": JSONValue(functionVersion),
            "project_id": .string(projectID),
            "created_at": .string(Timestamp.format(createdAt)),
            "updated_at": JSONValue(updatedAt.map(Timestamp.format)),
        ])
    }
}
