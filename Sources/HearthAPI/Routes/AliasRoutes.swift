import HearthCore
import HearthServices
import Hummingbird

/// `/v1/aliases`: create, list, show, re-point, delete. Aliases are addressed by name.
struct AliasRoutes {
    let service: AliasService

    static let readOnly: Set<String> = ["id", "project_id", "created_at", "updated_at"]

    func register(on table: RouteTable) {
        table.path("/v1/aliases", [.get: list, .post: create])
        table.path("/v1/aliases/{name}", [.get: show, .put: update, .delete: delete])
    }

    func name(_ context: HearthRequestContext) throws -> String {
        let raw = try context.parameters.require("name")
        return raw.removingPercentEncoding ?? raw
    }

    func create(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let fields = try await BodyReader.fields(of: request, limit: APILimits.smallBody, what: "an alias is a small JSON object")
        try fields.check(resource: "function_alias", writable: ["name", "function_id", "function_version", "description"], readOnly: Self.readOnly)
        let draft = AliasService.Draft(
            name: try fields.string("name"), functionID: try fields.string("function_id"),
            functionVersion: try fields.int("function_version"), description: try fields.string("description")
        )
        return .json(try await service.create(draft, by: try context.requireCaller()).json, status: .created)
    }

    func list(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let parameters = try ListParameters(request.uri)
        let aliases = try await service.list(by: try context.requireCaller(), filters: parameters.filters, allProjects: parameters.allProjects)
        return .json(.object(["function_aliases": .array(aliases.map { $0.json })]))
    }

    func show(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        .json(try await service.show(name: try name(context), by: try context.requireCaller()).json)
    }

    func update(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let fields = try await BodyReader.fields(of: request, limit: APILimits.smallBody, what: "an alias is a small JSON object")
        try fields.check(resource: "function_alias", writable: ["function_id", "function_version", "description"], readOnly: Self.readOnly.union(["name"]))
        let alias = try await service.update(
            name: try name(context), functionID: try fields.string("function_id"), functionVersion: try fields.int("function_version"),
            description: try fields.string("description"), by: try context.requireCaller()
        )
        return .json(alias.json)
    }

    func delete(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        try await service.delete(name: try name(context), by: try context.requireCaller())
        return .empty(.noContent)
    }
}
