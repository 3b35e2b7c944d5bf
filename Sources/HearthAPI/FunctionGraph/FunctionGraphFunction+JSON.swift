import Foundation
import HearthCore
import HearthServices
import HearthWire

extension FunctionGraphFunction {
    /// FunctionGraph's function model. `func_urn` is qualified (`…:latest`) except in lists.
    func json(qualifiedURN: Bool = true) -> JSONValue {
        let project = function.projectID
        var members: [(key: String, value: JSONValue)] = [
            ("func_id", .string(function.id)),
            ("func_urn", .string(urn(qualified: qualifiedURN))),
            ("func_name", .string(name)),
            ("domain_id", .string(project)),
            ("namespace", .string(project)),
            ("project_name", .string(project)),
            ("package", .string(package)),
            ("runtime", .string(runtime)),
            ("timeout", .int(Int64(function.timeout))),
            ("handler", .string(function.entry)),
            ("memory_size", .int(Int64(function.memorySize >> 20))),
            ("cpu", .int(Int64(function.cpu))),
            ("code_type", .string(codeType)),
            ("code_filename", JSONValue(codeFilename)),
            ("code_size", .int(Int64(codeSize))),
            ("digest", .string(digest)),
            ("version", .string(version)),
            ("last_modified", .string(FunctionGraphTime.modified(lastModified))),
            ("user_data", .string(userData ?? "")),
            ("description", .string(function.description ?? "")),
            ("type", .string("v2")),
            ("strategy_config", .object(["concurrency": .int(Int64(concurrency)), "concurrent_num": .int(1)])),
        ]
        members.append(("resource_id", .string("\(function.id):\(version)")))
        return .object(members)
    }

    /// The code model of `GET/PUT …/code`.
    func codeJSON(zip: Data) -> JSONValue {
        .object([
            "func_urn": .string(urn(qualified: true)),
            "func_name": .string(name),
            "domain_id": .string(function.projectID),
            "runtime": .string(runtime),
            "code_type": .string(codeType),
            "code_url": .string(""),
            "code_filename": JSONValue(codeFilename),
            "code_size": .int(Int64(codeSize)),
            "digest": .string(digest),
            "last_modified": .string(FunctionGraphTime.modified(lastModified)),
            "func_code": .object(["file": .string(zip.base64EncodedString()), "link": .string("")]),
            "strategy_config": .object(["concurrency": .int(Int64(concurrency)), "concurrent_num": .int(1)]),
            "dependencies": .array([]),
        ])
    }
}

extension AsyncRecord {
    var json: JSONValue {
        .object([
            "request_id": .string(requestID),
            "status": .string(status),
            "error_message": .string(errorMessage),
            "error_code": .int(Int64(errorCode)),
            "start_time": .string(FunctionGraphTime.record(startTime)),
            "end_time": .string(endTime.map(FunctionGraphTime.record) ?? ""),
        ])
    }
}

extension AsyncInvokeConfig {
    func json(urn: String) -> JSONValue {
        var destinations: [(key: String, value: JSONValue)] = []
        if let onSuccess, let value = try? JSONValue.parse(onSuccess) { destinations.append(("on_success", value)) }
        if let onFailure, let value = try? JSONValue.parse(onFailure) { destinations.append(("on_failure", value)) }
        return .object([
            "func_urn": .string(urn),
            "max_async_event_age_in_seconds": .int(Int64(maxAsyncEventAgeInSeconds)),
            "max_async_retry_attempts": .int(Int64(maxAsyncRetryAttempts)),
            "destination_config": .object(destinations),
            "created_time": .string(FunctionGraphTime.modified(createdAt)),
            "last_modified": .string(FunctionGraphTime.modified(updatedAt)),
            "enable_async_status_log": .bool(enableAsyncStatusLog),
        ])
    }
}
