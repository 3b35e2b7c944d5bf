@testable import HearthAPI
import HearthCore
import HearthWire
import XCTest

final class BodyReaderTests: XCTestCase {
    func testMultipartAsTheQinlingClientSendsIt() throws {
        let zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04, 0xFF, 0x00, 0x0D, 0x0A]
        var body = Array("--b0\r\nContent-Disposition: form-data; name=\"runtime_id\"\r\n\r\nrt\r\n".utf8)
        body += Array("--b0\r\nContent-Disposition: form-data; name=\"code\"\r\n\r\n{\"source\": \"package\"}\r\n".utf8)
        body += Array("--b0\r\nContent-Disposition: form-data; name=\"timeout\"\r\n\r\n5\r\n".utf8)
        body += Array("--b0\r\nContent-Disposition: form-data; name=\"package\"; filename=\"hello.zip\"\r\n\r\n".utf8) + zip
        body += Array("\r\n--b0--\r\n".utf8)
        let fields = try BodyReader.multipart(body, contentType: "multipart/form-data; boundary=b0")
        XCTAssertEqual(try fields.string("runtime_id"), "rt")
        XCTAssertEqual(try fields.object("code"), .object(["source": .string("package")]))
        XCTAssertEqual(try fields.int("timeout"), 5)
        XCTAssertEqual(try fields.file("package"), zip)
    }

    func testMultipartWithoutBoundaryIsABadRequestAndGarbageHasNoFields() throws {
        XCTAssertThrowsError(try BodyReader.multipart([], contentType: "multipart/form-data"))
        // Text before the first boundary is a preamble: no fields, which validation then reports.
        XCTAssertTrue(try BodyReader.multipart(Array("garbage".utf8), contentType: "multipart/form-data; boundary=x").names.isEmpty)
    }

    /// Found by `hearth-fuzz multipart`: MultipartKit 4.7.1 traps (and hearthd died) on a
    /// header-name byte of 0x80 or more and on an empty boundary. Refused before it parses.
    func testMultipartThatMadeMultipartKitTrapIsABadRequest() throws {
        let notASCII = Array("--xyz\r\nContent-Disposition".utf8) + [0xE0, 0xE0] + Array(": form-data; name=\"a\"\r\n\r\nx\r\n--xyz--\r\n".utf8)
        XCTAssertThrowsError(try BodyReader.multipart(notASCII, contentType: "multipart/form-data; boundary=xyz")) {
            XCTAssertTrue(($0 as! APIError).message.contains("header name has a byte that is not ASCII"), "\($0)")
        }
        // The same byte in a part's body or in a header value is fine.
        let inValues = Array("--xyz\r\nContent-Disposition: form-data; name=\"caf\u{e9}\"; filename=\"\u{e9}.zip\"\r\n\r\n\u{e9}\r\n--xyz--\r\n".utf8)
        XCTAssertEqual(try BodyReader.multipart(inValues, contentType: "multipart/form-data; boundary=xyz").file("caf\u{e9}"), Array("\u{e9}".utf8))
        for contentType in ["multipart/form-data; boundary=\"\"", "multipart/form-data; boundary=" + String(repeating: "b", count: 71)] {
            XCTAssertThrowsError(try BodyReader.multipart(Array("--\r\n".utf8), contentType: contentType)) {
                XCTAssertTrue(($0 as! APIError).message.contains("1 to 70 characters"), "\($0)")
            }
        }
        let longest = String(repeating: "b", count: 70)
        let body = Array("--\(longest)\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--\(longest)--\r\n".utf8)
        XCTAssertEqual(try BodyReader.multipart(body, contentType: "multipart/form-data; boundary=\(longest)").int("a"), 1)
    }

    func testFormDecoding() throws {
        let fields = try BodyReader.form(Array("cpu=200&name=a+b%21&empty=&flag".utf8))
        XCTAssertEqual(try fields.int("cpu"), 200)
        XCTAssertEqual(try fields.string("name"), "a b!")
        XCTAssertEqual(try fields.string("empty"), "")
        XCTAssertEqual(try fields.string("flag"), "")
        XCTAssertThrowsError(try BodyReader.form(Array("a=%zz".utf8)))
        XCTAssertThrowsError(try BodyReader.form(Array("a=%4".utf8)))
        XCTAssertThrowsError(try BodyReader.form(Array("a=%".utf8)))
        XCTAssertThrowsError(try BodyReader.form(Array("a=%FF".utf8)), "decodes to bytes that are not UTF-8")
        let escaped = try BodyReader.form(Array("k%3Dx=%C3%A9%2B+%26&&=v&x==y".utf8))
        XCTAssertEqual(escaped.names, ["k=x", "", "x"])
        XCTAssertEqual(try escaped.string("k=x"), "é+ &")
        XCTAssertEqual(try escaped.string(""), "v")
        XCTAssertEqual(try escaped.string("x"), "=y")
    }

    func testTheLastValueOfANameWinsAndEveryEntryIsKept() throws {
        let fields = try BodyReader.form(Array("a=1&b=2&a=3".utf8))
        XCTAssertEqual(try fields.string("a"), "3")
        XCTAssertEqual(fields.names, ["a", "b", "a"])
        XCTAssertNil(try fields.string("c"))
        let json = try BodyReader.json(Array(#"{"a": 1, "a": "x"}"#.utf8))
        XCTAssertEqual(try json.string("a"), "x")
    }

    func testJSONBodies() throws {
        XCTAssertTrue(try BodyReader.json(Array("  ".utf8)).names.isEmpty)
        XCTAssertThrowsError(try BodyReader.json(Array("[1]".utf8)))
        XCTAssertThrowsError(try BodyReader.json(Array("{".utf8)))
        XCTAssertTrue(BodyDecoder.looksLikeJSONObject(Array(" {\"a\": 1}".utf8)))
        XCTAssertFalse(BodyDecoder.looksLikeJSONObject(Array("a=1".utf8)))
    }

    func testFieldReadersNameTheWrongField() throws {
        let fields = try BodyReader.json(Array(#"{"cpu": "12x", "is_public": "perhaps", "name": 3, "code": "[1]", "n": null, "s": "7"}"#.utf8))
        XCTAssertThrowsError(try fields.int("cpu")) { XCTAssertTrue("\(($0 as! APIError).message)".contains("cpu. Value: '12x'. An integer is required")) }
        XCTAssertThrowsError(try fields.bool("is_public")) { XCTAssertTrue(($0 as! APIError).message.contains("unambiguous boolean")) }
        XCTAssertThrowsError(try fields.string("name")) { XCTAssertTrue(($0 as! APIError).message.contains("Expected a string")) }
        XCTAssertThrowsError(try fields.object("code")) { XCTAssertTrue(($0 as! APIError).message.contains("Expected a JSON object")) }
        XCTAssertNil(try fields.int("n"))
        XCTAssertEqual(try fields.int("s"), 7)
        XCTAssertThrowsError(try fields.check(resource: "runtime", writable: ["cpu"], readOnly: [])) {
            XCTAssertTrue(($0 as! APIError).message.contains("Unknown attribute for argument runtime: is_public"))
        }
    }

    func testHeaderParameters() {
        XCTAssertEqual(BodyDecoder.parameter("boundary", in: "multipart/form-data; boundary=\"ab c\""), "ab c")
        XCTAssertEqual(BodyDecoder.parameter("name", in: "form-data; name=\"package\"; filename=\"x.zip\""), "package")
        XCTAssertNil(BodyDecoder.parameter("filename", in: "form-data; name=\"a\""))
    }

    func testPublicPaths() {
        XCTAssertTrue(AuthMiddleware.isPublic("/"))
        XCTAssertTrue(AuthMiddleware.isPublic("/v1/"))
        XCTAssertTrue(AuthMiddleware.isPublic("/v1/webhooks/abc/invoke"))
        XCTAssertFalse(AuthMiddleware.isPublic("/v1/webhooks/abc"))
        XCTAssertFalse(AuthMiddleware.isPublic("/v1/functions"))
    }
}
