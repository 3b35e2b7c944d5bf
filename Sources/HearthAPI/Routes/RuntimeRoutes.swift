import HearthCore
import HearthServices
import Hummingbird

/// `/v1/runtimes`: create, list, show, update, delete, and the pool report.
struct RuntimeRoutes {
    let service: RuntimeService

    static let writable: Set<String> = ["name", "image", "description", "is_public", "trusted"]
    static let readOnly: Set<String> = ["id", "status", "project_id", "created_at", "updated_at"]

    func register(on table: RouteTable) {
        table.path("/v1/runtimes", [.get: list, .post: create])
        table.path("/v1/runtimes/{id}", [.get: show, .put: update, .delete: delete])
        table.path("/v1/runtimes/{id}/pool", [.get: pool])
    }

    func create(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let fields = try await BodyReader.fields(of: request, limit: APILimits.smallBody, what: "a runtime is a small JSON object")
        try fields.check(resource: "runtime", writable: Self.writable, readOnly: Self.readOnly)
        let draft = RuntimeDraft(
            name: try fields.string("name"), image: try fields.string("image"), description: try fields.string("description"),
            isPublic: try fields.bool("is_public"), trusted: try fields.bool("trusted")
        )
        let runtime = try await service.create(draft, by: try context.requireCaller())
        return .json(runtime.json, status: .created)
    }

    func list(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let parameters = try ListParameters(request.uri)
        let runtimes = try await service.list(by: try context.requireCaller(), filters: parameters.filters, allProjects: parameters.allProjects)
        return .json(.object(["runtimes": .array(runtimes.map { $0.json })]))
    }

    func show(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        .json(try await service.show(id: try context.parameters.require("id"), by: try context.requireCaller()).json)
    }

    func update(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let fields = try await BodyReader.fields(of: request, limit: APILimits.smallBody, what: "a runtime is a small JSON object")
        try fields.check(
            resource: "runtime", writable: ["name", "image", "description"], readOnly: Self.readOnly.union(["is_public", "trusted"])
        )
        let patch = RuntimePatch(name: try fields.string("name"), image: try fields.string("image"), description: try fields.string("description"))
        let runtime = try await service.update(id: try context.parameters.require("id"), patch, by: try context.requireCaller())
        return .json(runtime.json)
    }

    func delete(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        try await service.delete(id: try context.parameters.require("id"), by: try context.requireCaller())
        return .empty(.noContent)
    }

    func pool(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let capacity = try await service.pool(id: id, by: try context.requireCaller())
        return .json(.object([
            "name": .string(id),
            "capacity": .object(["total": JSONValue(capacity.total), "available": JSONValue(capacity.available)]),
        ]))
    }
}

enum APILimits {
    /// Bodies other than function uploads are small JSON documents.
    static let smallBody = 1 << 20
    /// Execution inputs are passed whole to a worker.
    static let executionBody = 6 << 20
}
