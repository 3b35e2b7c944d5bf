import Foundation
import HearthCore
import HearthServices
import XCTest

/// The scheduler's rules with a clock the test sets: each slot fires once, and after downtime
/// missed slots collapse into one firing.
final class JobSchedulerTests: XCTestCase {
    var fixture: Fixture!
    let start = Fixture.jobClock

    override func setUp() async throws {
        fixture = try Fixture()
    }

    override func tearDown() async throws {
        fixture.cleanUp()
    }

    func firings(_ job: Job) async throws -> Int {
        try await fixture.hearth.executions.list(by: Fixture.admin, filters: [ListFilter(field: "description", expression: "has:\(job.id)")], allProjects: false).count
    }

    func testEachSlotFiresOnceAndMissedSlotsFireOnce() async throws {
        let job = try await fixture.job(pattern: "0 * * * *", now: start)
        let firstSlot = Date(timeIntervalSince1970: 1_795_438_800)  // 13:00
        XCTAssertEqual(job.nextExecutionTime, firstSlot)
        let scheduler = fixture.hearth.jobScheduler

        try await scheduler.fireDue(now: firstSlot.addingTimeInterval(-1))
        var count = try await firings(job)
        XCTAssertEqual(count, 0)
        try await scheduler.fireDue(now: firstSlot)
        try await scheduler.fireDue(now: firstSlot)
        count = try await firings(job)
        XCTAssertEqual(count, 1)
        var stored = try await fixture.hearth.jobs.show(id: job.id, by: Fixture.admin)
        XCTAssertEqual(stored.nextExecutionTime, firstSlot.addingTimeInterval(3600))

        // Down from 13:30 to 17:05: the 14:00…17:00 slots fire once, and 18:00 is next.
        try await scheduler.fireDue(now: firstSlot.addingTimeInterval(4 * 3600 + 300))
        try await scheduler.fireDue(now: firstSlot.addingTimeInterval(4 * 3600 + 301))
        count = try await firings(job)
        XCTAssertEqual(count, 2)
        stored = try await fixture.hearth.jobs.show(id: job.id, by: Fixture.admin)
        XCTAssertEqual(stored.nextExecutionTime, firstSlot.addingTimeInterval(5 * 3600))
        XCTAssertEqual(stored.status, .running)
    }

    func testCountEndsTheJobAndOneShotsFireOnce() async throws {
        let counted = try await fixture.job(pattern: "* * * * * */30", count: 2, input: "{\"a\": 1}", now: start)
        let oneShot = try await fixture.job(pattern: nil, first: "2026-11-23 12:46:00", now: start)
        for minutes in [1.0, 2.0, 3.0, 10.0] {
            try await fixture.hearth.jobScheduler.fireDue(now: start.addingTimeInterval(minutes * 60))
        }
        let countedFirings = try await firings(counted)
        let oneShotFirings = try await firings(oneShot)
        XCTAssertEqual(countedFirings, 2)
        XCTAssertEqual(oneShotFirings, 1)
        for job in [counted, oneShot] {
            let stored = try await fixture.hearth.jobs.show(id: job.id, by: Fixture.admin)
            XCTAssertEqual(stored.status, .done)
            XCTAssertEqual(stored.count, 0)
        }
    }
}
