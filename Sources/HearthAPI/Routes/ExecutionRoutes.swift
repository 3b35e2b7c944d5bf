import HearthCore
import HearthServices
import Hummingbird
import NIOCore

/// `/v1/executions`: create (sync or async), list, show, delete, and the log.
struct ExecutionRoutes {
    let service: ExecutionService

    static let writable: Set<String> = ["function_id", "function_alias", "function_version", "input", "description", "sync"]
    static let readOnly: Set<String> = ["id", "status", "result", "project_id", "created_at", "updated_at"]

    func register(on table: RouteTable) {
        table.path("/v1/executions", [.get: list, .post: create])
        table.path("/v1/executions/{id}", [.get: show, .delete: delete])
        table.path("/v1/executions/{id}/log", [.get: log])
    }

    func create(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let fields = try await BodyReader.fields(of: request, limit: APILimits.executionBody, what: "execution input may be at most \(APILimits.executionBody) bytes")
        try fields.check(resource: "execution", writable: Self.writable, readOnly: Self.readOnly)
        let draft = ExecutionDraft(
            functionID: try fields.string("function_id"), functionAlias: try fields.string("function_alias"),
            functionVersion: try fields.int("function_version"), input: fields.json("input"),
            description: try fields.string("description"), sync: try fields.bool("sync")
        )
        let execution = try await service.create(draft, by: try context.requireCaller())
        return .json(execution.json, status: .created)
    }

    func list(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let parameters = try ListParameters(request.uri)
        let executions = try await service.list(by: try context.requireCaller(), filters: parameters.filters, allProjects: parameters.allProjects)
        return .json(.object(["executions": .array(executions.map { $0.json })]))
    }

    func show(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        .json(try await service.show(id: try context.parameters.require("id"), by: try context.requireCaller()).json)
    }

    func delete(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        try await service.delete(id: try context.parameters.require("id"), by: try context.requireCaller())
        return .empty(.noContent)
    }

    /// Plain text; 204 while the call has printed nothing.
    func log(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        guard let text = try await service.log(id: try context.parameters.require("id"), by: try context.requireCaller()) else {
            return .empty(.noContent)
        }
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=UTF-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
