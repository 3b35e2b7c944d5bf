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
        /// Calls waiting for a worker, in arrival order.
        var waiters: [Waiter] = []
    }

    struct Waiter {
        var continuation: CheckedContinuation<Void, Never>
        /// An async execution's call: it yields to every caller waiting on a response.
        var background: Bool
    }

    let sandbox: Sandbox
    let profiles: Profiles
    nonisolated public let settings: PoolSettings
    let logger: Logger
    var runtimes: [String: RuntimeState] = [:]
    var functions: [FunctionKey: FunctionState] = [:]
    var nextWorkerNumber = 0
    var phase = Phase.serving
    /// Workers being started, by number: a stop cancels them and waits for them to be gone.
    var starts: [Int: Task<Void, Never>] = [:]
    /// Every worker running a call, detached or not: the drain's end stops them all.
    var inCall: [ObjectIdentifier: Worker] = [:]

    /// A stop in three steps (WorkerPool+Stop): serving; draining (SIGTERM: running calls go
    /// on, calls waiting to respond may still start, async calls no longer do); stopped.
    enum Phase {
        case serving, draining, stopped
    }

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
        guard phase != .stopped else { throw PoolError.stopping }
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

    /// Takes an idle generic worker of the runtime and binds it to `key` for good (busy, until
    /// its first call or load ends); the runtime refills behind it. Nil if none is idle.
    func takeGeneric(for key: FunctionKey, runtimeID: String) -> Worker? {
        guard let worker = runtimes[runtimeID]?.generic.popLast() else { return nil }
        worker.busy = true
        worker.binding = key
        functions[key, default: FunctionState(runtimeID: runtimeID)].workers.append(worker)
        refill(runtimeID)
        return worker
    }

    /// Starts generic workers in the background until the runtime has `capacity` of them.
    func refill(_ runtimeID: String) {
        guard phase != .stopped, let state = runtimes[runtimeID] else { return }
        var missing = settings.capacity - state.generic.count - state.starting
        while missing > 0 {
            if totalWorkers >= settings.maxWorkers && !evictLeastRecentlyUsed() { break }
            missing -= 1
            runtimes[runtimeID]?.starting += 1
            nextWorkerNumber += 1
            let number = nextWorkerNumber
            let id = "\(state.template.runtimeName)-\(number)"
            let (template, generation) = (state.template, state.generation)
            // Registered before the task can run: it needs this actor, which is busy here.
            starts[number] = Task { await self.started(number: number, id: id, template: template, generation: generation) }
        }
    }

    func started(number: Int, id: String, template: WorkerTemplate, generation: Int) async {
        defer { starts[number] = nil }
        let result: Result<Worker, any Error>
        do {
            let profile = template.trusted ? profiles.trusted : profiles.untrusted
            result = .success(try await Worker.start(id: id, template: template, sandbox: sandbox, profile: profile, settings: settings))
        } catch {
            result = .failure(error)
        }
        guard phase != .stopped else {
            // Came back after the stop: killed now, and waited for, so the stop leaves nothing.
            if case .success(let worker) = result { await worker.stop() }
            return
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
        let exit = await worker.stop(grace: Worker.exitGrace)
        logger.warning("idle worker died; replaced", metadata: ["worker": "\(worker.id)", "exit": "\(exit.termination.description)"])
    }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
