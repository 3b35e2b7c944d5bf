import Foundation
import HearthCore
import Synchronization
import XCTest

@testable import HearthServices

/// The async queue across a stop: after `stop` nothing more starts (the rows stay for the next
/// start), and `idle` returns once what had started has ended, or after its limit.
final class ExecutionQueueTests: XCTestCase {
    func execution(_ id: String) -> Execution {
        Execution(id: id, functionID: "f", functionVersion: 0, functionAlias: nil, description: nil, status: .running, sync: false,
                  input: nil, projectID: "p", createdAt: Date())
    }

    func testAStoppedQueueStartsNothingMoreAndIdleWaitsForWhatRuns() async throws {
        let started = Mutex<[String]>([])
        let release = AsyncStream<Void>.makeStream()
        let queue = ExecutionQueue(perFunction: 1) { id in
            started.withLock { $0.append(id) }
            for await _ in release.stream { break }
        }
        for id in ["a", "b", "c"] { await queue.enqueue(.init(execution(id))) }
        try await Task.sleep(for: .milliseconds(50))
        XCTAssertEqual(started.withLock { $0 }, ["a"])  // one at a time for one function version
        await queue.stop()
        let waited = Task { await queue.idle(within: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(50))
        release.continuation.yield()
        await waited.value
        try await Task.sleep(for: .milliseconds(50))
        XCTAssertEqual(started.withLock { $0 }, ["a"], "a stopped queue started a waiting execution")
        release.continuation.finish()
    }

    func testIdleGivesUpAfterItsLimit() async throws {
        let queue = ExecutionQueue(perFunction: 1) { _ in try? await Task.sleep(for: .seconds(60)) }
        await queue.enqueue(.init(execution("stuck")))
        try await Task.sleep(for: .milliseconds(20))
        let began = ContinuousClock.now
        await queue.idle(within: .milliseconds(200))
        XCTAssertLessThan(ContinuousClock.now - began, .seconds(5))
    }
}
