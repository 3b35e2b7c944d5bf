import HearthCore

extension FunctionVersion {
    /// Qinling's function version resource; the package md5 stays internal.
    var json: JSONValue {
        .object([
            "id": .string(id),
            "description": JSONValue(description),
            "function_id": .string(functionID),
            "version_number": JSONValue(versionNumber),
            "count": JSONValue(count),
            "project_id": .string(projectID),
            "created_at": .string(Timestamp.format(createdAt)),
            "updated_at": JSONValue(updatedAt.map(Timestamp.format)),
        ])
    }
}
