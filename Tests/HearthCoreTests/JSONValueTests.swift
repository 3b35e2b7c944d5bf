import HearthCore
import XCTest

final class JSONValueTests: XCTestCase {
    func testParsesEveryTypeAndKeepsKeyOrder() throws {
        let value = try JSONValue.parse(#" {"z": 1, "a": [true, false, null], "m": -2.5e3, "s": "x\"\u00e9\ud83d\ude00"} "#)
        XCTAssertEqual(value.objectMembers?.map(\.key), ["z", "a", "m", "s"])
        XCTAssertEqual(value["z"], .int(1))
        XCTAssertEqual(value["a"], .array([.bool(true), .bool(false), .null]))
        XCTAssertEqual(value["m"], .double(-2500))
        XCTAssertEqual(value["s"], .string("x\"é😀"))
    }

    func testSerializesAsPythonJSONDumps() throws {
        let value = JSONValue.object(["name": .string("Qinling"), "n": .int(3), "f": .double(0.02), "l": .array([.null, .bool(true)])])
        XCTAssertEqual(value.serialized, #"{"name": "Qinling", "n": 3, "f": 0.02, "l": [null, true]}"#)
        XCTAssertEqual(JSONValue.string("a\nb\u{01}").serialized, #""a\nb\u0001""#)
    }

    func testRoundTrip() throws {
        let text = #"{"a": {"b": [1, 2.5, "c", {"d": null}]}, "e": false}"#
        XCTAssertEqual(try JSONValue.parse(text).serialized, text)
    }

    func testIntegersThatOverflowBecomeDoubles() throws {
        XCTAssertEqual(try JSONValue.parse("99999999999999999999"), .double(1e20))
        XCTAssertEqual(try JSONValue.parse("-0"), .int(0))
    }

    /// Found by `hearth-fuzz json`: `1e400` became infinity, serialised as `Infinity`, which
    /// no strict reader (this one included) takes back.
    func testNumbersBeyondDoubleAreRefusedNotInfinity() throws {
        for text in ["1e400", "-1e400", "[1, 44444020e044444444]"] {
            XCTAssertThrowsError(try JSONValue.parse(text), text) { XCTAssertTrue("\($0)".contains("number out of range"), "\($0)") }
        }
        XCTAssertEqual(try JSONValue.parse("1e-400"), .double(0))
        XCTAssertEqual(try JSONValue.parse("1.7976931348623157e308"), .double(.greatestFiniteMagnitude))
    }

    func testLastDuplicateKeyWins() throws {
        XCTAssertEqual(try JSONValue.parse(#"{"a": 1, "a": 2}"#)["a"], .int(2))
    }

    func testRejectsMalformedInputWithAnOffset() {
        let cases = ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "tru", "\"\\x\"", "\"\u{01}\"", "{\"a\": 1}}", "\"\\ud800\"", "nul"]
        for text in cases {
            XCTAssertThrowsError(try JSONValue.parse(text), text) { error in
                XCTAssertTrue(error is JSONParseError, text)
            }
        }
    }

    func testDeepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertThrowsError(try JSONValue.parse(deep)) { error in
            XCTAssertTrue("\(error)".contains("nested deeper"))
        }
        let fine = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        XCTAssertNoThrow(try JSONValue.parse(fine))
    }

    func testInvalidUTF8IsRefused() {
        XCTAssertThrowsError(try JSONValue.parse([0x22, 0xFF, 0x22]))
    }
}
