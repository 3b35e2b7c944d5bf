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
    }
}
