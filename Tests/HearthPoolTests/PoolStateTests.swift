@testable import HearthPool
import XCTest

/// The pool's decisions, event by event: no processes, no sleeps.
final class PoolStateTests: XCTestCase {
    typealias Action = PoolState.Action
    let fn = FunctionKey(projectID: "p", functionID: "f", version: 0)
    let other = FunctionKey(projectID: "p", functionID: "g", version: 0)
    let t0 = ContinuousClock.now

    func pool(capacity: Int = 2, perFunctionWorkers: Int = 4, perFunctionQueue: Int = 64, maxWorkers: Int = 64) -> PoolState {
        PoolState(settings: PoolSettings(capacity: capacity, perFunctionWorkers: perFunctionWorkers, perFunctionQueue: perFunctionQueue, maxWorkers: maxWorkers))
    }

    func spawns(_ actions: [Action]) -> Int {
        actions.count { if case .spawn = $0 { true } else { false } }
    }

    /// A runtime `py` warmed with `workers` started (numbered from `first`).
    func warmed(_ state: inout PoolState, workers: [Int] = [1, 2]) {
        XCTAssertEqual(spawns(state.handle(.warm(runtimeID: "py"))), state.settings.capacity)
        for worker in workers { _ = state.handle(.started(runtimeID: "py", generation: 0, worker: worker)) }
    }

    func testWarmStartsCapacityWorkersAndSaysSoOnceTheyAreUp() {
        var state = pool(capacity: 2)
        XCTAssertEqual(state.handle(.warm(runtimeID: "py")), [.spawn(runtimeID: "py", generation: 0), .spawn(runtimeID: "py", generation: 0)])
        XCTAssertEqual(state.handle(.started(runtimeID: "py", generation: 0, worker: 1)), [])
        XCTAssertEqual(state.handle(.started(runtimeID: "py", generation: 0, worker: 2)), [.warmed(runtimeID: "py")])
        XCTAssertEqual(state.capacity(runtimeID: "py")?.available, 2)
    }

    func testFirstCallSpecialisesAGenericWorkerAndTheRuntimeRefillsBehindItOnceTheCallEnds() {
        var state = pool()
        warmed(&state)
        // No start during the first call: it would compete with the call for the launcher and the cores.
        XCTAssertEqual(state.handle(.call(1, key: fn, runtimeID: "py", background: false, detachesSeen: 0)), [.run(1, 2, cold: true)])
        XCTAssertEqual(state.handle(.release(2, healthy: true, now: t0)), [.spawn(runtimeID: "py", generation: 0)])
        // The next call of the same version gets the same worker, warm, and owes nothing.
        XCTAssertEqual(state.handle(.call(2, key: fn, runtimeID: "py", background: false, detachesSeen: 0)), [.run(2, 2, cold: false)])
        XCTAssertEqual(state.handle(.release(2, healthy: true, now: t0)), [])
        // Another version never gets it.
        XCTAssertEqual(state.handle(.call(3, key: other, runtimeID: "py", background: false, detachesSeen: 0)), [.run(3, 1, cold: true)])
        // A first call that fails still lets the runtime refill.
        XCTAssertEqual(state.handle(.discard(1)), [.spawn(runtimeID: "py", generation: 0)])
    }

    func testCallsWaitForTheVersionsWorkerAndCallersWaitingOnAResponseGoFirst() {
        var state = pool(perFunctionWorkers: 1)
        warmed(&state)
        XCTAssertEqual(state.handle(.call(1, key: fn, runtimeID: "py", background: false, detachesSeen: 0)), [.run(1, 2, cold: true)])
        // A call that must wait does not wait for the first call to end to have the runtime refill.
        XCTAssertEqual(state.handle(.call(2, key: fn, runtimeID: "py", background: true, detachesSeen: 0)), [.spawn(runtimeID: "py", generation: 0)])
        XCTAssertEqual(state.handle(.call(3, key: fn, runtimeID: "py", background: false, detachesSeen: 0)), [])
        XCTAssertEqual(state.handle(.release(2, healthy: true, now: t0)), [.run(3, 2, cold: false)])
        XCTAssertEqual(state.handle(.release(2, healthy: true, now: t0)), [.run(2, 2, cold: false)])
        XCTAssertEqual(state.handle(.release(2, healthy: true, now: t0)), [])
    }

    func testCallersBeyondTheQueueAreRefusedButAsyncCallsAreNot() {
        var state = pool(perFunctionWorkers: 1, perFunctionQueue: 1)
        warmed(&state)
        _ = state.handle(.call(1, key: fn, runtimeID: "py", background: false, detachesSeen: 0))
        XCTAssertEqual(state.handle(.call(2, key: fn, runtimeID: "py", background: false, detachesSeen: 0)), [.spawn(runtimeID: "py", generation: 0)])
        XCTAssertEqual(state.handle(.call(3, key: fn, runtimeID: "py", background: false, detachesSeen: 0)), [.reject(3, .queueFull(waiting: 1))])
        XCTAssertEqual(state.handle(.call(4, key: fn, runtimeID: "py", background: true, detachesSeen: 0)), [])
    }

    func testAnUnknownRuntimeIsRefused() {
        var state = pool()
        XCTAssertEqual(state.handle(.call(1, key: fn, runtimeID: "nope", background: false, detachesSeen: 0)), [.reject(1, .unknownRuntime("nope"))])
        XCTAssertTrue(state.functions.isEmpty)
    }

    func testARuntimeThatNeverStartedIsInErrorAndWaitingCallsAreToldWhy() {
        var state = pool(capacity: 1)
        _ = state.handle(.warm(runtimeID: "py"))
        XCTAssertEqual(state.handle(.call(1, key: fn, runtimeID: "py", background: false, detachesSeen: 0)), [])
        let actions = state.handle(.startFailed(runtimeID: "py", generation: 0, reason: "bad image"))
        XCTAssertEqual(actions, [.warmFailed(runtimeID: "py", .runtimeUnavailable("bad image")), .reject(1, .runtimeUnavailable("bad image"))])
        // Never started: no retry. A later call is refused at once.
        XCTAssertEqual(state.handle(.call(2, key: fn, runtimeID: "py", background: false, detachesSeen: 0)), [.reject(2, .runtimeUnavailable("bad image"))])
    }

    func testARuntimeThatHadStartedRetriesWithALongerWaitAfterEachFailure() {
        var state = pool(capacity: 1)
        warmed(&state, workers: [1])
        _ = state.handle(.diedIdle(1))
        XCTAssertEqual(state.handle(.startFailed(runtimeID: "py", generation: 0, reason: "x")).last, .retryLater(runtimeID: "py", delay: .milliseconds(500)))
        XCTAssertEqual(state.handle(.retry(runtimeID: "py")), [.spawn(runtimeID: "py", generation: 0)])
        XCTAssertEqual(state.handle(.startFailed(runtimeID: "py", generation: 0, reason: "x")).last, .retryLater(runtimeID: "py", delay: .seconds(1)))
    }

    func testAnIdleWorkerThatDiesIsReapedAndReplaced() {
        var state = pool()
        warmed(&state)
        XCTAssertEqual(state.handle(.diedIdle(1)), [.spawn(runtimeID: "py", generation: 0), .reap(1)])
        // A busy worker's death is the call's to handle.
        _ = state.handle(.call(1, key: fn, runtimeID: "py", background: false, detachesSeen: 0))
        XCTAssertEqual(state.handle(.diedIdle(2)), [])
    }

    func testAtTheGlobalCapTheLeastRecentlyUsedIdleWorkerMakesRoom() {
        var state = pool(capacity: 1, maxWorkers: 3)
        warmed(&state, workers: [1])
        _ = state.handle(.call(1, key: fn, runtimeID: "py", background: false, detachesSeen: 0))  // 1 → fn
        _ = state.handle(.release(1, healthy: true, now: t0))  // spawn
        _ = state.handle(.started(runtimeID: "py", generation: 0, worker: 2))
        _ = state.handle(.call(2, key: other, runtimeID: "py", background: false, detachesSeen: 0))  // 2 → other
        _ = state.handle(.release(2, healthy: true, now: t0 + .seconds(1)))  // spawn
        _ = state.handle(.started(runtimeID: "py", generation: 0, worker: 3))
        // Three workers, the cap: a third version's call takes the generic one, and the refill
        // behind it evicts fn's worker (used longest ago), not other's.
        let key = FunctionKey(projectID: "p", functionID: "h", version: 0)
        XCTAssertEqual(state.handle(.call(3, key: key, runtimeID: "py", background: false, detachesSeen: 0)), [.run(3, 3, cold: true)])
        XCTAssertEqual(state.handle(.release(3, healthy: true, now: t0 + .seconds(2))), [.evict(1, key: fn), .spawn(runtimeID: "py", generation: 0)])
    }

    func testAtTheGlobalCapWithNothingIdleWarmSaysWhy() {
        var state = pool(capacity: 1, maxWorkers: 1)
        warmed(&state, workers: [1])
        guard case .warmFailed(_, .runtimeUnavailable(let reason))? = state.handle(.warm(runtimeID: "node")).last else {
            return XCTFail("warm at the cap must fail")
        }
        XCTAssertTrue(reason.contains("max_workers (1)"), reason)
    }

    func testDetachRetiresIdleWorkersNowAndBusyOnesWhenTheirCallEnds() {
        var state = pool(capacity: 2)
        warmed(&state)
        _ = state.handle(.call(1, key: fn, runtimeID: "py", background: false, detachesSeen: 0))  // 2
        _ = state.handle(.call(2, key: fn, runtimeID: "py", background: false, detachesSeen: 0))  // 1
        _ = state.handle(.release(1, healthy: true, now: t0))
        XCTAssertEqual(state.handle(.detach(functionID: "f", version: nil)), [.retire(1)])
        XCTAssertEqual(state.handle(.release(2, healthy: true, now: t0)), [.retire(2)])
        XCTAssertNil(state.functions[fn])
    }

    /// A call that waited while its function was updated brings the code of before: the worker
    /// it specialises runs that call only, so that no later call gets the old code.
    func testACallThatWaitedThroughADetachGetsAWorkerOfItsOwnThatIsRetiredAfterIt() {
        var state = pool(perFunctionWorkers: 1)
        warmed(&state)
        XCTAssertEqual(state.handle(.call(1, key: fn, runtimeID: "py", background: false, detachesSeen: 0)), [.run(1, 2, cold: true)])
        XCTAssertEqual(state.handle(.call(2, key: fn, runtimeID: "py", background: false, detachesSeen: 0)), [.spawn(runtimeID: "py", generation: 0)])
        XCTAssertEqual(state.handle(.detach(functionID: "f", version: nil)), [])
        XCTAssertEqual(state.handle(.release(2, healthy: true, now: t0)), [.retire(2), .spawn(runtimeID: "py", generation: 0), .run(2, 1, cold: true)])
        XCTAssertEqual(state.functions[fn]?.workers, [], "the old-code worker is listed nowhere")
        XCTAssertEqual(state.handle(.release(1, healthy: true, now: t0)), [.retire(1)])
        // A call made after the update specialises a worker that stays.
        let seen = state.detaches.count
        _ = state.handle(.started(runtimeID: "py", generation: 0, worker: 3))
        XCTAssertEqual(state.handle(.call(3, key: fn, runtimeID: "py", background: false, detachesSeen: seen)), [.run(3, 3, cold: true)])
        _ = state.handle(.release(3, healthy: true, now: t0))
        XCTAssertEqual(state.handle(.call(4, key: fn, runtimeID: "py", background: false, detachesSeen: seen)), [.run(4, 3, cold: false)])
    }

    /// A call that read its function before an update and reaches the pool after the detach
    /// (it was reading, unpacking, or an async attempt) brings the old code: it must not leave
    /// a listed worker with it. A call that read after the detach does.
    func testACallThatReadItsCodeBeforeADetachAndArrivesAfterItLeavesNoWorkerBehind() {
        var state = pool(capacity: 2)
        warmed(&state)
        let before = state.detaches.count
        _ = state.handle(.detach(functionID: "f", version: 0))
        XCTAssertEqual(state.handle(.call(1, key: fn, runtimeID: "py", background: false, detachesSeen: before)), [.run(1, 2, cold: true)])
        XCTAssertEqual(state.functions[fn]?.workers, [], "the old code's worker is listed nowhere")
        XCTAssertEqual(state.handle(.release(2, healthy: true, now: t0)), [.retire(2), .spawn(runtimeID: "py", generation: 0)])
        XCTAssertNil(state.functions[fn])
        // Read after the detach: the worker stays and serves the next call warm.
        let after = state.detaches.count
        XCTAssertEqual(state.handle(.call(2, key: fn, runtimeID: "py", background: false, detachesSeen: after)), [.run(2, 1, cold: true)])
        _ = state.handle(.release(1, healthy: true, now: t0))
        XCTAssertEqual(state.handle(.call(3, key: fn, runtimeID: "py", background: false, detachesSeen: before)), [.run(3, 1, cold: false)],
                       "a stale call may still use a worker of the current code")
        // Another function's detach does not make this function's calls stale.
        _ = state.handle(.release(1, healthy: true, now: t0))
        _ = state.handle(.detach(functionID: "g", version: nil))
        XCTAssertFalse(state.detaches.isStale(functionID: "f", seen: after))
        XCTAssertTrue(state.detaches.isStale(functionID: "g", seen: after))
    }

    /// A worker detached while busy counts against its version's `perFunctionWorkers` until its
    /// call ends: detaching a busy version again and again must not let it take a worker more
    /// each time.
    func testBusyWorkersOfADetachedVersionStillCountAgainstItsWorkers() {
        var state = pool(capacity: 3, perFunctionWorkers: 1)
        warmed(&state, workers: [1, 2, 3])
        XCTAssertEqual(state.handle(.call(1, key: fn, runtimeID: "py", background: false, detachesSeen: 0)), [.run(1, 3, cold: true)])
        _ = state.handle(.detach(functionID: "f", version: 0))
        let seen = state.detaches.count
        XCTAssertEqual(state.handle(.call(2, key: fn, runtimeID: "py", background: false, detachesSeen: seen))
            .filter { if case .run = $0 { true } else { false } }, [], "the version's one worker is still busy")
        _ = state.handle(.detach(functionID: "f", version: 0))
        XCTAssertEqual(state.capacity(runtimeID: "py")?.available, 2, "no generic worker taken")
        // Once the old worker's call ends, the waiting call gets one (it read before the second detach: its own).
        let released = state.handle(.release(3, healthy: true, now: t0))
        XCTAssertTrue(released.contains(.retire(3)), "\(released)")
        XCTAssertEqual(released.filter { if case .run = $0 { true } else { false } }, [.run(2, 2, cold: true)])
    }

    /// The log of detaches is bounded: past its limit, calls that read before the clearing are
    /// all stale (a worker of their own), and later ones are judged exactly again.
    func testTheDetachLogForgetsOldFunctionsByCountingEarlierCallsStale() {
        var log = DetachLog(limit: 2)
        log.record(functionID: "a")
        log.record(functionID: "b")
        let seen = log.count
        XCTAssertFalse(log.isStale(functionID: "a", seen: seen))
        log.record(functionID: "c")  // clears a and b
        XCTAssertFalse(log.isStale(functionID: "a", seen: seen), "read after a's and b's detaches")
        XCTAssertTrue(log.isStale(functionID: "c", seen: seen))
        XCTAssertTrue(log.isStale(functionID: "a", seen: seen - 1), "read before the cleared detaches: counted stale")
        XCTAssertFalse(log.isStale(functionID: "c", seen: log.count))
    }

    /// A worker given to a call that waited is refilled behind at once: postponing it would
    /// leave the next waiting call with no start coming until some first call ends.
    func testAWaitingCallTakingAGenericWorkerRefillsAtOnce() {
        var state = pool(capacity: 1)
        warmed(&state, workers: [1])
        let third = FunctionKey(projectID: "p", functionID: "h", version: 0)
        XCTAssertEqual(state.handle(.call(1, key: fn, runtimeID: "py", background: false, detachesSeen: 0)), [.run(1, 1, cold: true)])
        XCTAssertEqual(state.handle(.call(2, key: other, runtimeID: "py", background: false, detachesSeen: 0)), [.spawn(runtimeID: "py", generation: 0)])
        XCTAssertEqual(state.handle(.call(3, key: third, runtimeID: "py", background: false, detachesSeen: 0)), [])
        // Each start serves one of the waiting calls (either first) and starts the next.
        var served: Set<Int> = []
        for worker in [2, 3] {
            let actions = state.handle(.started(runtimeID: "py", generation: 0, worker: worker))
            XCTAssertTrue(actions.contains(.spawn(runtimeID: "py", generation: 0)), "\(actions)")
            for case .run(let call, worker, cold: true) in actions { served.insert(call) }
        }
        XCTAssertEqual(served, [2, 3])
    }

    /// Calls that waited through a detach share the version's `perFunctionWorkers` with the
    /// rest: a long queue does not take every generic worker at once.
    func testCallsThatWaitedThroughADetachStayWithinTheVersionsWorkers() {
        var state = pool(capacity: 3, perFunctionWorkers: 1)
        warmed(&state, workers: [1, 2, 3])
        _ = state.handle(.call(1, key: fn, runtimeID: "py", background: false, detachesSeen: 0))  // 3
        _ = state.handle(.call(2, key: fn, runtimeID: "py", background: false, detachesSeen: 0))  // waits
        _ = state.handle(.call(3, key: fn, runtimeID: "py", background: false, detachesSeen: 0))  // waits
        _ = state.handle(.detach(functionID: "f", version: nil))
        let released = state.handle(.release(3, healthy: true, now: t0))
        XCTAssertEqual(released.filter { if case .run = $0 { true } else { false } }, [.run(2, 2, cold: true)])
        XCTAssertEqual(state.functions[fn]?.waiting.map(\.call), [3])
        // Call 2's worker is retired after it, and only then does call 3 get one.
        let next = state.handle(.release(2, healthy: true, now: t0))
        XCTAssertTrue(next.contains(.retire(2)), "\(next)")
        XCTAssertEqual(next.filter { if case .run = $0 { true } else { false } }, [.run(3, 1, cold: true)])
        XCTAssertEqual(state.handle(.release(1, healthy: true, now: t0)).filter { if case .retire = $0 { true } else { false } }, [.retire(1)])
        XCTAssertNil(state.functions[fn])
    }

    func testReWarmingRetiresTheOldTemplatesWorkersAndLateStarts() {
        var state = pool(capacity: 1)
        warmed(&state, workers: [1])
        _ = state.handle(.call(1, key: fn, runtimeID: "py", background: false, detachesSeen: 0))  // 1 → fn
        _ = state.handle(.release(1, healthy: true, now: t0))  // spawn (gen 0)
        let actions = state.handle(.warm(runtimeID: "py"))
        XCTAssertEqual(actions, [.retire(1), .spawn(runtimeID: "py", generation: 1)])
        // The generation-0 start comes back late: it is not counted.
        XCTAssertEqual(state.handle(.started(runtimeID: "py", generation: 0, worker: 2)), [.retire(2)])
        XCTAssertEqual(state.handle(.started(runtimeID: "py", generation: 1, worker: 3)), [.warmed(runtimeID: "py")])
    }

    func testDrainLetsCallersWaitingOnAResponseStartAndSendsAsyncCallsBack() {
        var state = pool(perFunctionWorkers: 1)
        warmed(&state)
        _ = state.handle(.call(1, key: fn, runtimeID: "py", background: false, detachesSeen: 0))
        _ = state.handle(.call(2, key: fn, runtimeID: "py", background: true, detachesSeen: 0))
        _ = state.handle(.call(3, key: fn, runtimeID: "py", background: false, detachesSeen: 0))
        XCTAssertEqual(state.handle(.beginDrain), [.reject(2, .stopping)])
        XCTAssertEqual(state.handle(.call(4, key: fn, runtimeID: "py", background: true, detachesSeen: 0)), [.reject(4, .stopping)])
        XCTAssertEqual(state.handle(.release(2, healthy: true, now: t0)), [.run(3, 2, cold: false)])
        _ = state.handle(.call(5, key: fn, runtimeID: "py", background: false, detachesSeen: 0))
        XCTAssertEqual(state.handle(.stop), [.reject(5, .stopping)])
        XCTAssertEqual(state.handle(.started(runtimeID: "py", generation: 0, worker: 9)), [.retire(9)])
        XCTAssertEqual(state.handle(.call(6, key: other, runtimeID: "py", background: false, detachesSeen: 0)), [.reject(6, .stopping)])
    }

    func testScaleUpTakesGenericWorkersAndScaleDownKeepsOne() {
        var state = pool(capacity: 3)
        warmed(&state, workers: [1, 2, 3])
        let actions = state.handle(.scaleUp(key: fn, runtimeID: "py", count: 2))
        XCTAssertEqual(actions.filter { if case .load = $0 { true } else { false } }, [.load(3, key: fn), .load(2, key: fn)])
        _ = state.handle(.release(3, healthy: true, now: t0))
        _ = state.handle(.release(2, healthy: true, now: t0))
        XCTAssertEqual(state.handle(.scaleDown(key: fn, count: 5)), [.retire(2)])
        XCTAssertEqual(state.functions[fn]?.workers, [3])
    }

    func testWorkersIdleLongerThanTheTTLAreRetired() {
        var state = pool()
        warmed(&state)
        _ = state.handle(.call(1, key: fn, runtimeID: "py", background: false, detachesSeen: 0))
        _ = state.handle(.release(2, healthy: true, now: t0))
        XCTAssertEqual(state.handle(.expireIdle(now: t0 + .seconds(5), ttl: .seconds(10))), [])
        XCTAssertEqual(state.handle(.expireIdle(now: t0 + .seconds(11), ttl: .seconds(10))), [.retire(2)])
        XCTAssertNil(state.functions[fn])
    }

    func testADiscardedWorkerLetsTheNextCallSpecialiseAnother() {
        var state = pool(capacity: 2, perFunctionWorkers: 1)
        warmed(&state)
        _ = state.handle(.call(1, key: fn, runtimeID: "py", background: false, detachesSeen: 0))  // 2
        _ = state.handle(.call(2, key: fn, runtimeID: "py", background: false, detachesSeen: 0))  // waits; spawn
        // Worker 2 timed out: the waiting call gets a fresh generic worker, cold, and since it
        // waited, the runtime refills behind that one at once.
        XCTAssertEqual(state.handle(.discard(2)), [.spawn(runtimeID: "py", generation: 0), .run(2, 1, cold: true)])
    }
}
