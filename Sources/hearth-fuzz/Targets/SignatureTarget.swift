import Foundation
import HearthCore
import HearthWire

/// A FunctionGraph AK/SK request's signed parts (`SignatureVerifier`), as any client on the
/// TCP listener sends them. The input is lines: the Authorization header, X-Sdk-Date, the
/// method, the raw path, the raw query, then `name: value` headers up to an empty line, then
/// the body. Checks that the header parses back from its own rendering; a date that parses
/// is the date written (no 13th month rolling into next year); the canonical path and query
/// use only RFC 3986's unreserved bytes and escapes, are stable when canonicalised again,
/// and the query's order does not matter; and the canonical request changes with the body
/// (unless a signed UNSIGNED-PAYLOAD says the body is not signed) but not with headers that
/// are not signed.
enum SignatureTarget: FuzzTarget {
    static let name = "signature"
    static let summary = "SignatureVerifier: header round trip, strict X-Sdk-Date, canonical URI/query/request invariants"
    static let maximumLength = 4096

    static func run(_ bytes: [UInt8]) throws(PropertyFailure) {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 5, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        while lines.count < 6 { lines.append("") }
        let (authorization, date, method, path, query) = (lines[0], lines[1], lines[2], lines[3], lines[4])
        let rest = Array(lines[5].utf8)
        let headerEnd = find(Array("\n\n".utf8), in: rest)
        let headerText = String(decoding: rest[..<(headerEnd ?? rest.count)], as: UTF8.self)
        let body = headerEnd.map { Array(rest[($0 + 2)...]) } ?? []
        var headers: [String: String] = [:]
        for line in headerText.split(separator: "\n") {
            let pair = line.split(separator: ":", maxSplits: 1)
            if pair.count == 2 { headers[pair[0].lowercased()] = String(pair[1]) }
        }

        let parsed = SignatureVerifier.parse(authorization)
        if let auth = parsed {
            let rendered = "\(SignatureVerifier.algorithm) Access=\(auth.accessKey), SignedHeaders=\(auth.signedHeaders.joined(separator: ";")), Signature=\(auth.signature)"
            try require(SignatureVerifier.parse(rendered) == auth, "'\(shown(authorization))' parses, but its rendering '\(shown(rendered))' parses otherwise")
        }

        if let when = SignatureVerifier.parseDate(date) {
            try require(sdkDate(when) == date, "X-Sdk-Date '\(shown(date))' is accepted as \(sdkDate(when))")
        }

        let uri = SignatureVerifier.canonicalURI(path)
        try require(uri.hasSuffix("/") && isCanonical(uri, extra: "/"), "canonical URI of '\(shown(path))' is '\(shown(uri))'")
        try require(SignatureVerifier.canonicalURI(uri) == uri, "canonical URI of '\(shown(path))' changes when canonicalised again")
        let canonicalQuery = SignatureVerifier.canonicalQuery(query)
        try require(isCanonical(canonicalQuery, extra: "=&"), "canonical query of '\(shown(query))' is '\(shown(canonicalQuery))'")
        let reversed = query.unicodeScalars.split(separator: "&").reversed().map { String($0) }.joined(separator: "&")
        try require(SignatureVerifier.canonicalQuery(reversed) == canonicalQuery, "the canonical query of '\(shown(query))' depends on the order of its pairs")

        let signed = parsed?.signedHeaders ?? headers.keys.sorted()
        func canonical(_ body: [UInt8], _ header: (String) -> String?) -> String {
            SignatureVerifier.canonicalRequest(
                method: method, rawPath: path, rawQuery: query, signedHeaders: signed, header: header, body: body, bodyHash: fakeHash)
        }
        let request = canonical(body, { headers[$0] })
        let unsignedPayload = signed.contains("x-sdk-content-sha256") && headers["x-sdk-content-sha256"] == "UNSIGNED-PAYLOAD"
        if !unsignedPayload {
            try require(canonical(body + [0x20], { headers[$0] }) != request, "a body with a byte more signs the same")
        }
        let withUnsigned = canonical(body, { name in signed.contains(name) ? headers[name] : "changed" })
        try require(withUnsigned == request, "a header that is not signed changes the canonical request")
    }

    /// Stands in for SHA-256 (the fuzz build has no Crypto): distinct for distinct bodies here.
    static func fakeHash(_ body: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in body { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return "\(body.count)-\(String(hash, radix: 16))"
    }

    /// `yyyyMMdd'T'HHmmss'Z'`.
    static func sdkDate(_ date: Date) -> String {
        let text = Timestamp.format(date)
        return text.filter { $0 != "-" && $0 != ":" }
    }

    static func isCanonical(_ text: String, extra: String) -> Bool {
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, isUpperHex(bytes[i + 1]), isUpperHex(bytes[i + 2]) else { return false }
                i += 3
                continue
            }
            let unreserved = (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || "-_.~".utf8.contains(byte)
            guard unreserved || extra.utf8.contains(byte) else { return false }
            i += 1
        }
        return true
    }

    static func isUpperHex(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte)
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
