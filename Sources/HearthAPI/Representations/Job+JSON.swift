import HearthCore

extension Job {
    /// Qinling's job resource, keys in the order Qinling emits them.
    var json: JSONValue {
        .object([
            "id": .string(id),
            "name": JSONValue(name),
            "function_id": JSONValue(functionID),
            "function_alias": JSONValue(functionAlias),
            "function_version": JSONValue(functionVersion),
            "function_input": JSONValue(functionInput),
            "status": .string(status.rawValue),
            "pattern": JSONValue(pattern),
            "count": JSONValue(count),
            "first_execution_time": JSONValue(firstExecutionTime.map(Timestamp.format)),
            "next_execution_time": JSONValue(nextExecutionTime.map(Timestamp.format)),
            "project_id": .string(projectID),
            "created_at": .string(Timestamp.format(createdAt)),
            "updated_at": JSONValue(updatedAt.map(Timestamp.format)),
        ])
    }
}
