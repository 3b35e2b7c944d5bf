import Foundation
import HearthCore

/// Async executions that wait for a worker, in the order they were accepted, with at most
/// `perFunction` of one function version running at once.
///
/// The rows are the durable queue (an async execution is stored before its 201): this is the
/// daemon's in-memory view of them, refilled from the store at start-up. Keeping the waiting
/// here rather than in the pool's queue means a burst of async calls holds no worker and no
/// place in the pool's bounded queue, so callers waiting on a response are never refused or
/// starved because of it.
actor ExecutionQueue {
    struct Entry: Sendable {
        var executionID: String
        /// Function and version: calls of one are limited together.
        var lane: String

        init(_ execution: Execution) {
            executionID = execution.id
            lane = "\(execution.functionID)@\(execution.functionVersion)"
        }
    }

    private let perFunction: Int
    private let start: @Sendable (String) async -> Void
    private var waiting: [String: [Entry]] = [:]
    private var running: [String: Int] = [:]
    /// Set when the daemon stops: nothing more starts; what waits stays in the store.
    private var stopped = false
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []

    /// `start` runs one execution to its end.
    init(perFunction: Int, start: @escaping @Sendable (String) async -> Void) {
        self.perFunction = max(1, perFunction)
        self.start = start
    }

    func enqueue(_ entry: Entry) {
        waiting[entry.lane, default: []].append(entry)
        dispatch(entry.lane)
    }

    /// Takes an execution out of the queue before it started; false if it is not waiting.
    func remove(executionID: String) -> Bool {
        for (lane, entries) in waiting {
            if let index = entries.firstIndex(where: { $0.executionID == executionID }) {
                waiting[lane]?.remove(at: index)
                return true
            }
        }
        return false
    }

    /// Starts nothing more (the rows of what still waits are run by the next start).
    func stop() {
        stopped = true
    }

    /// Returns once no execution the queue started is running any more, or after `limit` (one
    /// may be pausing between retries for longer than a stop can wait).
    func idle(within limit: Duration) async {
        guard !running.isEmpty else { return }
        let timer = Task {
            try await Task.sleep(for: limit)
            releaseIdleWaiters()
        }
        await withCheckedContinuation { idleWaiters.append($0) }
        timer.cancel()
    }

    private func releaseIdleWaiters() {
        for waiter in idleWaiters { waiter.resume() }
        idleWaiters = []
    }

    private func dispatch(_ lane: String) {
        while !stopped, running[lane, default: 0] < perFunction, var entries = waiting[lane], !entries.isEmpty {
            let entry = entries.removeFirst()
            waiting[lane] = entries.isEmpty ? nil : entries
            running[lane, default: 0] += 1
            Task {
                await start(entry.executionID)
                finished(lane)
            }
        }
    }

    private func finished(_ lane: String) {
        running[lane, default: 1] -= 1
        if running[lane] == 0 { running[lane] = nil }
        dispatch(lane)
        if running.isEmpty { releaseIdleWaiters() }
    }
}
