import HearthCore
import HearthServices
import Hummingbird
import NIOCore

/// `/v1/functions`: create (multipart, form or JSON), list, show, download, update, delete.
struct FunctionRoutes {
    let service: FunctionService
    let maxPackageSize: Int

    static let writable: Set<String> = ["name", "description", "runtime_id", "entry", "cpu", "memory_size", "timeout", "code", "package"]
    static let readOnly: Set<String> = ["id", "count", "latest_version", "project_id", "created_at", "updated_at"]
    static let hints = ["memory": "Use memory_size, in bytes."]

    func register(on table: RouteTable) {
        table.path("/v1/functions", [.get: list, .post: create])
        table.path("/v1/functions/{id}", [.get: show, .put: update, .delete: delete])
    }

    func fields(_ request: Request) async throws -> RequestFields {
        // Room for the multipart framing and the other fields around the package.
        try await BodyReader.fields(
            of: request, limit: maxPackageSize + APILimits.smallBody,
            what: "function packages may be at most \(maxPackageSize) bytes (max_package_size)"
        )
    }

    func create(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let fields = try await fields(request)
        try fields.check(resource: "function", writable: Self.writable, readOnly: Self.readOnly, hints: Self.hints)
        let draft = FunctionDraft(
            name: try fields.string("name"), description: try fields.string("description"),
            runtimeID: try fields.string("runtime_id"), entry: try fields.string("entry"),
            cpu: try fields.int("cpu"), memorySize: try fields.int("memory_size"), timeout: try fields.int("timeout"),
            code: try fields.object("code"), package: try fields.file("package")
        )
        let function = try await service.create(draft, by: try context.requireCaller())
        return .json(function.json, status: .created)
    }

    func list(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let parameters = try ListParameters(request.uri)
        let functions = try await service.list(by: try context.requireCaller(), filters: parameters.filters, allProjects: parameters.allProjects)
        return .json(.object(["functions": .array(functions.map { $0.json })]))
    }

    func show(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let caller = try context.requireCaller()
        guard try Download.requested(request.uri) else { return .json(try await service.show(id: id, by: caller).json) }
        return Download.zip(try await service.package(id: id, by: caller), filename: id)
    }

    func update(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let fields = try await fields(request)
        // The Qinling client sends `source=package` beside the file instead of `code`.
        var writable = Self.writable.union(["source"])
        writable.remove("runtime_id")
        try fields.check(resource: "function", writable: writable, readOnly: Self.readOnly.union(["runtime_id"]), hints: Self.hints)
        var code = try fields.object("code")
        if code == nil, let source = try fields.string("source") {
            code = .object(["source": .string(source)])
        }
        let patch = FunctionPatch(
            name: try fields.string("name"), description: try fields.string("description"), entry: try fields.string("entry"),
            cpu: try fields.int("cpu"), memorySize: try fields.int("memory_size"), timeout: try fields.int("timeout"),
            code: code, package: try fields.file("package")
        )
        let function = try await service.update(id: try context.parameters.require("id"), patch, by: try context.requireCaller())
        return .json(function.json)
    }

    func delete(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        try await service.delete(id: try context.parameters.require("id"), by: try context.requireCaller())
        return .empty(.noContent)
    }
}
