import Foundation
import HearthCore
import HearthPool
import HearthStore
import Logging

/// Runtimes: admin-managed, project-owned, optionally public. A runtime is `creating` until
/// its directory is found (and, with the pool, until its workers are warm), then `available`,
/// or `error` with the reason kept in `status_reason` and logged.
public struct RuntimeService: Sendable {
    let store: Store
    let catalog: RuntimeCatalog
    /// Nil only where no sandbox can be made (unit tests): a runtime is then available as
    /// soon as its directory is found.
    let pool: WorkerPool?
    let logger: Logger

    public init(store: Store, catalog: RuntimeCatalog, pool: WorkerPool?, logger: Logger) {
        self.store = store
        self.catalog = catalog
        self.pool = pool
        self.logger = logger
    }

    public static let filterableFields: [String: FilterField] = [
        "name": .text, "image": .text, "description": .text, "status": .text,
        "is_public": .bool, "trusted": .bool, "project_id": .text,
    ]

    public func create(_ draft: RuntimeDraft, by caller: Caller) async throws -> Runtime {
        guard caller.isAdmin else { throw ServiceError.operationNotAllowed }
        guard let image = draft.image?.trimmingCharacters(in: .whitespaces), !image.isEmpty else {
            throw ServiceError.invalidInput("Required param is missing. Required: {'image'}")
        }
        try Limits.checkLength(image, field: "image", max: 255)
        try Limits.checkLength(draft.name, field: "name", max: 255)
        try Limits.checkLength(draft.description, field: "description", max: 255)
        let runtime = Runtime(
            id: Identifier.make(), name: draft.name, image: image, description: draft.description,
            isPublic: draft.isPublic ?? true, trusted: draft.trusted ?? true, status: .creating,
            projectID: caller.projectID, createdAt: Date()
        )
        try await store.insertRuntime(runtime)
        logger.info("runtime created", metadata: ["runtime": "\(runtime.id)", "image": "\(image)"])
        provisionInBackground(runtime.id)
        return runtime
    }

    public func list(by caller: Caller, filters: [ListFilter], allProjects: Bool) async throws -> [Runtime] {
        let filters = try FilterField.vet(filters, allowed: Self.filterableFields, caller: caller)
        let scope: ListQuery.Scope = allProjects ? try .allProjects(caller) : .projectOrPublic(caller.projectID)
        return try await store.runtimes(ListQuery(scope: scope, filters: filters))
    }

    public func show(id: String, by caller: Caller) async throws -> Runtime {
        guard let runtime = try await store.runtime(id: id), runtime.isPublic || caller.canRead(project: runtime.projectID) else {
            throw ServiceError.notFound("Runtime not found [id=\(id)]")
        }
        return runtime
    }

    public func update(id: String, _ patch: RuntimePatch, by caller: Caller) async throws -> Runtime {
        guard caller.isAdmin else { throw ServiceError.operationNotAllowed }
        var runtime = try await show(id: id, by: caller)
        try Limits.checkLength(patch.name, field: "name", max: 255)
        try Limits.checkLength(patch.description, field: "description", max: 255)
        if let name = patch.name { runtime.name = name }
        if let description = patch.description { runtime.description = description }
        var reprovision = false
        if let image = patch.image?.trimmingCharacters(in: .whitespaces), image != runtime.image {
            guard !image.isEmpty else { throw ServiceError.invalidInput("image must not be empty") }
            try Limits.checkLength(image, field: "image", max: 255)
            guard runtime.status == .available else {
                throw ServiceError.conflict("Runtime \(id) is not available.")
            }
            runtime.image = image
            runtime.status = .upgrading
            reprovision = true
        }
        runtime.updatedAt = Date()
        try await store.updateRuntime(runtime)
        if reprovision { provisionInBackground(runtime.id) }
        return runtime
    }

    public func delete(id: String, by caller: Caller) async throws {
        guard caller.isAdmin else { throw ServiceError.operationNotAllowed }
        let runtime = try await show(id: id, by: caller)
        let users = try await store.functionCount(runtimeID: runtime.id)
        guard users == 0 else {
            throw ServiceError.notAllowed("Runtime \(id) is still in use by \(users) function(s); delete them first.")
        }
        do {
            try await store.deleteRuntime(id: runtime.id)
        } catch StoreError.stillReferenced {
            throw ServiceError.notAllowed("Runtime \(id) is still in use by a function; delete it first.")
        }
        await pool?.remove(runtimeID: runtime.id)
        logger.info("runtime deleted", metadata: ["runtime": "\(id)"])
    }

    /// Worker counts of a runtime's pool (admin only).
    public func pool(id: String, by caller: Caller) async throws -> (total: Int, available: Int) {
        guard caller.isAdmin else { throw ServiceError.operationNotAllowed }
        _ = try await show(id: id, by: caller)
        return await pool?.capacity(runtimeID: id) ?? (0, 0)
    }

    /// Re-checks every runtime at start-up: ones left `creating`/`upgrading` by a restart are
    /// finished, and ones whose directory disappeared become `error`.
    public func reconcileAll() async throws {
        for runtime in try await store.runtimes(ListQuery(scope: .all)) where runtime.status != .deleting {
            await provision(runtime.id)
        }
    }

    func provisionInBackground(_ id: String) {
        Task { await provision(id) }
    }

    func provision(_ id: String) async {
        do {
            guard let runtime = try await store.runtime(id: id) else { return }
            switch catalog.resolve(image: runtime.image) {
            case .success(let manifest):
                if let pool {
                    guard WorkerPool.isReachableBySandboxes(manifest.directory) else {
                        return try await markUnavailable(id, reason: "runtime directory \(manifest.directory.path) is not readable by sandboxed workers: every directory on its path needs o+x (and the runtime's files o+r)")
                    }
                    let template = WorkerTemplate(
                        runtimeID: id, runtimeName: manifest.name, directory: manifest.directory,
                        command: manifest.command, trusted: runtime.trusted, descriptors: manifest.descriptors
                    )
                    do {
                        try await pool.warm(template)
                    } catch PoolError.stopping {
                        // Left as it is: the next start provisions it again.
                        return
                    } catch {
                        return try await markUnavailable(id, reason: (error as? PoolError)?.description ?? "\(error)")
                    }
                }
                try await store.setRuntimeStatus(id: id, .available, reason: nil)
                logger.info("runtime available", metadata: ["runtime": "\(id)", "directory": "\(manifest.directory.path)"])
            case .failure(let problem):
                await pool?.remove(runtimeID: id)
                try await markUnavailable(id, reason: problem.message)
            }
        } catch is CancellationError {
            // hearthd is stopping while it provisions: the next start provisions it again.
        } catch {
            logger.error("runtime provisioning failed", metadata: ["runtime": "\(id)", "error": "\(error)"])
        }
    }

    /// `error`, with the reason kept for operators and logged.
    func markUnavailable(_ id: String, reason: String) async throws {
        try await store.setRuntimeStatus(id: id, .error, reason: reason)
        logger.error("runtime unavailable", metadata: ["runtime": "\(id)", "reason": "\(reason)"])
    }
}
