import Foundation
import HearthCore
import HearthSandbox
import Logging
import Synchronization

/// The warm pool: the processes, continuations and clocks around `PoolState`, which makes
/// every decision (what the rules are is told there). Each method turns what happened into a
/// `PoolState.Event` and carries out the actions it returns (`perform`). A worker that timed
/// out, crashed, was OOM-killed or broke the protocol is killed with its whole sandbox and
/// never reused.
public actor WorkerPool {
    /// A worker given to a call, with the number `PoolState` knows it by.
    struct Acquired {
        var worker: Worker
        var number: PoolState.WorkerID
        var cold: Bool
    }

    let sandbox: Sandbox
    let profiles: Profiles
    nonisolated public let settings: PoolSettings
    let logger: Logger
    var state: PoolState
    /// `state.detaches.count`, readable without a hop onto the actor.
    private let detachCount = Atomic<Int>(0)
    /// Each runtime's current template, by runtime id.
    var templates: [String: WorkerTemplate] = [:]
    /// Every started worker that is still the pool's, by number, busy ones included.
    var live: [PoolState.WorkerID: Worker] = [:]
    /// Callers of `warm` waiting for a runtime's first fill.
    var warmWaiters: [String: [CheckedContinuation<Void, any Error>]] = [:]
    /// Calls waiting for `PoolState` to give them a worker.
    var callers: [PoolState.CallID: CheckedContinuation<Acquired, any Error>] = [:]
    var nextWorkerNumber = 0
    var nextCall = 0
    /// Workers being started, by number: a stop cancels them and waits for them to be gone.
    var starts: [PoolState.WorkerID: Task<Void, Never>] = [:]
    /// Every worker running a call, detached or not: the drain's end stops them all.
    var inCall: [PoolState.WorkerID: Worker] = [:]
    /// Workers no longer the pool's that are being killed: a stop waits for them too.
    var ending: [PoolState.WorkerID: Worker] = [:]

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
        self.state = PoolState(settings: settings)
    }

    /// Detaches so far. A caller reads it before it reads the function's definition and puts
    /// it in its `InvocationRequest`: the pool then knows whether the code it brings is stale.
    public nonisolated var detaches: Int {
        detachCount.load(ordering: .acquiring)
    }

    /// Retires every worker of a version (busy ones once their call ends); calls of the
    /// function that read its definition before now are stale.
    public func detach(functionID: String, version: Int?) {
        perform(.detach(functionID: functionID, version: version))
        detachCount.store(state.detaches.count, ordering: .releasing)
    }

    // MARK: - Carrying out the state's decisions

    /// Hands `event` to the state and carries out what it decides, but for `.load` (only a
    /// scale-up asks for it, and does it itself). Returns every action, for the caller to read.
    @discardableResult
    func perform(_ event: PoolState.Event) -> [PoolState.Action] {
        let actions = state.handle(event)
        for action in actions {
            switch action {
            case .spawn(let runtimeID, let generation):
                spawn(runtimeID: runtimeID, generation: generation)
            case .run(let call, let number, let cold):
                guard let worker = live[number] else { preconditionFailure("worker \(number) given to a call is not live") }
                callers.removeValue(forKey: call)?.resume(returning: Acquired(worker: worker, number: number, cold: cold))
            case .reject(let call, let error):
                callers.removeValue(forKey: call)?.resume(throwing: error)
            case .load:
                break
            case .retire(let number):
                retire(number)
            case .evict(let number, let key):
                if let worker = live[number] {
                    logger.info("worker evicted (global cap)", metadata: ["worker": "\(worker.id)", "function": "\(key)"])
                }
                retire(number)
            case .reap(let number):
                guard let worker = live.removeValue(forKey: number) else { break }
                ending[number] = worker
                Task { [logger] in
                    let exit = await worker.stop(grace: Worker.exitGrace)
                    logger.warning("idle worker died; replaced", metadata: ["worker": "\(worker.id)", "exit": "\(exit.termination.description)"])
                    await self.ended(number)
                }
            case .warmed(let runtimeID):
                for waiter in warmWaiters.removeValue(forKey: runtimeID) ?? [] { waiter.resume() }
            case .warmFailed(let runtimeID, let error):
                for waiter in warmWaiters.removeValue(forKey: runtimeID) ?? [] { waiter.resume(throwing: error) }
            case .retryLater(let runtimeID, let delay):
                Task {
                    try? await Task.sleep(for: delay)
                    await self.perform(.retry(runtimeID: runtimeID))
                }
            }
        }
        return actions
    }

    /// Kills a worker in the background: it is no longer the pool's.
    func retire(_ number: PoolState.WorkerID) {
        guard let worker = live.removeValue(forKey: number) else { return }
        ending[number] = worker
        Task {
            await worker.stop()
            await self.ended(number)
        }
    }

    func ended(_ number: PoolState.WorkerID) {
        ending[number] = nil
    }

    // MARK: - Runtimes

    /// Workers reach their runtime directory as an unprivileged uid: it must be world-traversable.
    public static func isReachableBySandboxes(_ directory: URL) -> Bool {
        Sandbox.isWorldTraversable(directory.appendingPathComponent("x").path)
    }

    /// Starts (or restarts) a runtime's pool and returns once `capacity` workers are warm.
    /// Throws `runtimeUnavailable` with the reason if the first worker cannot start.
    public func warm(_ template: WorkerTemplate) async throws {
        guard state.phase != .stopped else { throw PoolError.stopping }
        templates[template.runtimeID] = template
        try await withCheckedThrowingContinuation { continuation in
            warmWaiters[template.runtimeID, default: []].append(continuation)
            perform(.warm(runtimeID: template.runtimeID))
        }
    }

    /// Stops a runtime's pool: every worker of it is killed (busy ones when their call ends),
    /// and calls waiting for it are told.
    public func remove(runtimeID: String) {
        templates[runtimeID] = nil
        perform(.removeRuntime(runtimeID: runtimeID))
    }

    /// `total`: the runtime's workers, generic and specialised; `available`: warm generic ones.
    public func capacity(runtimeID: String) -> (total: Int, available: Int)? {
        state.capacity(runtimeID: runtimeID)
    }

    /// Starts a generic worker of the runtime's current template in the background.
    private func spawn(runtimeID: String, generation: Int) {
        guard let template = templates[runtimeID] else { return }
        nextWorkerNumber += 1
        let number = nextWorkerNumber
        let id = "\(template.runtimeName)-\(number)"
        // Registered before the task can run: it needs this actor, which is busy here.
        starts[number] = Task { await self.started(number: number, id: id, template: template, generation: generation) }
    }

    private func started(number: Int, id: String, template: WorkerTemplate, generation: Int) async {
        defer { starts[number] = nil }
        let result: Result<Worker, any Error>
        do {
            let profile = template.trusted ? profiles.trusted : profiles.untrusted
            result = .success(try await Worker.start(id: id, template: template, sandbox: sandbox, profile: profile, settings: settings))
        } catch {
            result = .failure(error)
        }
        guard state.phase != .stopped else {
            // Came back after the stop: killed now, and waited for, so the stop leaves nothing.
            if case .success(let worker) = result { await worker.stop() }
            return
        }
        switch result {
        case .success(let worker):
            live[number] = worker
            worker.channel.whenClosedWhileIdle { [weak self] in
                guard let self else { return }
                Task { await self.perform(.diedIdle(number)) }
            }
            logger.debug("worker ready", metadata: ["worker": "\(worker.id)", "pid": "\(worker.pid)"])
            perform(.started(runtimeID: template.runtimeID, generation: generation, worker: number))
        case .failure(let error):
            let reason = (error as? PoolError)?.description ?? "\(error)"
            if state.runtimes[template.runtimeID]?.generation == generation {
                logger.error("worker failed to start", metadata: ["runtime": "\(template.runtimeID)", "error": "\(reason)"])
            }
            perform(.startFailed(runtimeID: template.runtimeID, generation: generation, reason: reason))
        }
    }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
