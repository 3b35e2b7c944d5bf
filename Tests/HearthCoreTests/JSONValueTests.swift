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
        // Escapes between runs, at both ends, beside non-ASCII text; every string comes back.
        XCTAssertEqual(JSONValue.string("\"é\\\u{7F}🔥\t\"").serialized, #""\"é\\\u007f🔥\t\"""#)
        for text in ["", "plain", "\"", "{\"output\": \"naïve \\\"quoted\\\"\"}", "\u{1F}x\u{0C}\u{08}\r", "日本\n語"] {
            XCTAssertEqual(try JSONValue.parse(JSONValue.string(text).serialized), .string(text), text)
        }
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

    func testTheDepthLimitIsExactAndSaysSo() throws {
        let nested = { (depth: Int) in String(repeating: "[", count: depth) + String(repeating: "]", count: depth) }
        XCTAssertNoThrow(try JSONValue.parse(nested(JSONValue.maximumDepth)))
        XCTAssertThrowsError(try JSONValue.parse(nested(JSONValue.maximumDepth + 1))) { error in
            XCTAssertEqual((error as? JSONParseError)?.tooDeep, true)
        }
        XCTAssertThrowsError(try JSONValue.parse("[1, }")) { error in
            XCTAssertEqual((error as? JSONParseError)?.tooDeep, false)
        }
        let objects = String(repeating: #"{"a": "#, count: 100) + "[]" + String(repeating: "}", count: 100)
        var value = try JSONValue.parse(objects)
        for _ in 0..<100 { value = try XCTUnwrap(value["a"]) }
        XCTAssertEqual(value, .array([]))
    }

    func testNestedContainersKeepTheirOrderAndContents() throws {
        let text = #"[{"a": [1, {"b": []}, {}], "c": {"d": [[], [2]]}}, 3, "x", [[[]]]]"#
        XCTAssertEqual(try JSONValue.parse(text).serialized, text)
        XCTAssertEqual(try JSONValue.parse(" { } ").serialized, "{}")
        XCTAssertEqual(try JSONValue.parse("[ [ ] , [ 1 ] ]").serialized, "[[], [1]]")
    }

    func testAnObjectOfTheLastOfEachKeyKeepsTheLastOnesPlace() {
        let members: [(key: String, value: JSONValue)] = [("a", .int(1)), ("b", .int(2)), ("a", .int(3)), ("c", .int(4))]
        XCTAssertEqual(JSONValue.object(lastOfEachKey: members).serialized, #"{"b": 2, "a": 3, "c": 4}"#)
        XCTAssertEqual(JSONValue.object(lastOfEachKey: []).serialized, "{}")
    }

    func testStringsMixingTextAndEscapes() throws {
        XCTAssertEqual(try JSONValue.parse(#""ab\"cd\u00e9\ud83d\ude00é\n""#), .string("ab\"cdé😀é\n"))
        XCTAssertEqual(try JSONValue.parse(#""\u0000""#), .string("\u{0}"))
        let long = String(repeating: #"ab\""#, count: 100_000)
        XCTAssertEqual(try JSONValue.parse("\"\(long)\"").stringValue?.count, 300_000)
        XCTAssertThrowsError(try JSONValue.parse([0x22, 0x5C, 0x6E, 0xFF, 0x22])) { error in
            XCTAssertEqual((error as? JSONParseError)?.offset, 3)
        }
    }

    func testInvalidUTF8IsRefused() {
        XCTAssertThrowsError(try JSONValue.parse([0x22, 0xFF, 0x22]))
    }
}
