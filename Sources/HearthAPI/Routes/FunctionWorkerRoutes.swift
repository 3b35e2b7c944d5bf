import HearthCore
import HearthServices
import Hummingbird

/// `/v1/functions/{id}/workers`, `scale_up`, `scale_down`, `detach`, and the same three per
/// version under `/versions/{n}/` (admin). Version 0 is the function's current package.
struct FunctionWorkerRoutes {
    let service: FunctionService

    func register(on table: RouteTable) {
        table.path("/v1/functions/{id}/workers", [.get: workers])
        table.path("/v1/functions/{id}/scale_up", [.post: scaleUp])
        table.path("/v1/functions/{id}/scale_down", [.post: scaleDown])
        table.path("/v1/functions/{id}/detach", [.post: detach])
        table.path("/v1/functions/{id}/versions/{version}/scale_up", [.post: scaleUp])
        table.path("/v1/functions/{id}/versions/{version}/scale_down", [.post: scaleDown])
        table.path("/v1/functions/{id}/versions/{version}/detach", [.post: detach])
    }

    /// The `{version}` of a per-version path, or 0 for the function's own routes.
    static func version(_ context: HearthRequestContext) throws -> Int {
        guard let text = context.parameters.get("version") else { return 0 }
        guard let number = Int(text), number >= 0 else {
            throw APIError.badRequest("The version number must be a non-negative integer, got '\(text)'.")
        }
        return number
    }

    func workers(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        var version: Int?
        for (key, value) in request.uri.queryParameters {
            guard key == "function_version" else { throw APIError.badRequest("Unknown argument: \"\(key)\". Only \"function_version\" is accepted here.") }
            guard let number = Int(value), number >= 0 else { throw APIError.badRequest("function_version must be a non-negative integer, got '\(value)'.") }
            version = number
        }
        let rows = try await service.workers(id: try context.parameters.require("id"), version: version, by: try context.requireCaller())
        return .json(.object(["workers": .array(rows.map {
            .object(["function_id": .string($0.functionID), "function_version": JSONValue($0.version), "worker_name": .string($0.workerName)])
        })]))
    }

    func count(_ request: Request) async throws -> Int {
        let fields = try await BodyReader.fields(of: request, limit: APILimits.smallBody, what: "send {\"count\": n}")
        try fields.check(resource: "scale", writable: ["count"], readOnly: [])
        guard let count = try fields.int("count") else { throw APIError.badRequest("Missing argument: \"count\": send {\"count\": n} with n ≥ 1.") }
        return count
    }

    func scaleUp(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        try await service.scaleUp(id: try context.parameters.require("id"), version: try Self.version(context), count: try await count(request), by: try context.requireCaller())
        return .empty(.accepted)
    }

    func scaleDown(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        try await service.scaleDown(id: try context.parameters.require("id"), version: try Self.version(context), count: try await count(request), by: try context.requireCaller())
        return .empty(.accepted)
    }

    func detach(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        try await service.detach(id: try context.parameters.require("id"), version: try Self.version(context), by: try context.requireCaller())
        return .empty(.accepted)
    }
}
