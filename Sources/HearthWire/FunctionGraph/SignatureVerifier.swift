import Foundation
import HearthCore

/// Checks an `Authorization: SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…` header
/// the way huaweicloudsdkcore's signer builds it (`signer/signer.py`):
///
///     CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n hex(sha256(body))
///     StringToSign     = "SDK-HMAC-SHA256" \n X-Sdk-Date \n hex(sha256(CanonicalRequest))
///     Signature        = hex(HMAC-SHA256(SK, StringToSign))
///
/// CanonicalURI is each path segment percent-decoded then RFC 3986-encoded, always ending in
/// `/`; CanonicalQuery the decoded pairs sorted and encoded the same way. Pure: the caller
/// supplies the request's parts and the secret. This half reads the untrusted text (the
/// header, the date, the path and query); the hashing is `SignatureVerifier+Crypto` in
/// HearthAPI, so that the fuzz targets need no Crypto.
public struct SignatureVerifier {
    public struct Authorization: Equatable, Sendable {
        public var accessKey: String
        public var signedHeaders: [String]
        public var signature: String
    }

    public static let algorithm = "SDK-HMAC-SHA256"
    /// API Gateway's window for `X-Sdk-Date`.
    public static let maxSkew: TimeInterval = 15 * 60
    public static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Parses the header; nil if it is not this scheme or a part is missing.
    public static func parse(_ header: String) -> Authorization? {
        guard header.hasPrefix(algorithm + " ") else { return nil }
        var fields: [String: String] = [:]
        for part in header.dropFirst(algorithm.count + 1).split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { return nil }
            fields[pair[0].trimmingCharacters(in: .whitespaces)] = pair[1].trimmingCharacters(in: .whitespaces)
        }
        guard let access = fields["Access"], !access.isEmpty, let headers = fields["SignedHeaders"], let signature = fields["Signature"] else { return nil }
        return Authorization(accessKey: access, signedHeaders: headers.split(separator: ";").map { $0.lowercased() }, signature: signature.lowercased())
    }

    /// `X-Sdk-Date`: `yyyyMMdd'T'HHmmss'Z'`, UTC, digits only and a real time: the text is
    /// what is signed, so it must mean exactly one instant (no month 13 rolling over).
    public static func parseDate(_ text: String) -> Date? {
        let digits = Array(text.utf8)
        guard digits.count == 16, digits[8] == UInt8(ascii: "T"), digits[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            guard digits[range].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return digits[range].reduce(0) { $0 * 10 + Int($1 - 0x30) }
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
            let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15),
            let seconds = Timestamp.seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        else { return nil }
        return Date(timeIntervalSince1970: Double(seconds))
    }

    static let upperHex = Array("0123456789ABCDEF".utf8)

    /// RFC 3986 unreserved characters stay, everything else is `%XX` (Python's `quote(s, safe='~')`).
    public static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                // Not String(format:), which costs microseconds a byte on Linux.
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(Unicode.Scalar(upperHex[Int(byte >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(upperHex[Int(byte & 0x0F)]))
            }
        }
        return out
    }

    public static func canonicalURI(_ rawPath: String) -> String {
        let decoded = rawPath.removingPercentEncoding ?? rawPath
        var path = decoded.unicodeScalars.split(separator: "/", omittingEmptySubsequences: false).map { encode(String($0)) }
            .joined(separator: "/")
        if !path.hasSuffix("/") { path += "/" }
        return path
    }

    public static func canonicalQuery(_ rawQuery: String?) -> String {
        guard let rawQuery, !rawQuery.isEmpty else { return "" }
        // Split and sorted by scalars, not Characters: a combining mark after `&` or `=` would
        // otherwise fuse with it into one Character and hide the separator, and String's `<`
        // treats canonically equivalent spellings as equal, which leaves their order to chance.
        let pairs = rawQuery.unicodeScalars.split(separator: "&").map { item -> (String, String) in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            return (key, value)
        }
        func precedes(_ a: (String, String), _ b: (String, String)) -> Bool {
            let (x, y) = (a.0.unicodeScalars, b.0.unicodeScalars)
            return x.elementsEqual(y) ? a.1.unicodeScalars.lexicographicallyPrecedes(b.1.unicodeScalars) : x.lexicographicallyPrecedes(y)
        }
        return pairs.sorted(by: precedes).map { "\(encode($0.0))=\(encode($0.1))" }
            .joined(separator: "&")
    }

    /// `bodyHash` is hex(sha256) of a non-empty body; it is called only when the body's own
    /// hash is what the signature covers.
    public static func canonicalRequest(
        method: String, rawPath: String, rawQuery: String?, signedHeaders: [String], header: (String) -> String?, body: [UInt8],
        bodyHash: ([UInt8]) -> String
    ) -> String {
        let headers = signedHeaders.map { "\($0):\((header($0) ?? "").trimmingCharacters(in: .whitespaces))\n" }.joined()
        var payloadHash = emptyHash
        if !body.isEmpty {
            // The SDK leaves non-JSON bodies unsigned with a signed `X-Sdk-Content-Sha256:
            // UNSIGNED-PAYLOAD`. Any other value, or the header unsigned, would let a captured
            // request carry another body: the body's own hash is used then.
            let unsigned = signedHeaders.contains("x-sdk-content-sha256") && header("x-sdk-content-sha256") == "UNSIGNED-PAYLOAD"
            payloadHash = unsigned ? "UNSIGNED-PAYLOAD" : bodyHash(body)
        }
        return [method.uppercased(), canonicalURI(rawPath), canonicalQuery(rawQuery), headers, signedHeaders.joined(separator: ";"), payloadHash]
            .joined(separator: "\n")
    }

    /// Constant-time comparison, so that timing does not reveal how much of a guess was right.
    public static func matches(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
