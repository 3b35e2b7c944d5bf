import Foundation
import HearthCore
import HearthSandbox
import Logging

/// The warm pool.
///
/// Per runtime, `capacity` generic workers are kept started and idle. A function version's
/// first call takes one and specialises it (`load`); it stays bound to that version and
/// project and is reused. While all of a version's workers are busy, calls wait in its
/// queue and the version takes more generic workers, up to `perFunctionWorkers`; past
/// `perFunctionQueue` waiting calls, new ones are refused. Spawning happens only in the
/// background refill, never for a particular request. A worker that timed out, crashed, was
/// OOM-killed or broke the protocol is killed with its whole sandbox and never reused.
public actor WorkerPool {
    struct RuntimeState {
        var template: WorkerTemplate
        var generic: [Worker] = []
        var starting = 0
        var lastError: String?
        /// Start failures in a row; the retry waits longer after each.
        var failures = 0
        /// A runtime that never started a worker is in error: it is not retried.
        var startedOnce = false
        /// Bumped by every `warm`: a start begun for an older template is retired, not counted.
        var generation = 0
        /// Callers of `warm` waiting for the first fill.
        var warmWaiters: [CheckedContinuation<Void, any Error>] = []
    }

    struct FunctionState {
        var runtimeID: String
        var workers: [Worker] = []
        var idle: [Worker] = []
        var specialising = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    let sandbox: Sandbox
    let profiles: Profiles
    public let settings: PoolSettings
    let logger: Logger
    var runtimes: [String: RuntimeState] = [:]
    var functions: [FunctionKey: FunctionState] = [:]
    var nextWorkerNumber = 0
    var retiring = false

    /// The compiled seccomp profiles: `trusted` runtimes' and the stricter `untrusted` one.
    public struct Profiles: Sendable {
        public var trusted: SeccompProfile
        public var untrusted: SeccompProfile

        public init(trusted: SeccompProfile, untrusted: SeccompProfile) {
            self.trusted = trusted
            self.untrusted = untrusted
        }
    }

    public init(sandbox: Sandbox, profiles: Profiles, settings: PoolSettings, logger: Logger) {
        self.sandbox = sandbox
        self.profiles = profiles
        self.settings = settings
        self.logger = logger
    }

    // MARK: - Runtimes

    /// Workers reach their runtime directory as an unprivileged uid: it must be world-traversable.
    public static func isReachableBySandboxes(_ directory: URL) -> Bool {
        Sandbox.isWorldTraversable(directory.appendingPathComponent("x").path)
    }

    /// Starts (or restarts) a runtime's pool and returns once `capacity` workers are warm.
    /// Throws `runtimeUnavailable` with the reason if the first worker cannot start.
    public func warm(_ template: WorkerTemplate) async throws {
        if var state = runtimes[template.runtimeID] {
            retire(state.generic)
            state.template = template
            state.generic = []
            state.starting = 0
            state.generation += 1
            runtimes[template.runtimeID] = state
            // Specialised workers run the old runtime: retire them too.
            detachAll(runtimeID: template.runtimeID)
        } else {
            runtimes[template.runtimeID] = RuntimeState(template: template)
        }
        try await withCheckedThrowingContinuation { continuation in
            runtimes[template.runtimeID]?.warmWaiters.append(continuation)
            refill(template.runtimeID)
            if let state = runtimes[template.runtimeID], state.starting == 0, state.generic.isEmpty {
                runtimes[template.runtimeID]?.warmWaiters.removeAll()
                continuation.resume(throwing: PoolError.runtimeUnavailable(
                    "no worker can be started: the pool is at max_workers (\(settings.maxWorkers)) with no idle worker to retire"))
            }
        }
    }

    /// Stops a runtime's pool: every worker of it is killed (busy ones when their call ends),
    /// and calls waiting for it are told.
    public func remove(runtimeID: String) {
        guard let state = runtimes.removeValue(forKey: runtimeID) else { return }
        retire(state.generic)
        detachAll(runtimeID: runtimeID)
        for waiter in state.warmWaiters { waiter.resume(throwing: PoolError.unknownRuntime(runtimeID)) }
    }

    /// Forgets every specialised worker of a runtime: idle ones are retired now, busy ones by
    /// `release` (they are no longer listed). Waiters wake and see the new state.
    func detachAll(runtimeID: String) {
        for (key, function) in functions where function.runtimeID == runtimeID {
            retire(function.idle)
            functions[key]?.idle = []
            functions[key]?.workers = []
        }
        wakeWaiters(runtimeID: runtimeID)
        for (key, function) in functions where function.runtimeID == runtimeID && function.waiters.isEmpty {
            functions[key] = nil
        }
    }

    /// `total`: the runtime's workers, generic and specialised; `available`: warm generic ones.
    public func capacity(runtimeID: String) -> (total: Int, available: Int)? {
        guard let state = runtimes[runtimeID] else { return nil }
        let specialised = functions.values.filter { $0.runtimeID == runtimeID }.reduce(0) { $0 + $1.workers.count }
        return (state.generic.count + specialised, state.generic.count)
    }

    var totalWorkers: Int {
        runtimes.values.reduce(0) { $0 + $1.generic.count + $1.starting } + functions.values.reduce(0) { $0 + $1.workers.count }
    }

    /// Starts generic workers in the background until the runtime has `capacity` of them.
    func refill(_ runtimeID: String) {
        guard let state = runtimes[runtimeID] else { return }
        var missing = settings.capacity - state.generic.count - state.starting
        while missing > 0 {
            if totalWorkers >= settings.maxWorkers && !evictLeastRecentlyUsed() { break }
            missing -= 1
            runtimes[runtimeID]?.starting += 1
            nextWorkerNumber += 1
            let id = "\(state.template.runtimeName)-\(nextWorkerNumber)"
            let (template, generation) = (state.template, state.generation)
            Task { await self.started(id: id, template: template, generation: generation) }
        }
    }

    func started(id: String, template: WorkerTemplate, generation: Int) async {
        let result: Result<Worker, any Error>
        do {
            let profile = template.trusted ? profiles.trusted : profiles.untrusted
            result = .success(try await Worker.start(id: id, template: template, sandbox: sandbox, profile: profile, settings: settings))
        } catch {
            result = .failure(error)
        }
        guard runtimes[template.runtimeID]?.generation == generation else {
            // The runtime was removed or re-warmed with another template meanwhile.
            if case .success(let worker) = result { retire([worker]) }
            return
        }
        runtimes[template.runtimeID]?.starting -= 1
        switch result {
        case .success(let worker):
            worker.channel.whenClosedWhileIdle { [weak self, weak worker] in
                guard let self, let worker else { return }
                Task { await self.died(worker) }
            }
            runtimes[template.runtimeID]?.generic.append(worker)
            runtimes[template.runtimeID]?.lastError = nil
            runtimes[template.runtimeID]?.failures = 0
            runtimes[template.runtimeID]?.startedOnce = true
            logger.debug("worker ready", metadata: ["worker": "\(worker.id)", "pid": "\(worker.pid)"])
            if let state = runtimes[template.runtimeID], state.generic.count >= settings.capacity || state.starting == 0 {
                for waiter in state.warmWaiters { waiter.resume() }
                runtimes[template.runtimeID]?.warmWaiters = []
            }
            wakeWaiters(runtimeID: template.runtimeID)
        case .failure(let error):
            let reason = (error as? PoolError)?.description ?? "\(error)"
            logger.error("worker failed to start", metadata: ["runtime": "\(template.runtimeID)", "error": "\(reason)"])
            runtimes[template.runtimeID]?.lastError = reason
            runtimes[template.runtimeID]?.failures += 1
            let waiters = runtimes[template.runtimeID]?.warmWaiters ?? []
            runtimes[template.runtimeID]?.warmWaiters = []
            for waiter in waiters { waiter.resume(throwing: PoolError.runtimeUnavailable(reason)) }
            // Calls waiting for this runtime get the error instead of waiting forever.
            wakeWaiters(runtimeID: template.runtimeID)
            // A start can fail for a passing reason (the worker was killed while starting):
            // try again, waiting longer after each failure in a row (0.5 s, 1 s, … 30 s).
            guard let state = runtimes[template.runtimeID], state.startedOnce else { return }
            let failures = state.failures
            let delay = min(30.0, 0.25 * Double(1 << min(failures, 7)))
            Task {
                try? await Task.sleep(for: .seconds(delay))
                self.refill(template.runtimeID)
            }
        }
    }

    /// A worker died between calls (killed from outside, crashed): forget it, reap it, and
    /// refill its runtime. Busy workers' deaths are handled by the call that saw them.
    func died(_ worker: Worker) async {
        guard !worker.busy else { return }
        if let runtimeID = runtimes.first(where: { $0.value.generic.contains { $0 === worker } })?.key {
            runtimes[runtimeID]?.generic.removeAll { $0 === worker }
            refill(runtimeID)
        } else if let key = worker.binding {
            forget(worker, key: key)
        } else {
            return
        }
        let exit = await worker.stop()
        logger.warning("idle worker died; replaced", metadata: ["worker": "\(worker.id)", "exit": "\(exit.termination.description)"])
    }

    // MARK: - Calls

    /// Runs one call on a worker of its function version, specialising one if needed.
    public func invoke(_ request: InvocationRequest) async throws -> InvocationResult {
        let (worker, cold) = try await acquire(request)
        if cold {
            if let failure = await load(worker, request) { return failure }
        }
        do {
            if worker.appliedLimits != request.limits {
                try worker.process.cgroup.apply(request.limits)
                worker.appliedLimits = request.limits
            }
        } catch {
            await discard(worker, key: request.key)
            throw PoolError.workerStartFailed("the function's limits could not be applied: \(error)")
        }
        // The timeout covers the call, not the specialisation before it.
        let started = ContinuousClock.now
        let log = LogCapture(limit: settings.logLimit)
        let header: [(key: String, value: JSONValue)] = [
            ("type", .string("invoke")), ("execution_id", .string(request.executionID)), ("input", request.input ?? .null),
            ("positional", .bool(request.positional)), ("timeout", .double(request.timeout)),
            ("function_id", .string(request.key.functionID)), ("version", .int(Int64(request.key.version))),
        ]
        let outcome = await worker.channel.exchange(
            WorkerFrame(header: .object(header)), deadline: started + .seconds(request.timeout), log: log
        )
        let elapsed = (ContinuousClock.now - started).seconds
        switch outcome {
        case .frame(let frame) where frame.type == "result":
            release(worker, key: request.key, healthy: true)
            let ok = frame.header["ok"] == .bool(true)
            let duration: Double
            switch frame.header["duration"] {
            case .double(let d)?: duration = d
            case .int(let i)?: duration = Double(i)
            default: duration = elapsed
            }
            let failure: InvocationResult.Failure? = ok ? nil : (frame.header["error_type"]?.stringValue == "unserializable" ? .unserializable : .exception)
            return InvocationResult(failure: failure, output: frame.header["output"] ?? .null, duration: duration, log: log.text, cold: cold, workerID: worker.id)
        case .frame, .violation:
            await discard(worker, key: request.key)
            return InvocationResult(failure: .protocolError, output: .string("Function execution failed: the runtime broke its protocol."), duration: elapsed, log: log.text, cold: cold, workerID: worker.id)
        case .timedOut:
            await discard(worker, key: request.key)
            return InvocationResult(failure: .timeout, output: .string("Function execution timeout."), duration: elapsed, log: log.text, cold: cold, workerID: worker.id)
        case .closed:
            let exit = await discard(worker, key: request.key)
            let (failure, message): (InvocationResult.Failure, String) = exit.outOfMemory
                ? (.outOfMemory, "Function execution failed because of too much resource consumption: out of memory (limit \(request.limits.memory) bytes).")
                : (.crashed, "Function execution failed because of too much resource consumption: the worker \(exit.termination.description).")
            return InvocationResult(failure: failure, output: .string(message), duration: elapsed, log: log.text, cold: cold, workerID: worker.id)
        }
    }

    /// A worker for the call's function version: an idle one of its own, else a generic one
    /// to specialise (cold), else a wait in the version's queue.
    func acquire(_ request: InvocationRequest) async throws -> (Worker, cold: Bool) {
        let key = request.key
        while true {
            guard runtimes[request.runtimeID] != nil else { throw PoolError.unknownRuntime(request.runtimeID) }
            var state = functions[key] ?? FunctionState(runtimeID: request.runtimeID)
            if let worker = state.idle.popLast() {
                worker.busy = true
                functions[key] = state
                return (worker, false)
            }
            if state.workers.count + state.specialising < settings.perFunctionWorkers, let worker = runtimes[request.runtimeID]?.generic.popLast() {
                worker.busy = true
                worker.binding = key
                state.workers.append(worker)
                functions[key] = state
                refill(request.runtimeID)
                return (worker, true)
            }
            if let error = runtimes[request.runtimeID]?.lastError, runtimes[request.runtimeID]?.generic.isEmpty == true,
                state.workers.isEmpty
            {
                throw PoolError.runtimeUnavailable(error)
            }
            guard state.waiters.count < settings.perFunctionQueue else { throw PoolError.queueFull(waiting: state.waiters.count) }
            refill(request.runtimeID)
            await withCheckedContinuation { continuation in
                state.waiters.append(continuation)
                functions[key] = state
            }
        }
    }

    /// Specialises a worker; on failure the worker is discarded and the failure returned.
    func load(_ worker: Worker, _ request: InvocationRequest) async -> InvocationResult? {
        let bundle: CodeBundle
        do {
            bundle = try request.code()
        } catch {
            release(worker, key: request.key, healthy: false)
            return InvocationResult(failure: .loadFailed, output: .string("\(error)"), duration: 0, log: "", cold: true, workerID: worker.id)
        }
        var blob: [UInt8] = []
        let files: [JSONValue] = bundle.files.map { file in
            blob += file.bytes
            return .object(["path": .string(file.path), "mode": .int(Int64(file.mode)), "size": .int(Int64(file.bytes.count))])
        }
        let header: JSONValue = .object([
            "type": .string("load"), "function_id": .string(request.key.functionID), "version": .int(Int64(request.key.version)),
            "entry": .string(bundle.entry), "convention": .string(bundle.convention), "files": .array(files),
        ])
        let log = LogCapture(limit: settings.logLimit)
        let outcome = await worker.channel.exchange(WorkerFrame(header: header, blob: blob), deadline: .now + .seconds(max(request.timeout, 10)), log: log)
        if case .frame(let frame) = outcome, frame.type == "loaded", frame.header["ok"] == .bool(true) {
            return nil
        }
        await discard(worker, key: request.key)
        var message = "Function code could not be loaded."
        if case .frame(let frame) = outcome, let error = frame.header["error"]?.stringValue { message = error }
        return InvocationResult(failure: .loadFailed, output: .string(message), duration: 0, log: log.text, cold: true, workerID: worker.id)
    }

    func release(_ worker: Worker, key: FunctionKey, healthy: Bool) {
        worker.busy = false
        worker.lastUsed = .now
        // A worker detached while busy, or one that failed, is not listed any more: retire it.
        guard healthy, functions[key]?.workers.contains(where: { $0 === worker }) == true else {
            forget(worker, key: key)
            retire([worker])
            wakeOne(key)
            return
        }
        functions[key]?.idle.append(worker)
        wakeOne(key)
        refillStarved()
    }

    /// Kills a worker that must not be reused and waits for its exit status.
    @discardableResult
    func discard(_ worker: Worker, key: FunctionKey) async -> SandboxedProcess.Exit {
        forget(worker, key: key)
        wakeOne(key)
        return await worker.stop()
    }

    func forget(_ worker: Worker, key: FunctionKey) {
        functions[key]?.workers.removeAll { $0 === worker }
        functions[key]?.idle.removeAll { $0 === worker }
        if let state = functions[key], state.workers.isEmpty, state.waiters.isEmpty { functions[key] = nil }
        refillStarved()
    }

    /// Calls may wait for a generic worker that `refill` could not start at the global cap.
    /// Whenever room appears (a worker retired, or one idle that could be), try again.
    func refillStarved() {
        let starved = Set(functions.values.filter { !$0.waiters.isEmpty }.map(\.runtimeID))
        for runtimeID in starved where runtimes[runtimeID]?.generic.isEmpty == true {
            refill(runtimeID)
        }
    }

    func wakeOne(_ key: FunctionKey) {
        guard var state = functions[key], !state.waiters.isEmpty else { return }
        let waiter = state.waiters.removeFirst()
        functions[key] = state
        waiter.resume()
    }

    func wakeWaiters(runtimeID: String) {
        for (key, state) in functions where state.runtimeID == runtimeID && !state.waiters.isEmpty {
            functions[key]?.waiters = []
            for waiter in state.waiters { waiter.resume() }
        }
    }

    /// Kills workers in the background.
    func retire(_ workers: [Worker]) {
        for worker in workers {
            Task { await worker.stop() }
        }
    }

    /// Retires the least recently used idle specialised worker; false if there is none.
    func evictLeastRecentlyUsed() -> Bool {
        var oldest: (FunctionKey, Worker)?
        for (key, state) in functions {
            for worker in state.idle where oldest == nil || worker.lastUsed < oldest!.1.lastUsed {
                oldest = (key, worker)
            }
        }
        guard let (key, worker) = oldest else { return false }
        functions[key]?.workers.removeAll { $0 === worker }
        functions[key]?.idle.removeAll { $0 === worker }
        retire([worker])
        logger.info("worker evicted (global cap)", metadata: ["worker": "\(worker.id)", "function": "\(key)"])
        return true
    }

    // MARK: - Function workers (scale up/down, detach, expiry)

    public func workers(functionID: String, version: Int?) -> [WorkerInfo] {
        functions.filter { $0.key.functionID == functionID && (version == nil || $0.key.version == version) }
            .sorted { $0.key.version < $1.key.version }
            .flatMap { key, state in state.workers.map { WorkerInfo(functionID: key.functionID, version: key.version, workerName: $0.id) } }
    }

    /// Specialises up to `count` more generic workers for a version ahead of its calls.
    public func scaleUp(_ request: InvocationRequest, count: Int) async -> Int {
        var added = 0
        for _ in 0..<count {
            var state = functions[request.key] ?? FunctionState(runtimeID: request.runtimeID)
            guard let worker = runtimes[request.runtimeID]?.generic.popLast() else { break }
            worker.busy = true
            worker.binding = request.key
            state.workers.append(worker)
            functions[request.key] = state
            refill(request.runtimeID)
            if await load(worker, request) == nil {
                release(worker, key: request.key, healthy: true)
                added += 1
            }
        }
        return added
    }

    /// Retires up to `count` idle workers of a version, always keeping one.
    public func scaleDown(_ key: FunctionKey, count: Int) {
        guard var state = functions[key] else { return }
        var removable = min(count, state.workers.count - 1)
        while removable > 0, let worker = state.idle.popLast() {
            state.workers.removeAll { $0 === worker }
            retire([worker])
            removable -= 1
        }
        functions[key] = state
    }

    /// Retires every worker of a version (busy ones once their call ends).
    public func detach(functionID: String, version: Int?) {
        for (key, state) in functions where key.functionID == functionID && (version == nil || key.version == version) {
            retire(state.idle)
            functions[key]?.idle = []
            functions[key]?.workers.removeAll { !$0.busy }
            // Busy workers are no longer listed, so `release` retires them.
            functions[key]?.workers = []
            if functions[key]?.waiters.isEmpty == true { functions[key] = nil }
        }
    }

    /// Retires specialised workers idle longer than the TTL. Called periodically.
    public func retireIdle(now: ContinuousClock.Instant = .now) {
        for (key, state) in functions {
            let expired = state.idle.filter { now - $0.lastUsed > .seconds(settings.idleTTL) }
            guard !expired.isEmpty else { continue }
            for worker in expired { forget(worker, key: key) }
            retire(expired)
            logger.info("idle workers retired", metadata: ["function": "\(key)", "count": "\(expired.count)"])
        }
    }

    /// Stops everything (daemon shutdown).
    public func shutdown() async {
        var all: [Worker] = []
        for state in runtimes.values { all += state.generic }
        for state in functions.values { all += state.workers }
        runtimes = [:]
        functions = [:]
        await withTaskGroup(of: Void.self) { group in
            for worker in all { group.addTask { await worker.stop() } }
        }
    }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
