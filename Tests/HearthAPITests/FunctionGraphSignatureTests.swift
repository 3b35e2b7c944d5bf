@testable import HearthAPI
import HearthWire
import XCTest

/// Known answers computed with huaweicloudsdkcore 3.1.219's own `Signer` for the same request,
/// so the verifier is held to the SDK's algorithm, not to a re-reading of it.
final class FunctionGraphSignatureTests: XCTestCase {
    let secret = "sk-for-the-unit-test"

    func testAGetWithAPercentEncodedAliasURNAndAQuery() {
        let path = "/v2/0123456789abcdef0123456789abcdef/fgs/functions/urn%3Afss%3Alocal%3A0123456789abcdef0123456789abcdef%3Afunction%3Adefault%3Ahello%3A%21prod/async-invocations"
        let headers = [
            "content-type": "application/json", "host": "127.0.0.1:7071", "user-agent": "huaweicloud-usdk-python/3.0",
            "x-project-id": "0123456789abcdef0123456789abcdef", "x-sdk-date": "20261123T123820Z",
        ]
        let auth = SignatureVerifier.parse(
            "SDK-HMAC-SHA256 Access=AKTESTLOCAL, SignedHeaders=content-type;host;user-agent;x-project-id;x-sdk-date, Signature=4971c358db6891cfcde386309c0220a35365d023f114f6566513b128c7b89aef"
        )!
        XCTAssertEqual(auth.accessKey, "AKTESTLOCAL")
        let canonical = SignatureVerifier.canonicalRequest(
            method: "GET", rawPath: path, rawQuery: "limit=10&marker=0&query_begin_time=2024-01-01T00%3A00%3A00&status=SUCCESS",
            signedHeaders: auth.signedHeaders, header: { headers[$0] }, body: []
        )
        XCTAssertEqual(SignatureVerifier.signature(canonicalRequest: canonical, date: "20261123T123820Z", secret: secret), auth.signature)
        // The query in another order, and the path with `:` and `!` sent raw, sign the same.
        let reordered = SignatureVerifier.canonicalRequest(
            method: "GET", rawPath: path.removingPercentEncoding!, rawQuery: "status=SUCCESS&query_begin_time=2024-01-01T00:00:00&marker=0&limit=10",
            signedHeaders: auth.signedHeaders, header: { headers[$0] }, body: []
        )
        XCTAssertEqual(reordered, canonical)
        XCTAssertNotEqual(SignatureVerifier.signature(canonicalRequest: canonical, date: "20261123T123820Z", secret: secret + "x"), auth.signature)
    }

    func testAPostWithABody() {
        let headers = [
            "content-type": "application/json", "host": "127.0.0.1:7071", "x-cff-log-type": "tail",
            "x-cff-request-version": "v1", "x-sdk-date": "20261123T123820Z",
        ]
        let signed = ["content-type", "host", "x-cff-log-type", "x-cff-request-version", "x-sdk-date"]
        let path = "/v2/p/fgs/functions/urn%3Afss%3Alocal%3Ap%3Afunction%3Adefault%3Ahello%3Alatest/invocations"
        let sign = { (body: String) in
            SignatureVerifier.signature(
                canonicalRequest: SignatureVerifier.canonicalRequest(
                    method: "POST", rawPath: path, rawQuery: nil, signedHeaders: signed, header: { headers[$0] }, body: Array(body.utf8)
                ),
                date: "20261123T123820Z", secret: self.secret
            )
        }
        XCTAssertEqual(sign(#"{"name": "qinling"}"#), "182b0b46815280ef21ed777d68067f4864f87c5120ae9d5e1d5a89794c3e8c91")
        XCTAssertNotEqual(sign(#"{"name": "tampered"}"#), "182b0b46815280ef21ed777d68067f4864f87c5120ae9d5e1d5a89794c3e8c91")
    }

    func testAContentHashHeaderCannotStandInForTheBody() {
        let original = Array(#"{"n": 1}"#.utf8)
        let originalHash = SignatureVerifier.bodyHash(original)
        let canonical = { (body: [UInt8], headers: [String: String], signed: [String]) in
            SignatureVerifier.canonicalRequest(method: "POST", rawPath: "/v2/p/fgs/functions", rawQuery: nil, signedHeaders: signed, header: { headers[$0] }, body: body)
        }
        let genuine = canonical(original, [:], ["x-sdk-date"])
        // An added, unsigned header claiming the original body's hash does not let another body through.
        XCTAssertNotEqual(canonical(Array(#"{"n": 2}"#.utf8), ["x-sdk-content-sha256": originalHash], ["x-sdk-date"]), genuine)
        // A signed UNSIGNED-PAYLOAD is honoured, as the SDK sends it for non-JSON bodies.
        XCTAssertTrue(canonical([1, 2], ["x-sdk-content-sha256": "UNSIGNED-PAYLOAD"], ["x-sdk-content-sha256"]).hasSuffix("\nUNSIGNED-PAYLOAD"))
    }

    func testHeaderAndDateParsing() {
        XCTAssertNil(SignatureVerifier.parse("Bearer token"))
        XCTAssertNil(SignatureVerifier.parse("SDK-HMAC-SHA256 Access=AK, Signature=ab"))
        XCTAssertNil(SignatureVerifier.parseDate("2026-11-23T12:38:20Z"))
        XCTAssertEqual(SignatureVerifier.parseDate("20261123T123820Z")?.timeIntervalSince1970, 1_795_437_500)
        XCTAssertTrue(SignatureVerifier.matches("abc", "abc"))
        XCTAssertFalse(SignatureVerifier.matches("abc", "abd"))
        XCTAssertFalse(SignatureVerifier.matches("abc", "abcd"))
        XCTAssertEqual(SignatureVerifier.canonicalURI("/v2/p/fgs/functions"), "/v2/p/fgs/functions/")
    }

    func testLenientQueryTimes() {
        let base = FunctionGraphTime.parse("2024-01-01T00:00:00")!.timeIntervalSince1970
        XCTAssertEqual(base, 1_704_067_200)
        XCTAssertEqual(FunctionGraphTime.parse("2024-01-01T00:00:00.250000+00:00")?.timeIntervalSince1970, base + 0.25)
        XCTAssertEqual(FunctionGraphTime.parse("2024-01-01T08:00:00+08:00")?.timeIntervalSince1970, base)
        XCTAssertEqual(FunctionGraphTime.parse("2024-01-01T00:00:00Z")?.timeIntervalSince1970, base)
        XCTAssertEqual(FunctionGraphTime.parse("2024-01-01 00:00")?.timeIntervalSince1970, base)
        XCTAssertEqual(FunctionGraphTime.parse("2024-01-01")?.timeIntervalSince1970, base)
        for bad in ["", "yesterday", "2024-13-01T00:00:00", "2024-01-01T00:00:00junk", "2024-01-01T00"] {
            XCTAssertNil(FunctionGraphTime.parse(bad), bad)
        }
    }

    /// Found by `hearth-fuzz time` and `signature`: Foundation's Calendar rolled impossible
    /// dates into real ones (February 30th into March) and counted years before 1582 as
    /// Julian; `Int()` let a sign stand in for a digit of X-Sdk-Date.
    func testTimesAreRealTimesInTheGregorianCalendar() {
        for bad in ["2024-02-30", "2023-02-29T00:00:00", "2024-04-31 12:00:00", "2024-01-01T24:00:00", "2024-01-01T00:00:60"] {
            XCTAssertNil(FunctionGraphTime.parse(bad), bad)
        }
        XCTAssertEqual(FunctionGraphTime.parse("1500-01-01").map(FunctionGraphTime.record), "1500-01-01T00:00:00")
        XCTAssertEqual(FunctionGraphTime.parse("0000-01-04").map(FunctionGraphTime.record), "0000-01-04T00:00:00")
        XCTAssertEqual(FunctionGraphTime.parse("2024-02-29T23:59:59").map(FunctionGraphTime.record), "2024-02-29T23:59:59")
        for bad in ["20261323T123820Z", "20260230T123820Z", "20261123T243820Z", "+2021123T123820Z", "2026-123T123820Z", "20261123T12382+Z"] {
            XCTAssertNil(SignatureVerifier.parseDate(bad), bad)
        }
        XCTAssertEqual(SignatureVerifier.parseDate("20240229T000000Z")?.timeIntervalSince1970, 1_709_164_800)
    }
}
