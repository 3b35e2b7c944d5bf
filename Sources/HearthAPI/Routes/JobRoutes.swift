import HearthCore
import HearthServices
import Hummingbird

/// `/v1/jobs`: create, list, show, update (pause, resume, cancel, reschedule), delete.
struct JobRoutes {
    let service: JobService

    static let readOnly: Set<String> = ["id", "project_id", "created_at", "updated_at"]

    func register(on table: RouteTable) {
        table.path("/v1/jobs", [.get: list, .post: create])
        table.path("/v1/jobs/{id}", [.get: show, .put: update, .delete: delete])
    }

    func create(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let fields = try await BodyReader.fields(of: request, limit: APILimits.smallBody, what: "a job is a small JSON object")
        // Qinling ignores `status` and `next_execution_time` in a create body; so does Hearth.
        try fields.check(
            resource: "job",
            writable: ["name", "function_id", "function_alias", "function_version", "function_input", "pattern", "count",
                       "first_execution_time", "status", "next_execution_time"],
            readOnly: Self.readOnly
        )
        let draft = JobDraft(
            name: try fields.string("name"), functionID: try fields.string("function_id"), functionAlias: try fields.string("function_alias"),
            functionVersion: try fields.int("function_version"), functionInput: Self.input(fields),
            pattern: try fields.string("pattern"), count: try fields.int("count"), firstExecutionTime: try fields.string("first_execution_time")
        )
        return .json(try await service.create(draft, by: try context.requireCaller()).json, status: .created)
    }

    /// `function_input` is a string as Qinling clients send it; other JSON is kept as its text.
    static func input(_ fields: RequestFields) -> String? {
        switch fields.json("function_input") {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let value?: return value.serialized
        }
    }

    func list(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let parameters = try ListParameters(request.uri)
        let jobs = try await service.list(by: try context.requireCaller(), filters: parameters.filters, allProjects: parameters.allProjects)
        return .json(.object(["jobs": .array(jobs.map { $0.json })]))
    }

    func show(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        .json(try await service.show(id: try context.parameters.require("id"), by: try context.requireCaller()).json)
    }

    func update(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let fields = try await BodyReader.fields(of: request, limit: APILimits.smallBody, what: "a job is a small JSON object")
        try fields.check(
            resource: "job", writable: ["name", "function_input", "status", "pattern", "next_execution_time"],
            readOnly: Self.readOnly.union(["function_id", "function_alias", "function_version", "count", "first_execution_time"])
        )
        let patch = JobPatch(
            name: try fields.string("name"), functionInput: Self.input(fields), status: try fields.string("status"),
            pattern: try fields.string("pattern"), nextExecutionTime: try fields.string("next_execution_time")
        )
        return .json(try await service.update(id: try context.parameters.require("id"), patch, by: try context.requireCaller()).json)
    }

    func delete(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        try await service.delete(id: try context.parameters.require("id"), by: try context.requireCaller())
        return .empty(.noContent)
    }
}
