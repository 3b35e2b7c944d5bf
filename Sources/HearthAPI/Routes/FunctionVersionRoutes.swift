import HearthCore
import HearthServices
import Hummingbird

/// `/v1/functions/{id}/versions`: snapshot the package, list, show, download, delete.
/// (Per-version scaling and detach are in `FunctionWorkerRoutes`.)
struct FunctionVersionRoutes {
    let service: FunctionService

    func register(on table: RouteTable) {
        table.path("/v1/functions/{id}/versions", [.get: list, .post: create])
        table.path("/v1/functions/{id}/versions/{version}", [.get: show, .delete: delete])
    }

    func create(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let fields = try await BodyReader.fields(of: request, limit: APILimits.smallBody, what: "send {\"description\": \"…\"}")
        try fields.check(
            resource: "function_version", writable: ["description"],
            readOnly: ["id", "function_id", "version_number", "count", "project_id", "created_at", "updated_at"]
        )
        let version = try await service.createVersion(
            id: try context.parameters.require("id"), description: try fields.string("description"), by: try context.requireCaller()
        )
        return .json(version.json, status: .created)
    }

    func list(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let versions = try await service.versions(id: try context.parameters.require("id"), by: try context.requireCaller())
        return .json(.object(["function_versions": .array(versions.map { $0.json })]))
    }

    func show(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let number = try FunctionWorkerRoutes.version(context)
        let caller = try context.requireCaller()
        guard try Download.requested(request.uri) else { return .json(try await service.version(id: id, number: number, by: caller).json) }
        return Download.zip(try await service.versionPackage(id: id, number: number, by: caller), filename: "\(id)_\(number)")
    }

    func delete(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        try await service.deleteVersion(
            id: try context.parameters.require("id"), number: try FunctionWorkerRoutes.version(context), by: try context.requireCaller()
        )
        return .empty(.noContent)
    }
}
