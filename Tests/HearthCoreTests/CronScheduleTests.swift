import Foundation
import HearthCore
import XCTest

final class CronScheduleTests: XCTestCase {
    /// Seconds since the epoch of a UTC wall-clock time.
    func at(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: text)!
    }

    func nexts(_ pattern: String, after start: String, count: Int = 3) throws -> [String] {
        let schedule = try CronSchedule(pattern)
        var times: [String] = []
        var date = at(start)
        for _ in 0..<count {
            date = try XCTUnwrap(schedule.next(after: date))
            times.append(Timestamp.format(date))
        }
        return times
    }

    func testEveryMinuteIsStrictlyAfter() throws {
        XCTAssertEqual(try nexts("* * * * *", after: "2026-11-23T12:44:00Z"), ["2026-11-23T12:45:00Z", "2026-11-23T12:46:00Z", "2026-11-23T12:47:00Z"])
        XCTAssertEqual(try nexts("* * * * *", after: "2026-11-23T12:44:59Z", count: 1), ["2026-11-23T12:45:00Z"])
        XCTAssertEqual(try nexts("0 * * * *", after: "2026-11-23T12:44:00Z", count: 2), ["2026-11-23T13:00:00Z", "2026-11-23T14:00:00Z"])
    }

    func testRangesStepsListsAndNames() throws {
        XCTAssertEqual(try nexts("*/15 9-10 * * *", after: "2026-11-23T10:40:00Z"), ["2026-11-23T10:45:00Z", "2026-11-24T09:00:00Z", "2026-11-24T09:15:00Z"])
        XCTAssertEqual(try nexts("5/20 * * * *", after: "2026-11-23T10:00:00Z"), ["2026-11-23T10:05:00Z", "2026-11-23T10:25:00Z", "2026-11-23T10:45:00Z"])
        XCTAssertEqual(try nexts("0 0 1 jan,Jul *", after: "2026-11-23T00:00:00Z", count: 2), ["2027-01-01T00:00:00Z", "2027-07-01T00:00:00Z"])
        // 2026-11-23 is a Monday.
        XCTAssertEqual(try nexts("30 8 * * mon-fri", after: "2026-11-27T09:00:00Z", count: 2), ["2026-11-30T08:30:00Z", "2026-12-01T08:30:00Z"])
        XCTAssertEqual(try nexts("0 12 * * 7", after: "2026-11-23T00:00:00Z", count: 1), ["2026-11-29T12:00:00Z"])
        XCTAssertEqual(try nexts("0 0 1-10/3 * *", after: "2026-11-23T00:00:00Z"), ["2026-12-01T00:00:00Z", "2026-12-04T00:00:00Z", "2026-12-07T00:00:00Z"])
    }

    func testDayOfMonthOrDayOfWeekWhenBothRestricted() throws {
        // The 13th or any Friday; 2026-11-27 is a Friday.
        XCTAssertEqual(try nexts("0 0 13 * 5", after: "2026-11-23T00:00:00Z"), ["2026-11-27T00:00:00Z", "2026-12-04T00:00:00Z", "2026-12-11T00:00:00Z"])
        XCTAssertEqual(try nexts("0 0 13 * 5", after: "2026-12-11T00:00:00Z", count: 1), ["2026-12-13T00:00:00Z"])
        // Day of week unrestricted: only the day of month counts.
        XCTAssertEqual(try nexts("0 0 13 * *", after: "2026-11-23T00:00:00Z", count: 1), ["2026-12-13T00:00:00Z"])
        XCTAssertEqual(try nexts("0 0 * * 5", after: "2026-11-23T00:00:00Z", count: 1), ["2026-11-27T00:00:00Z"])
    }

    func testLeapDaysAndYearEnd() throws {
        XCTAssertEqual(try nexts("0 0 29 2 *", after: "2026-11-23T00:00:00Z", count: 2), ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"])
        XCTAssertEqual(try nexts("59 23 31 12 *", after: "2026-12-31T23:59:00Z", count: 1), ["2027-12-31T23:59:00Z"])
    }

    func testSecondsFieldIsLast() throws {
        let schedule = try CronSchedule("* * * * * */5")
        XCTAssertTrue(schedule.hasSeconds)
        XCTAssertEqual(try nexts("* * * * * */5", after: "2026-11-23T12:44:58Z"), ["2026-11-23T12:45:00Z", "2026-11-23T12:45:05Z", "2026-11-23T12:45:10Z"])
        XCTAssertEqual(try nexts("*/2 * * * * 30", after: "2026-11-23T12:44:30Z", count: 2), ["2026-11-23T12:46:30Z", "2026-11-23T12:48:30Z"])
        let halfPast = at("2026-11-23T12:44:58Z").addingTimeInterval(0.5)
        XCTAssertEqual(try CronSchedule("* * * * * *").next(after: halfPast).map(Timestamp.format), "2026-11-23T12:44:59Z")
    }

    func testAliases() throws {
        XCTAssertEqual(try nexts("@hourly", after: "2026-11-23T12:44:00Z", count: 1), ["2026-11-23T13:00:00Z"])
        XCTAssertEqual(try nexts("@daily", after: "2026-11-23T12:44:00Z", count: 1), ["2026-11-24T00:00:00Z"])
        XCTAssertEqual(try nexts("@weekly", after: "2026-11-23T12:44:00Z", count: 1), ["2026-11-29T00:00:00Z"])
        XCTAssertEqual(try nexts("@yearly", after: "2026-11-23T12:44:00Z", count: 1), ["2027-01-01T00:00:00Z"])
    }

    func testRefusals() {
        for (pattern, words) in [
            ("", "expected 5 fields"), ("* * * *", "expected 5 fields"), ("* * * * * * *", "expected 5 fields"),
            ("60 * * * *", "minute field: 60 is outside 0-59"), ("* 24 * * *", "hour field"), ("* * 0 * *", "day of month field"),
            ("* * * 13 *", "month field"), ("* * * * 8", "day of week field"), ("*/0 * * * *", "step"),
            ("5-1 * * * *", "runs backwards"), ("a * * * *", "not a number"), ("* * * foo *", "not a number or a name like jan"),
            ("1,,2 * * * *", "cannot read"), ("1-2-3 * * * *", "cannot read"), ("0 0 30 2 *", "never matches"),
            ("* * * * * 60", "second field"), ("@often", "expected 5 fields"),
        ] {
            XCTAssertThrowsError(try CronSchedule(pattern), pattern) { error in
                XCTAssertTrue("\(error)".contains(words), "\(pattern): \(error)")
            }
        }
    }
}
