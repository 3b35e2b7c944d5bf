/// Every decision the warm pool makes, as a value: `handle(_:)` takes what happened (an
/// `Event`) and returns what to do about it (`Action`s), and does nothing else. No processes,
/// no clocks, no continuations: `WorkerPool` owns those and carries the actions out, and the
/// unit tests drive this event by event.
///
/// The rules it keeps. Per runtime, `capacity` generic workers are kept started and idle. A
/// function version's first call takes one and specialises it; it stays bound to that version
/// for good and is reused. While all of a version's workers are busy, calls wait in its queue
/// (callers waiting on a response ahead of async calls) and the version takes more generic
/// workers, up to `perFunctionWorkers`; past `perFunctionQueue` waiting callers, new ones are
/// refused. Spawning happens only to refill, never for a particular call. The refill behind a
/// generic worker a version took waits until that worker's first call (or load) ends, unless
/// calls of the runtime wait for workers: a start is a launcher request and a runtime
/// starting on the same cores, and made during the first call it made that call 2–4 times
/// slower. At `maxWorkers`, the least recently used idle specialised worker makes room. A
/// call that read its code before its function's last detach (`DetachLog`) runs on a worker
/// of its own, retired after it.
struct PoolState {
    typealias WorkerID = Int
    typealias CallID = Int

    enum Event: Equatable {
        /// A runtime's pool is (re)started; a re-warm retires every worker of the old template.
        case warm(runtimeID: String)
        case removeRuntime(runtimeID: String)
        /// A start ended: `worker` is ready, or it failed with `reason`.
        case started(runtimeID: String, generation: Int, worker: WorkerID)
        case startFailed(runtimeID: String, generation: Int, reason: String)
        /// The back-off after a failed start is over.
        case retry(runtimeID: String)
        /// A call wants a worker of its version; it read its function's definition having seen
        /// `detachesSeen` detaches (`DetachLog`).
        case call(CallID, key: FunctionKey, runtimeID: String, background: Bool, detachesSeen: Int)
        /// A call (or a load ahead of calls) is done with its worker; an unhealthy one is retired.
        case release(WorkerID, healthy: Bool, now: ContinuousClock.Instant)
        /// The caller is killing the worker itself (it timed out, crashed, broke the protocol).
        case discard(WorkerID)
        /// A worker closed its socket while idle.
        case diedIdle(WorkerID)
        /// Specialise up to `count` more workers for a version ahead of its calls.
        case scaleUp(key: FunctionKey, runtimeID: String, count: Int)
        case scaleDown(key: FunctionKey, count: Int)
        case detach(functionID: String, version: Int?)
        case expireIdle(now: ContinuousClock.Instant, ttl: Duration)
        /// SIGTERM: running calls go on; async calls waiting for a worker give up their place.
        case beginDrain
        /// Nothing starts any more; every waiting call is told.
        case stop
    }

    enum Action: Equatable {
        /// Start a generic worker of the runtime's current template.
        case spawn(runtimeID: String, generation: Int)
        /// Give the call this worker; `cold`: it must be specialised first.
        case run(CallID, WorkerID, cold: Bool)
        case reject(CallID, PoolError)
        /// Specialise this worker for `key` (a scale-up), then release it.
        case load(WorkerID, key: FunctionKey)
        /// Kill the worker in the background: it is no longer the pool's.
        case retire(WorkerID)
        /// Kill it because it was the least recently used and room was needed.
        case evict(WorkerID, key: FunctionKey)
        /// An idle worker died: reap it and say so.
        case reap(WorkerID)
        /// The runtime's first fill is over: warm callers go on, or get the error.
        case warmed(runtimeID: String)
        case warmFailed(runtimeID: String, PoolError)
        /// Send `.retry` after `delay`.
        case retryLater(runtimeID: String, delay: Duration)
    }

    enum Phase: Equatable {
        case serving, draining, stopped
    }

    struct Runtime {
        var generic: [WorkerID] = []
        var starting = 0
        var lastError: String?
        /// Start failures in a row; the retry waits longer after each.
        var failures = 0
        /// A runtime that never started a worker is in error: it is not retried.
        var startedOnce = false
        /// Bumped by every `warm`: a start begun for an older template is retired, not counted.
        var generation = 0
    }

    struct Function {
        var runtimeID: String
        var workers: [WorkerID] = []
        var idle: [WorkerID] = []
        /// Calls waiting for a worker, in arrival order.
        var waiting: [Waiting] = []
        /// Workers of the code of before a detach still running a call (busy when it came, or
        /// specialised for a stale call): listed nowhere and retired after that call, but
        /// counted against `perFunctionWorkers` until then, so that detaching a busy version
        /// again and again never lets it grow past its share.
        var oldCode = 0
    }

    struct Waiting: Equatable {
        var call: CallID
        var background: Bool
        /// What it had seen when it read its code: a detach while it waits makes it stale.
        var detachesSeen: Int
    }

    /// What the pool knows of a started worker that is its own.
    struct WorkerRecord {
        var runtimeID: String
        var binding: FunctionKey?
        var busy = false
        var lastUsed: ContinuousClock.Instant?
        /// Taken from the generic ones, its first call not yet over: its runtime refills then.
        var refillOwed = false
        /// Of the code of before a detach, busy (counted in `Function.oldCode`).
        var oldCode = false
    }

    let settings: PoolSettings
    private(set) var phase = Phase.serving
    private(set) var runtimes: [String: Runtime] = [:]
    private(set) var functions: [FunctionKey: Function] = [:]
    private(set) var workers: [WorkerID: WorkerRecord] = [:]
    private(set) var detaches = DetachLog()

    init(settings: PoolSettings) {
        self.settings = settings
    }

    /// Workers of every runtime, started or starting.
    var totalWorkers: Int {
        runtimes.values.reduce(0) { $0 + $1.starting } + workers.count
    }

    /// `total`: the runtime's workers, generic and specialised; `available`: warm generic ones.
    func capacity(runtimeID: String) -> (total: Int, available: Int)? {
        guard let runtime = runtimes[runtimeID] else { return nil }
        let specialised = functions.values.filter { $0.runtimeID == runtimeID }.reduce(0) { $0 + $1.workers.count }
        return (runtime.generic.count + specialised, runtime.generic.count)
    }

    mutating func handle(_ event: Event) -> [Action] {
        var actions: [Action] = []
        switch event {
        case .warm(let runtimeID):
            guard phase != .stopped else { return [.warmFailed(runtimeID: runtimeID, .stopping)] }
            if var runtime = runtimes[runtimeID] {
                retire(runtime.generic, into: &actions)
                runtime.generic = []
                runtime.starting = 0
                runtime.generation += 1
                runtimes[runtimeID] = runtime
                // Specialised workers run the old runtime: retire them too.
                detachAll(runtimeID: runtimeID, into: &actions)
            } else {
                runtimes[runtimeID] = Runtime()
            }
            refill(runtimeID, into: &actions)
            if let runtime = runtimes[runtimeID], runtime.starting == 0, runtime.generic.isEmpty {
                actions.append(.warmFailed(runtimeID: runtimeID, .runtimeUnavailable(
                    "no worker can be started: the pool is at max_workers (\(settings.maxWorkers)) with no idle worker to retire")))
            }

        case .removeRuntime(let runtimeID):
            guard let runtime = runtimes.removeValue(forKey: runtimeID) else { break }
            retire(runtime.generic, into: &actions)
            detachAll(runtimeID: runtimeID, into: &actions)
            actions.append(.warmFailed(runtimeID: runtimeID, .unknownRuntime(runtimeID)))

        case .started(let runtimeID, let generation, let worker):
            guard phase != .stopped, runtimes[runtimeID]?.generation == generation else {
                // Stopped, or the runtime was removed or re-warmed with another template meanwhile.
                return [.retire(worker)]
            }
            runtimes[runtimeID]!.starting -= 1
            runtimes[runtimeID]!.generic.append(worker)
            runtimes[runtimeID]!.lastError = nil
            runtimes[runtimeID]!.failures = 0
            runtimes[runtimeID]!.startedOnce = true
            workers[worker] = WorkerRecord(runtimeID: runtimeID)
            if let runtime = runtimes[runtimeID], runtime.generic.count >= settings.capacity || runtime.starting == 0 {
                actions.append(.warmed(runtimeID: runtimeID))
            }
            serveAll(runtimeID: runtimeID, into: &actions)

        case .startFailed(let runtimeID, let generation, let reason):
            guard phase != .stopped, runtimes[runtimeID]?.generation == generation else { break }
            runtimes[runtimeID]!.starting -= 1
            runtimes[runtimeID]!.lastError = reason
            runtimes[runtimeID]!.failures += 1
            actions.append(.warmFailed(runtimeID: runtimeID, .runtimeUnavailable(reason)))
            // Calls waiting for this runtime get the error instead of waiting forever.
            serveAll(runtimeID: runtimeID, into: &actions)
            // A start can fail for a passing reason (the worker was killed while starting):
            // try again, waiting longer after each failure in a row (0.5 s, 1 s, … 30 s).
            if let runtime = runtimes[runtimeID], runtime.startedOnce {
                let delay = min(30.0, 0.25 * Double(1 << min(runtime.failures, 7)))
                actions.append(.retryLater(runtimeID: runtimeID, delay: .milliseconds(Int(delay * 1000))))
            }

        case .retry(let runtimeID):
            refill(runtimeID, into: &actions)

        case .call(let call, let key, let runtimeID, let background, let seen):
            if functions[key] == nil, runtimes[runtimeID] != nil {
                functions[key] = Function(runtimeID: runtimeID)
            }
            let stale = detaches.isStale(functionID: key.functionID, seen: seen)
            if let verdict = assign(call, key: key, runtimeID: runtimeID, background: background, stale: stale, into: &actions) {
                if case .reject = verdict { dropIfUnused(key) }
                actions.append(verdict)
                break
            }
            // Callers waiting on a response are bounded here; async calls by their own queue.
            let waiting = functions[key]!.waiting.count { !$0.background }
            guard background || waiting < settings.perFunctionQueue else {
                actions.append(.reject(call, .queueFull(waiting: waiting)))
                break
            }
            functions[key]!.waiting.append(Waiting(call: call, background: background, detachesSeen: seen))
            refill(runtimeID, into: &actions)

        case .release(let worker, let healthy, let now):
            let owed = owedRefill(for: worker)
            guard var record = workers[worker] else { break }
            record.busy = false
            record.lastUsed = now
            workers[worker] = record
            guard let key = record.binding else { break }
            // A worker detached while busy, or one that failed, is not listed any more: retire it.
            if healthy, functions[key]?.workers.contains(worker) == true {
                functions[key]!.idle.append(worker)
                serve(key, into: &actions)
                refillStarved(into: &actions)
            } else {
                forget(worker, into: &actions)
                actions.append(.retire(worker))
                serve(key, into: &actions)
            }
            // Last: a worker let go above frees the slot the refill may need at the cap.
            if let owed { refill(owed, into: &actions) }

        case .discard(let worker):
            let owed = owedRefill(for: worker)
            let key = workers[worker]?.binding
            forget(worker, into: &actions)
            if let owed { refill(owed, into: &actions) }
            if let key { serve(key, into: &actions) }

        case .diedIdle(let worker):
            guard let record = workers[worker], !record.busy else { break }
            if let key = record.binding {
                forget(worker, into: &actions)
                serve(key, into: &actions)
            } else if runtimes[record.runtimeID]?.generic.contains(worker) == true {
                runtimes[record.runtimeID]!.generic.removeAll { $0 == worker }
                workers[worker] = nil
                refill(record.runtimeID, into: &actions)
            } else {
                break
            }
            actions.append(.reap(worker))

        case .scaleUp(let key, let runtimeID, let count):
            guard phase == .serving else { break }
            for _ in 0..<count {
                guard let worker = takeGeneric(for: key, runtimeID: runtimeID, into: &actions) else { break }
                actions.append(.load(worker, key: key))
            }

        case .scaleDown(let key, let count):
            guard var function = functions[key] else { break }
            var removable = min(count, function.workers.count - 1)
            while removable > 0, let worker = function.idle.popLast() {
                function.workers.removeAll { $0 == worker }
                workers[worker] = nil
                actions.append(.retire(worker))
                removable -= 1
            }
            functions[key] = function
            refillStarved(into: &actions)

        case .detach(let functionID, let version):
            // Whatever the version: calls of the function waiting now, or on their way, are stale.
            detaches.record(functionID: functionID)
            for key in functions.keys where key.functionID == functionID && (version == nil || key.version == version) {
                detach(key, into: &actions)
            }
            refillStarved(into: &actions)

        case .expireIdle(let now, let ttl):
            for function in functions.values {
                for worker in function.idle where workers[worker]?.lastUsed.map({ now - $0 > ttl }) ?? false {
                    forget(worker, into: &actions)
                    actions.append(.retire(worker))
                }
            }

        case .beginDrain:
            guard phase == .serving else { break }
            phase = .draining
            rejectWaiting(where: { $0.background }, into: &actions)

        case .stop:
            guard phase != .stopped else { break }
            phase = .stopped
            rejectWaiting(where: { _ in true }, into: &actions)
        }
        return actions
    }

    // MARK: - Giving calls workers

    /// A worker for the call now (`.run`), a refusal (`.reject`), or nil: it must wait. A
    /// stale call may take an idle worker (of the current code) but specialises one of its own.
    private mutating func assign(
        _ call: CallID, key: FunctionKey, runtimeID: String, background: Bool, stale: Bool, into actions: inout [Action]
    ) -> Action? {
        // A stopping daemon starts no async call: its execution stays for the next start.
        if phase == .stopped || (phase == .draining && background) { return .reject(call, .stopping) }
        guard let runtime = runtimes[runtimeID], functions[key] != nil else { return .reject(call, .unknownRuntime(runtimeID)) }
        if let worker = functions[key]!.idle.popLast() {
            workers[worker]?.busy = true
            return .run(call, worker, cold: false)
        }
        if functions[key]!.workers.count + functions[key]!.oldCode < settings.perFunctionWorkers,
            let worker = takeGeneric(for: key, runtimeID: runtimeID, into: &actions)
        {
            if stale {
                // Not listed, as a worker detached while busy: its release retires it.
                functions[key]!.workers.removeAll { $0 == worker }
                markOldCode(worker, of: key)
            }
            return .run(call, worker, cold: true)
        }
        if let error = runtime.lastError, runtime.generic.isEmpty, functions[key]!.workers.isEmpty {
            return .reject(call, .runtimeUnavailable(error))
        }
        return nil
    }

    /// Gives the version's waiting calls what they can have: callers waiting on a response
    /// first, then async calls, each in arrival order.
    private mutating func serve(_ key: FunctionKey, into actions: inout [Action]) {
        while let function = functions[key], !function.waiting.isEmpty {
            let index = function.waiting.firstIndex { !$0.background } ?? 0
            let next = function.waiting[index]
            let stale = detaches.isStale(functionID: key.functionID, seen: next.detachesSeen)
            guard let verdict = assign(next.call, key: key, runtimeID: function.runtimeID, background: next.background, stale: stale, into: &actions) else {
                break
            }
            functions[key]?.waiting.remove(at: index)
            actions.append(verdict)
        }
        dropIfUnused(key)
    }

    private mutating func serveAll(runtimeID: String, into actions: inout [Action]) {
        for (key, function) in functions where function.runtimeID == runtimeID && !function.waiting.isEmpty {
            serve(key, into: &actions)
        }
    }

    /// Binds an idle generic worker to `key` for good (busy until its first call or load
    /// ends); the runtime refills behind it at once if calls of the runtime wait (the one
    /// being served among them), else once that first call ends. Nil if none is idle.
    private mutating func takeGeneric(for key: FunctionKey, runtimeID: String, into actions: inout [Action]) -> WorkerID? {
        guard let worker = runtimes[runtimeID]?.generic.popLast() else { return nil }
        workers[worker]?.busy = true
        workers[worker]?.binding = key
        functions[key, default: Function(runtimeID: runtimeID)].workers.append(worker)
        if functions.values.contains(where: { $0.runtimeID == runtimeID && !$0.waiting.isEmpty }) {
            refill(runtimeID, into: &actions)
        } else {
            workers[worker]?.refillOwed = true
        }
        return worker
    }

    /// The runtime owed the refill a worker's taking postponed, once: when its first call or
    /// load ends.
    private mutating func owedRefill(for worker: WorkerID) -> String? {
        guard let record = workers[worker], record.refillOwed else { return nil }
        workers[worker]?.refillOwed = false
        return record.runtimeID
    }

    // MARK: - Starting and retiring workers

    /// Starts generic workers until the runtime has `capacity` of them, making room at the
    /// global cap by evicting the least recently used idle specialised worker.
    private mutating func refill(_ runtimeID: String, into actions: inout [Action]) {
        guard phase != .stopped, let runtime = runtimes[runtimeID] else { return }
        var missing = settings.capacity - runtime.generic.count - runtime.starting
        while missing > 0 {
            if totalWorkers >= settings.maxWorkers && !evictLeastRecentlyUsed(into: &actions) { break }
            missing -= 1
            runtimes[runtimeID]!.starting += 1
            actions.append(.spawn(runtimeID: runtimeID, generation: runtime.generation))
        }
    }

    /// Calls may wait for a generic worker that `refill` could not start at the global cap.
    /// Whenever room appears (a worker retired, or one idle that could be), try again.
    private mutating func refillStarved(into actions: inout [Action]) {
        let starved = Set(functions.values.filter { !$0.waiting.isEmpty }.map(\.runtimeID))
        for runtimeID in starved.sorted() where runtimes[runtimeID]?.generic.isEmpty == true {
            refill(runtimeID, into: &actions)
        }
    }

    private mutating func evictLeastRecentlyUsed(into actions: inout [Action]) -> Bool {
        var oldest: (key: FunctionKey, worker: WorkerID, used: ContinuousClock.Instant?)?
        for (key, function) in functions {
            for worker in function.idle {
                let used = workers[worker]?.lastUsed
                if oldest == nil || Self.earlier(used, than: oldest!.used) { oldest = (key, worker, used) }
            }
        }
        guard let oldest else { return false }
        functions[oldest.key]?.workers.removeAll { $0 == oldest.worker }
        functions[oldest.key]?.idle.removeAll { $0 == oldest.worker }
        workers[oldest.worker] = nil
        actions.append(.evict(oldest.worker, key: oldest.key))
        return true
    }

    /// Forgets a specialised worker (it is being killed) and lets the runtime refill if calls
    /// wait for room.
    private mutating func forget(_ worker: WorkerID, into actions: inout [Action]) {
        guard let record = workers.removeValue(forKey: worker), let key = record.binding else { return }
        if record.oldCode { functions[key]?.oldCode -= 1 }
        functions[key]?.workers.removeAll { $0 == worker }
        functions[key]?.idle.removeAll { $0 == worker }
        dropIfUnused(key)
        refillStarved(into: &actions)
    }

    private mutating func retire(_ list: [WorkerID], into actions: inout [Action]) {
        for worker in list {
            workers[worker] = nil
            actions.append(.retire(worker))
        }
    }

    /// Retires a version's idle workers now; busy ones are no longer listed, so that their
    /// `release` retires them.
    private mutating func detach(_ key: FunctionKey, into actions: inout [Action]) {
        guard let function = functions[key] else { return }
        for worker in function.workers where !function.idle.contains(worker) {
            markOldCode(worker, of: key)
        }
        retire(function.idle, into: &actions)
        functions[key]?.idle = []
        functions[key]?.workers = []
        dropIfUnused(key)
    }

    /// Forgets every specialised worker of a runtime; waiting calls see the new state.
    private mutating func detachAll(runtimeID: String, into actions: inout [Action]) {
        for (key, function) in functions where function.runtimeID == runtimeID {
            detach(key, into: &actions)
        }
        serveAll(runtimeID: runtimeID, into: &actions)
    }

    private mutating func markOldCode(_ worker: WorkerID, of key: FunctionKey) {
        guard workers[worker]?.oldCode == false else { return }
        workers[worker]?.oldCode = true
        functions[key]?.oldCode += 1
    }

    private mutating func dropIfUnused(_ key: FunctionKey) {
        if let function = functions[key], function.workers.isEmpty, function.waiting.isEmpty, function.oldCode == 0 { functions[key] = nil }
    }

    private mutating func rejectWaiting(where which: (Waiting) -> Bool, into actions: inout [Action]) {
        for (key, function) in functions where function.waiting.contains(where: which) {
            for waiting in function.waiting where which(waiting) { actions.append(.reject(waiting.call, .stopping)) }
            functions[key]!.waiting.removeAll(where: which)
            dropIfUnused(key)
        }
    }

    /// Never used counts as used longest ago.
    private static func earlier(_ a: ContinuousClock.Instant?, than b: ContinuousClock.Instant?) -> Bool {
        switch (a, b) {
        case (nil, .some): return true
        case (.some(let a), .some(let b)): return a < b
        default: return false
        }
    }
}
