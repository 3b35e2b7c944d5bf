import Foundation
import HearthCore
import HearthPool
import HearthStore
import Logging

/// Executions: every call runs on a pooled worker and is stored. An async call is stored
/// before it is accepted, answers at once with `running` and waits its turn in the execution
/// queue, which survives a crash because the row is the queue. A sync call answers with the
/// finished record and is stored once, a moment after it ends; until then reads see it from
/// `RunningExecutions` (whose comment says what a crash mid-call leaves).
public struct ExecutionService: Sendable {
    let store: Store
    let functions: FunctionService
    let pool: WorkerPool?
    let logger: Logger
    let running = RunningExecutions()
    let queue: ExecutionQueue
    /// Set once at start-up by the FunctionGraph face (`setAttemptHook`).
    let attemptHook = AttemptHookSlot()

    public init(store: Store, functions: FunctionService, pool: WorkerPool?, logger: Logger) {
        self.store = store
        self.functions = functions
        self.pool = pool
        self.logger = logger
        let started = StartedBox()
        queue = ExecutionQueue(perFunction: pool?.settings.perFunctionWorkers ?? 1) { id in
            await started.service?.runQueued(id)
        }
        started.service = self
    }

    public static let filterableFields: [String: FilterField] = [
        "function_id": .text, "function_version": .int, "function_alias": .text, "status": .text,
        "description": .text, "sync": .bool, "project_id": .text,
    ]

    public func create(_ draft: ExecutionDraft, by caller: Caller) async throws -> Execution {
        // Before the definition is read: the pool must know if an update comes in between.
        let detachesSeen = pool?.detaches ?? 0
        let target = try await functions.resolveTarget(functionID: draft.functionID, alias: draft.functionAlias, version: draft.functionVersion, by: caller)
        let (function, version) = (target.function, target.version)
        try Limits.checkLength(draft.description, field: "description", max: 255)
        let input = try ExecutionInput(draft.input)
        let sync = draft.sync ?? true
        let execution = Execution(
            id: Identifier.make(), functionID: function.id, functionVersion: version, functionAlias: target.alias,
            description: draft.description, status: .running, sync: sync, input: input.stored,
            projectID: caller.projectID, createdAt: Date(), destinationChain: draft.destinationChain
        )
        let available: (Runtime.Status?) throws -> Void = { status in
            guard status == .available else { throw ServiceError.conflict("Runtime \(function.runtimeID) is not available.") }
        }
        guard sync else {
            try store.insertExecution(execution, runtimeID: function.runtimeID) { try available($0?.status) }
            await queue.enqueue(.init(execution))
            return execution
        }
        try available(try store.runtimeStatusNow(id: function.runtimeID))
        let request = await functions.invocation(of: function, version: version, executionID: execution.id, input: input.value, positional: input.positional, detachesSeen: detachesSeen)
        return try await run(execution, request)
    }

    /// Runs an async execution the queue hands over, reading it back from the store: it may
    /// have been accepted before a restart, and its function may have changed or gone since.
    func runQueued(_ id: String) async {
        do {
            guard let execution = try await store.execution(id: id), execution.status == .running else { return }
            let input = try ExecutionInput(text: execution.input ?? "")
            guard var request = try await currentRequest(for: execution, input: input.value, positional: input.positional) else {
                return try store.finishExecution(id: id, status: .error, result: Self.functionGone(execution).result.serialized, log: nil)
            }
            request.background = true
            request.onStart = { [store] in try? await store.markExecutionStarted(id: id) }
            _ = try await run(execution, request)
        } catch PoolError.stopping {
            logger.info("async execution left queued for the next start: hearthd is stopping", metadata: ["execution": "\(id)"])
        } catch {
            logger.error("queued execution could not run", metadata: ["execution_id": "\(id)", "error": "\(error)"])
        }
    }

    /// The call an async execution makes now, with its function as it is now (nil: deleted).
    /// Each attempt reads it again, so that an update between attempts is run.
    func currentRequest(for execution: Execution, input: JSONValue?, positional: Bool) async throws -> InvocationRequest? {
        let detachesSeen = pool?.detaches ?? 0
        guard let function = try await store.function(id: execution.functionID) else { return nil }
        return await functions.invocation(of: function, version: execution.functionVersion, executionID: execution.id, input: input, positional: positional, detachesSeen: detachesSeen)
    }

    static func functionGone(_ execution: Execution) -> AttemptEnding {
        AttemptEnding(status: .error, result: .object(["output": .string("Function execution failed: function \(execution.functionID) no longer exists."), "duration": .double(0)]), log: nil, failure: nil)
    }

    /// Runs a stored execution and records how it ended. Async executions go through the
    /// attempt hook, if one is set (retries, event age, destinations).
    func run(_ execution: Execution, _ request: InvocationRequest) async throws -> Execution {
        var request = request
        let capture = LogCapture(limit: pool?.settings.logLimit ?? 1 << 20)
        request.log = capture
        running.started(execution, log: capture, stored: !execution.sync)
        guard execution.sync else {
            defer { running.ended(execution.id) }
            if let hook = attemptHook.current {
                return try await runAttempts(execution, request, hook: hook)
            }
            return try await record(execution, try await attempt(execution, request))
        }
        let ending: AttemptEnding
        do {
            ending = try await attempt(execution, request)
        } catch {
            running.ended(execution.id)
            throw error
        }
        return await recordSync(execution, ending)
    }

    /// One run on a pooled worker, and how it ended.
    func attempt(_ execution: Execution, _ request: InvocationRequest) async throws -> AttemptEnding {
        let status: Execution.Status
        let result: JSONValue
        var log: String?
        var failure: InvocationResult.Failure?
        do {
            guard let pool else { throw PoolError.runtimeUnavailable("this daemon has no sandbox") }
            let outcome = try await pool.invoke(request)
            status = outcome.succeeded ? .success : .failed
            var members: [(key: String, value: JSONValue)] = [("output", outcome.output), ("duration", .double((outcome.duration * 1000).rounded() / 1000))]
            if let failure = outcome.failure { members.append(("error", .string(failure.rawValue))) }
            members.append(("cold", .bool(outcome.cold)))
            result = .object(members)
            log = outcome.log
            failure = outcome.failure
        } catch PoolError.stopping where !execution.sync {
            // It never reached a worker: its row stays queued, for `requeuePending`.
            throw PoolError.stopping
        } catch PoolError.queueFull(let waiting) where execution.sync {
            // Nothing is stored yet: refuse the call and keep nothing.
            throw ServiceError.tooManyRequests("Too many executions are waiting for function \(execution.functionID) (\(waiting)); retry later.")
        } catch {
            status = .error
            result = .object(["output": .string("Function execution failed: \((error as? PoolError)?.description ?? "\(error)")"), "duration": .double(0)])
            logger.error("execution could not run", metadata: ["execution_id": "\(execution.id)", "function_id": "\(execution.functionID)", "error": "\(error)"])
        }
        return AttemptEnding(status: status, result: result, log: log, failure: failure)
    }

    /// Stores how an async execution ended.
    func record(_ execution: Execution, _ ending: AttemptEnding) async throws -> Execution {
        let execution = Self.ended(execution, ending)
        try store.finishExecution(id: execution.id, status: ending.status, result: execution.result ?? "", log: ending.log)
        return execution
    }

    /// Hands a sync execution's end to the store, its first and only write, and returns it
    /// ended without waiting for the commit: until then reads find it in `running`.
    func recordSync(_ execution: Execution, _ ending: AttemptEnding) async -> Execution {
        let execution = Self.ended(execution, ending)
        running.finished(execution)
        await store.storeFinishedExecution(execution, log: ending.log, deleted: { [running, id = execution.id] in running.isDeleted(id) }) {
            [running, logger, id = execution.id] error in
            running.ended(id)
            if let error { logger.error("a sync execution's record could not be stored", metadata: ["execution_id": "\(id)", "error": "\(error)"]) }
        }
        return execution
    }

    private static func ended(_ execution: Execution, _ ending: AttemptEnding) -> Execution {
        var execution = execution
        execution.status = ending.status
        execution.result = ending.result.serialized
        execution.updatedAt = Date()
        return execution
    }

    /// Running sync executions are read from memory before the store, so that one ending
    /// meanwhile is found in one or the other (it leaves memory only once it is stored).
    public func list(by caller: Caller, filters: [ListFilter], allProjects: Bool) async throws -> [Execution] {
        let query = try ListQuery.projectScoped(for: caller, filters: filters, allowed: Self.filterableFields, allProjects: allProjects)
        return try await store.executions(query, including: running.unstored())
    }

    public func show(id: String, by caller: Caller) async throws -> Execution {
        let live = running.unstored(id)
        guard let execution = try await store.execution(id: id) ?? live, caller.canRead(project: execution.projectID) else {
            throw ServiceError.notFound("Execution not found [id=\(id)]")
        }
        return execution
    }

    /// The captured output, so far while it runs; nil while there is none.
    public func log(id: String, by caller: Caller) async throws -> String? {
        let execution = try await show(id: id, by: caller)
        if let live = running.log(execution.id) {
            return live.isEmpty ? nil : live.text
        }
        return try await store.executionLog(id: execution.id)
    }

    /// Deletes an execution; one still waiting never runs, one running is stopped.
    public func delete(id: String, by caller: Caller) async throws {
        let execution = try await show(id: id, by: caller)
        // Before the store's delete: a sync execution ending meanwhile then stores nothing.
        running.markDeleted(id)
        try await store.deleteExecution(id: id)
        if execution.status == .running, !(await queue.remove(executionID: id)) {
            _ = await pool?.cancel(executionID: id)
        }
    }

    /// After a stop or a crash, before serving: executions a worker had taken cannot finish
    /// and fail, saying why (so do sync ones stored as running by an older hearthd: their
    /// callers are gone).
    /// Async ones no worker had taken stay `running` for `requeuePending`.
    public func failInterrupted() async throws {
        let pending = Set(try await store.pendingExecutions().map(\.id))
        let result: JSONValue = .object(["output": .string("Function execution failed: the daemon restarted while it was running."), "duration": .double(0)])
        for execution in try await store.runningExecutions() where !pending.contains(execution.id) {
            try store.finishExecution(id: execution.id, status: .failed, result: result.serialized, log: nil)
        }
    }

    /// Queues again, in the order they were accepted, the async executions no worker had taken
    /// before a stop or a crash. Called once the runtimes' pools are back.
    public func requeuePending() async throws {
        let pending = try await store.pendingExecutions()
        for execution in pending {
            await queue.enqueue(.init(execution))
        }
        if !pending.isEmpty { logger.notice("async executions queued again after a restart", metadata: ["count": "\(pending.count)"]) }
    }
}

/// The queue calls back into the service that owns it; a struct cannot capture itself while
/// it is being initialised, so the reference is set right after.
private final class StartedBox: @unchecked Sendable {
    // Written once in ExecutionService.init, before the queue can call.
    var service: ExecutionService?
}
