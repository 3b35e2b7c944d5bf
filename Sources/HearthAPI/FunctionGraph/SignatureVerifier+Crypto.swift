import Crypto
import Foundation
import HearthWire

/// The hashing half of the AK/SK check (the text half is `SignatureVerifier` in HearthWire).
extension SignatureVerifier {
    static func canonicalRequest(
        method: String, rawPath: String, rawQuery: String?, signedHeaders: [String], header: (String) -> String?, body: [UInt8]
    ) -> String {
        canonicalRequest(method: method, rawPath: rawPath, rawQuery: rawQuery, signedHeaders: signedHeaders, header: header, body: body, bodyHash: bodyHash)
    }

    static func bodyHash(_ body: [UInt8]) -> String {
        hex(SHA256.hash(data: body))
    }

    static func signature(canonicalRequest: String, date: String, secret: String) -> String {
        let stringToSign = "\(algorithm)\n\(date)\n\(hex(SHA256.hash(data: Data(canonicalRequest.utf8))))"
        return hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: SymmetricKey(data: Data(secret.utf8))))
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
