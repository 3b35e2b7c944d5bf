import Foundation
import HearthCore
import HearthServices
import XCTest

/// Job updates that depend on time passing, with a clock the test sets.
final class JobServiceTests: XCTestCase {
    var fixture: Fixture!
    let start = Fixture.jobClock

    override func setUp() async throws {
        fixture = try Fixture()
    }

    override func tearDown() async throws {
        fixture.cleanUp()
    }

    func patch(status: String) -> JobPatch {
        JobPatch(name: nil, functionInput: nil, status: status, pattern: nil, nextExecutionTime: nil)
    }

    func testResumingAOneShotJobWhoseTimePassedIsRefused() async throws {
        let job = try await fixture.job(pattern: nil, first: "2026-11-23 12:46:00", now: start)
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
        let job = try await fixture.job(pattern: "0 * * * *", now: start)
        XCTAssertEqual(job.nextExecutionTime.map(Timestamp.format), "2026-11-23T13:00:00Z")
        let jobs = fixture.hearth.jobs
        _ = try await jobs.update(id: job.id, patch(status: "paused"), by: Fixture.admin, now: start)
        let resumed = try await jobs.update(id: job.id, patch(status: "running"), by: Fixture.admin, now: start.addingTimeInterval(3 * 3600))
        XCTAssertEqual(resumed.nextExecutionTime.map(Timestamp.format), "2026-11-23T16:00:00Z")
    }
}
