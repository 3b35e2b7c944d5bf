import HearthCore

extension Execution {
    /// Qinling's execution resource; `input` and `result` are JSON strings, as Qinling sends them.
    var json: JSONValue {
        .object([
            "id": .string(id),
            "function_id": .string(functionID),
            "function_version": JSONValue(functionVersion),
            "function_alias": JSONValue(functionAlias),
            "description": JSONValue(description),
            "status": .string(status.rawValue),
            "sync": .bool(sync),
            "input": JSONValue(input),
            "result": JSONValue(result),
            "project_id": .string(projectID),
            "created_at": .string(Timestamp.format(createdAt)),
            "updated_at": JSONValue(updatedAt.map(Timestamp.format)),
        ])
    }
}
