import Foundation
import HearthCore
import HearthServices
import XCTest

/// Job updates that depend on time passing, with a clock the test sets.
final class JobServiceTests: XCTestCase {
    var fixture: Fixture!
    /// 2026-11-23T12:44:10Z
    let start = Date(timeIntervalSince1970: 1_795_437_850)

    override func setUp() async throws {
        fixture = try Fixture()
    }

    override func tearDown() async throws {
        fixture.cleanUp()
    }

    func job(pattern: String?, first: String?) async throws -> Job {
        let runtime = try await fixture.availableRuntime()
        let function = try await fixture.hearth.functions.create(
            FunctionDraft(runtimeID: runtime.id, entry: "hello.main", code: .object(["source": .string("package")]),
                          package: try makeZip([("hello.py", "def main(): pass")])),
            by: Fixture.admin
        )
        return try await fixture.hearth.jobs.create(
            JobDraft(name: nil, functionID: function.id, functionAlias: nil, functionVersion: nil, functionInput: nil,
                     pattern: pattern, count: nil, firstExecutionTime: first),
            by: Fixture.admin, now: start
        )
    }

    func patch(status: String) -> JobPatch {
        JobPatch(name: nil, functionInput: nil, status: status, pattern: nil, nextExecutionTime: nil)
    }

    func testResumingAOneShotJobWhoseTimePassedIsRefused() async throws {
        let job = try await job(pattern: nil, first: "2026-11-23 12:46:00")
        let jobs = fixture.hearth.jobs
        _ = try await jobs.update(id: job.id, patch(status: "paused"), by: Fixture.admin, now: start)
        do {
            _ = try await jobs.update(id: job.id, patch(status: "running"), by: Fixture.admin, now: start.addingTimeInterval(180))
            XCTFail("resumed with a time in the past")
        } catch let error as ServiceError {
            XCTAssertTrue(error.description.hasPrefix("Execution time must be at least 1 minute in the future"), error.description)
        }
        let resumed = try await jobs.update(
            id: job.id, JobPatch(name: nil, functionInput: nil, status: "running", pattern: nil, nextExecutionTime: "2026-11-23 13:00:00"),
            by: Fixture.admin, now: start.addingTimeInterval(180)
        )
        XCTAssertEqual(resumed.status, .running)
        XCTAssertEqual(resumed.nextExecutionTime.map(Timestamp.format), "2026-11-23T13:00:00Z")
    }

    func testResumingARecurringJobSkipsTheSlotsItMissed() async throws {
        let job = try await job(pattern: "0 * * * *", first: nil)
        XCTAssertEqual(job.nextExecutionTime.map(Timestamp.format), "2026-11-23T13:00:00Z")
        let jobs = fixture.hearth.jobs
        _ = try await jobs.update(id: job.id, patch(status: "paused"), by: Fixture.admin, now: start)
        let resumed = try await jobs.update(id: job.id, patch(status: "running"), by: Fixture.admin, now: start.addingTimeInterval(3 * 3600))
        XCTAssertEqual(resumed.nextExecutionTime.map(Timestamp.format), "2026-11-23T16:00:00Z")
    }
}
