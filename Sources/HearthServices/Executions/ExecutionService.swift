import Foundation
import HearthCore
import HearthPool
import HearthStore
import Logging

/// Executions: every call is stored before it runs, then runs on a pooled worker. A sync
/// call answers with the finished record; an async one answers at once with `running`.
public struct ExecutionService: Sendable {
    let store: Store
    let functions: FunctionService
    let pool: WorkerPool?
    let logger: Logger

    public init(store: Store, functions: FunctionService, pool: WorkerPool?, logger: Logger) {
        self.store = store
        self.functions = functions
        self.pool = pool
        self.logger = logger
    }

    public static let filterableFields: [String: FilterField] = [
        "function_id": .text, "function_version": .int, "function_alias": .text, "status": .text,
        "description": .text, "sync": .bool, "project_id": .text,
    ]

    public func create(_ draft: ExecutionDraft, by caller: Caller) async throws -> Execution {
        let target = try await functions.resolveTarget(functionID: draft.functionID, alias: draft.functionAlias, version: draft.functionVersion, by: caller)
        let (function, version) = (target.function, target.version)
        try Limits.checkLength(draft.description, field: "description", max: 255)
        guard let runtime = try await store.runtime(id: function.runtimeID), runtime.status == .available else {
            throw ServiceError.conflict("Runtime \(function.runtimeID) is not available.")
        }
        let input = ExecutionInput(draft.input)
        let sync = draft.sync ?? true
        var execution = Execution(
            id: Identifier.make(), functionID: function.id, functionVersion: version, functionAlias: target.alias,
            description: draft.description, status: .running, sync: sync, input: input.stored,
            projectID: caller.projectID, createdAt: Date()
        )
        try await store.insertExecution(execution)
        let request = functions.invocation(of: function, version: version, executionID: execution.id, input: input.value, positional: input.positional)
        guard sync else {
            Task { _ = try? await run(execution, request) }
            return execution
        }
        execution = try await run(execution, request)
        return execution
    }

    /// Runs a stored execution and records how it ended.
    func run(_ execution: Execution, _ request: InvocationRequest) async throws -> Execution {
        var execution = execution
        let status: Execution.Status
        let result: JSONValue
        var log: String?
        do {
            guard let pool else { throw PoolError.runtimeUnavailable("this daemon has no sandbox") }
            let outcome = try await pool.invoke(request)
            status = outcome.succeeded ? .success : .failed
            var members: [(key: String, value: JSONValue)] = [("output", outcome.output), ("duration", .double((outcome.duration * 1000).rounded() / 1000))]
            if let failure = outcome.failure { members.append(("error", .string(failure.rawValue))) }
            members.append(("cold", .bool(outcome.cold)))
            result = .object(members)
            log = outcome.log
        } catch PoolError.queueFull(let waiting) where execution.sync {
            // The caller has no record yet: refuse the call and keep nothing.
            try? await store.deleteExecution(id: execution.id)
            throw ServiceError.tooManyRequests("Too many executions are waiting for function \(execution.functionID) (\(waiting)); retry later.")
        } catch {
            status = .error
            result = .object(["output": .string("Function execution failed: \((error as? PoolError)?.description ?? "\(error)")"), "duration": .double(0)])
            logger.error("execution could not run", metadata: ["execution": "\(execution.id)", "error": "\(error)"])
        }
        try await store.finishExecution(id: execution.id, status: status, result: result.serialized, log: log)
        execution.status = status
        execution.result = result.serialized
        execution.updatedAt = Date()
        return execution
    }

    public func list(by caller: Caller, filters: [ListFilter], allProjects: Bool) async throws -> [Execution] {
        try await store.executions(.projectScoped(for: caller, filters: filters, allowed: Self.filterableFields, allProjects: allProjects))
    }

    public func show(id: String, by caller: Caller) async throws -> Execution {
        guard let execution = try await store.execution(id: id), caller.canRead(project: execution.projectID) else {
            throw ServiceError.notFound("Execution not found [id=\(id)]")
        }
        return execution
    }

    /// The captured output; nil while there is none yet.
    public func log(id: String, by caller: Caller) async throws -> String? {
        let execution = try await show(id: id, by: caller)
        return try await store.executionLog(id: execution.id)
    }

    public func delete(id: String, by caller: Caller) async throws {
        let execution = try await show(id: id, by: caller)
        guard execution.status != .running else {
            throw ServiceError.conflict("Execution \(id) is still running; delete it once it has finished.")
        }
        try await store.deleteExecution(id: id)
    }

    /// Executions that were running when the daemon stopped cannot finish: mark them failed.
    public func failInterrupted() async throws {
        for execution in try await store.executions(ListQuery(scope: .all, filters: [ListFilter(field: "status", expression: "running")])) {
            let result: JSONValue = .object(["output": .string("Function execution failed: the daemon restarted while it was running."), "duration": .double(0)])
            try await store.finishExecution(id: execution.id, status: .failed, result: result.serialized, log: nil)
        }
    }
}
