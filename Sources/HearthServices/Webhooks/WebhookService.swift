import Foundation
import HearthCore
import HearthStore
import Logging

/// Webhooks: an unauthenticated URL that runs a function version asynchronously with the
/// request's parameters as input.
public struct WebhookService: Sendable {
    let store: Store
    let functions: FunctionService
    let executions: ExecutionService
    let logger: Logger

    public init(store: Store, functions: FunctionService, executions: ExecutionService, logger: Logger) {
        self.store = store
        self.functions = functions
        self.executions = executions
        self.logger = logger
    }

    public static let filterableFields: [String: FilterField] = [
        "function_id": .text, "function_alias": .text, "function_version": .int, "description": .text, "project_id": .text,
    ]

    /// The target of a webhook: a function id and version, or an alias (resolved at every call).
    public struct Target: Sendable {
        public var functionID: String?
        public var functionAlias: String?
        public var functionVersion: Int?

        public init(functionID: String?, functionAlias: String?, functionVersion: Int?) {
            self.functionID = functionID
            self.functionAlias = functionAlias
            self.functionVersion = functionVersion
        }
    }

    public func create(_ target: Target, description: String?, by caller: Caller) async throws -> Webhook {
        try Limits.checkLength(description, field: "description", max: 255)
        var webhook = Webhook(
            id: Identifier.make(), functionID: nil, functionAlias: nil, functionVersion: nil, description: description,
            projectID: caller.projectID, createdAt: Date()
        )
        try await point(&webhook, at: target, by: caller)
        try await refusingVanishedFunction(webhook) { try await store.insertWebhook(webhook) }
        logger.info("webhook created", metadata: ["webhook": "\(webhook.id)"])
        return webhook
    }

    public func list(by caller: Caller, filters: [ListFilter], allProjects: Bool) async throws -> [Webhook] {
        try await store.webhooks(.projectScoped(for: caller, filters: filters, allowed: Self.filterableFields, allProjects: allProjects))
    }

    public func show(id: String, by caller: Caller) async throws -> Webhook {
        guard let webhook = try await store.webhook(id: id), caller.canRead(project: webhook.projectID) else { throw Self.notFound(id) }
        return webhook
    }

    /// A new alias replaces the function id and version; a new id or version replaces the alias.
    public func update(id: String, _ target: Target, description: String?, by caller: Caller) async throws -> Webhook {
        guard var webhook = try await store.webhook(id: id), webhook.projectID == caller.projectID else { throw Self.notFound(id) }
        try Limits.checkLength(description, field: "description", max: 255)
        if target.functionAlias.map({ !$0.isEmpty }) == true {
            try await point(&webhook, at: Target(functionID: nil, functionAlias: target.functionAlias, functionVersion: nil), by: caller)
        } else if target.functionID != nil || target.functionVersion != nil {
            guard let functionID = target.functionID ?? webhook.functionID else {
                throw ServiceError.invalidInput("This webhook fires through alias \(webhook.functionAlias ?? ""): give function_id along with function_version.")
            }
            let version = target.functionVersion ?? (target.functionID == nil || target.functionID == webhook.functionID ? webhook.functionVersion : 0)
            try await point(&webhook, at: Target(functionID: functionID, functionAlias: nil, functionVersion: version), by: caller)
        }
        if let description { webhook.description = description }
        webhook.updatedAt = Date()
        let updated = webhook
        try await refusingVanishedFunction(webhook) { try await store.updateWebhook(updated) }
        return webhook
    }

    public func delete(id: String, by caller: Caller) async throws {
        guard let webhook = try await store.webhook(id: id), webhook.projectID == caller.projectID else { throw Self.notFound(id) }
        try await store.deleteWebhook(id: webhook.id)
        logger.info("webhook deleted", metadata: ["webhook": "\(id)"])
    }

    /// Runs the webhook's function asynchronously, as its owner; `input` is the request's
    /// parameters as one JSON object. Returns the execution id.
    public func invoke(id: String, input: JSONValue) async throws -> String {
        guard let webhook = try await store.webhook(id: id) else { throw Self.notFound(id) }
        let draft = ExecutionDraft(
            functionID: webhook.functionID, functionAlias: webhook.functionAlias, functionVersion: webhook.functionVersion,
            input: .string(input.serialized), description: "Created by Webhook \(webhook.id)", sync: false
        )
        return try await executions.create(draft, by: Caller(projectID: webhook.projectID, isAdmin: false)).id
    }

    /// Checks a target and stores it: an alias by name only, a function by id and version (0 by default).
    func point(_ webhook: inout Webhook, at target: Target, by caller: Caller) async throws {
        let resolved = try await functions.resolveTarget(
            functionID: target.functionID, alias: target.functionAlias, version: target.functionVersion, by: caller, ownedOnly: true
        )
        webhook.functionAlias = resolved.alias
        webhook.functionID = resolved.alias == nil ? resolved.function.id : nil
        webhook.functionVersion = resolved.alias == nil ? resolved.version : nil
    }

    func refusingVanishedFunction(_ webhook: Webhook, _ write: () async throws -> Void) async throws {
        do {
            try await write()
        } catch StoreError.stillReferenced {
            throw ServiceError.notFound("Function not found [id=\(webhook.functionID ?? "")]")
        }
    }

    static func notFound(_ id: String) -> ServiceError {
        .notFound("Webhook not found [id=\(id)]")
    }
}
