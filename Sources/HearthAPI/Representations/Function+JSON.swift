import HearthCore

extension Function {
    /// Qinling's function resource. `code` is an object everywhere (Qinling sent a JSON
    /// string in lists, an inconsistency DESIGN.md fixes).
    var json: JSONValue {
        .object([
            "id": .string(id),
            "name": JSONValue(name),
            "description": JSONValue(description),
            "cpu": JSONValue(cpu),
            "memory_size": JSONValue(memorySize),
            "timeout": JSONValue(timeout),
            "runtime_id": .string(runtimeID),
            "code": .object(["source": .string("package"), "md5sum": .string(packageMD5)]),
            "entry": .string(entry),
            "count": JSONValue(count),
            "latest_version": JSONValue(latestVersion),
            "project_id": .string(projectID),
            "created_at": .string(Timestamp.format(createdAt)),
            "updated_at": JSONValue(updatedAt.map(Timestamp.format)),
        ])
    }
}
