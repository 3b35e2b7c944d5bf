import Foundation
import HearthCore
import XCTest

final class SupportTests: XCTestCase {
    func testTimestampIsQinlingsFormat() {
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: 0)), "1970-01-01T00:00:00Z")
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: 1_795_437_840.9)), "2026-11-23T12:44:00Z")
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: 951_782_400)), "2000-02-29T00:00:00Z")
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: -1)), "1969-12-31T23:59:59Z")
    }

    func testTimestampAgreesWithFoundation() {
        let formatter = ISO8601DateFormatter()
        for seconds in stride(from: 0.0, to: 4_102_444_800, by: 12_345_678.9) {
            let date = Date(timeIntervalSince1970: seconds.rounded(.down))
            XCTAssertEqual(Timestamp.format(date), formatter.string(from: date))
        }
    }

    /// The proleptic Gregorian calendar throughout, and only real wall-clock times.
    func testTimestampSecondsOfARealTimeOnly() {
        XCTAssertEqual(Timestamp.seconds(year: 2026, month: 11, day: 23, hour: 12, minute: 44), 1_795_437_840)
        XCTAssertEqual(Timestamp.seconds(year: 2000, month: 2, day: 29), 951_782_400)
        XCTAssertEqual(Timestamp.seconds(year: 1500, month: 1, day: 1).map { Timestamp.format(Date(timeIntervalSince1970: Double($0))) }, "1500-01-01T00:00:00Z")
        for (y, m, d, h, mi, s) in [(2026, 2, 29, 0, 0, 0), (2100, 2, 29, 0, 0, 0), (2026, 4, 31, 0, 0, 0), (2026, 13, 1, 0, 0, 0), (2026, 0, 1, 0, 0, 0),
                                    (2026, 1, 0, 0, 0, 0), (2026, 1, 1, 24, 0, 0), (2026, 1, 1, 0, 60, 0), (2026, 1, 1, 0, 0, 60)] {
            XCTAssertNil(Timestamp.seconds(year: y, month: m, day: d, hour: h, minute: mi, second: s), "\(y)-\(m)-\(d) \(h):\(mi):\(s)")
        }
    }

    func testListFilterSyntax() {
        XCTAssertEqual(ListFilter(field: "status", expression: "in:failed,error"), ListFilter(field: "status", op: .in, values: ["failed", "error"]))
        XCTAssertEqual(ListFilter(field: "d", expression: "has:Job"), ListFilter(field: "d", op: .has, values: ["Job"]))
        XCTAssertEqual(ListFilter(field: "n", expression: "plain"), ListFilter(field: "n", op: .eq, values: ["plain"]))
        XCTAssertEqual(ListFilter(field: "n", expression: "Created by: x"), ListFilter(field: "n", op: .eq, values: ["Created by: x"]))
        XCTAssertEqual(ListFilter(field: "c", expression: "gte:5"), ListFilter(field: "c", op: .gte, values: ["5"]))
    }

    func testStrictBool() {
        XCTAssertEqual(StrictBool.parse("True"), true)
        XCTAssertEqual(StrictBool.parse("1"), true)
        XCTAssertEqual(StrictBool.parse("no"), false)
        XCTAssertNil(StrictBool.parse("maybe"))
    }

    func testIdentifiers() {
        let id = Identifier.make()
        XCTAssertTrue(Identifier.isValid(id))
        XCTAssertEqual(id, id.lowercased())
        XCTAssertFalse(Identifier.isValid("not-a-uuid"))
        // Version 4, RFC 4122 variant, and random: 1,000 ids, no two alike, every hex digit
        // of the random positions seen.
        let ids = (0..<1000).map { _ in Identifier.make() }
        XCTAssertEqual(Set(ids).count, ids.count)
        for id in ids {
            let characters = Array(id)
            XCTAssertEqual(characters.count, 36)
            XCTAssertEqual([characters[8], characters[13], characters[18], characters[23]], ["-", "-", "-", "-"])
            XCTAssertEqual(characters[14], "4")
            XCTAssertTrue("89ab".contains(characters[19]), id)
            XCTAssertEqual(UUID(uuidString: id)?.uuidString.lowercased(), id)
        }
        XCTAssertEqual(Set(ids.map { $0.first! }), Set("0123456789abcdef"))
    }
}
