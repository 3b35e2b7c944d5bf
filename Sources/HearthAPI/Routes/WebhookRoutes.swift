import HearthCore
import HearthServices
import Hummingbird

/// `/v1/webhooks`: create, list, show, update, delete, and the unauthenticated
/// `POST /v1/webhooks/{id}/invoke`.
struct WebhookRoutes {
    let service: WebhookService
    /// The configured public URL for `webhook_url`; nil means the request's own host.
    let publicURL: String?

    static let writable: Set<String> = ["function_id", "function_alias", "function_version", "description"]
    static let readOnly: Set<String> = ["id", "project_id", "created_at", "updated_at", "webhook_url"]

    func register(on table: RouteTable) {
        table.path("/v1/webhooks", [.get: list, .post: create])
        table.path("/v1/webhooks/{id}", [.get: show, .put: update, .delete: delete])
        table.path("/v1/webhooks/{id}/invoke", [.post: invoke])
    }

    func base(_ request: Request) -> String {
        guard let publicURL else { return RootRoutes.base(of: request) }
        return publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
    }

    func fields(_ request: Request) async throws -> (WebhookService.Target, description: String?) {
        let fields = try await BodyReader.fields(of: request, limit: APILimits.smallBody, what: "a webhook is a small JSON object")
        try fields.check(resource: "webhook", writable: Self.writable, readOnly: Self.readOnly)
        let target = WebhookService.Target(
            functionID: try fields.string("function_id"), functionAlias: try fields.string("function_alias"),
            functionVersion: try fields.int("function_version")
        )
        return (target, try fields.string("description"))
    }

    func create(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let (target, description) = try await fields(request)
        let webhook = try await service.create(target, description: description, by: try context.requireCaller())
        return .json(webhook.json(base: base(request)), status: .created)
    }

    func list(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let parameters = try ListParameters(request.uri)
        let webhooks = try await service.list(by: try context.requireCaller(), filters: parameters.filters, allProjects: parameters.allProjects)
        let base = base(request)
        return .json(.object(["webhooks": .array(webhooks.map { $0.json(base: base) })]))
    }

    func show(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        .json(try await service.show(id: try context.parameters.require("id"), by: try context.requireCaller()).json(base: base(request)))
    }

    func update(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let (target, description) = try await fields(request)
        let webhook = try await service.update(id: try context.parameters.require("id"), target, description: description, by: try context.requireCaller())
        return .json(webhook.json(base: base(request)))
    }

    func delete(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        try await service.delete(id: try context.parameters.require("id"), by: try context.requireCaller())
        return .empty(.noContent)
    }

    /// No credentials: the id is the secret. Query parameters, then form fields or the members
    /// of a JSON object body, become one JSON object of input (a later name wins).
    func invoke(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let body = try await BodyReader.fields(of: request, limit: APILimits.executionBody, what: "webhook input may be at most \(APILimits.executionBody) bytes")
        var input: [(key: String, value: JSONValue)] = request.uri.queryParameters.map { (String($0.key), .string(String($0.value))) }
        input += body.entries.map { ($0.name, $0.value.json) }
        let executionID = try await service.invoke(id: try context.parameters.require("id"), input: .object(lastOfEachKey: input))
        return .json(.object(["execution_id": .string(executionID)]), status: .accepted)
    }
}
