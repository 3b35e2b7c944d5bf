import Foundation
import HearthCore
import HearthServices
import HearthWire
import HTTPTypes
import Hummingbird
import NIOCore

/// Authenticates a FunctionGraph request signed with an operator-issued AK/SK: the date must
/// be within the clock-skew window, the access key known, and the signature (over method,
/// path, query, the signed headers and the body) made with its secret. The caller is a
/// member of the credential's project. Every refusal is a 401 `FSS.0401` saying which check failed.
struct SignatureAuthenticator {
    let credentials: CredentialService
    let maxPackageSize: Int

    func authenticate(_ request: inout Request, authorization: String, now: Date = Date()) async throws -> Caller {
        guard let auth = SignatureVerifier.parse(authorization) else {
            throw Self.refused("malformed Authorization header: expected SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<h1;h2>, Signature=<hex>")
        }
        guard let dateText = request.headers[.xSdkDate], let date = SignatureVerifier.parseDate(dateText) else {
            throw Self.refused("X-Sdk-Date is missing or not in the form yyyyMMddTHHmmssZ")
        }
        guard abs(date.timeIntervalSince(now)) <= SignatureVerifier.maxSkew else {
            throw Self.refused("X-Sdk-Date \(dateText) is more than \(Int(SignatureVerifier.maxSkew / 60)) minutes away from the server's clock (\(Timestamp.format(now))); the signature has expired")
        }
        guard auth.signedHeaders.contains("x-sdk-date") else {
            throw Self.refused("X-Sdk-Date must be among the SignedHeaders")
        }
        guard let (project, secret) = try await credentials.secret(accessKey: auth.accessKey) else {
            throw Self.refused("unknown access key \(auth.accessKey) (an operator creates one with `hearthd credential create --project NAME`)")
        }
        let limit = FunctionGraphLimits.body(forPath: request.uri.path, maxPackageSize: maxPackageSize)
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw FunctionGraphError(.tooLarge, "FSS.0413", "The request body is too large: at most \(limit) bytes are accepted here.")
        }
        let head = request.head
        let canonical = SignatureVerifier.canonicalRequest(
            method: head.method.rawValue, rawPath: request.uri.path, rawQuery: request.uri.query, signedHeaders: auth.signedHeaders,
            header: { name in
                if name == "host" { return head.authority }
                return HTTPField.Name(name).flatMap { head.headerFields[values: $0].isEmpty ? nil : head.headerFields[values: $0].joined(separator: ",") }
            },
            body: Array(body.readableBytesView)
        )
        let expected = SignatureVerifier.signature(canonicalRequest: canonical, date: dateText, secret: secret)
        guard SignatureVerifier.matches(expected, auth.signature) else {
            throw Self.refused("the signature does not match: check the secret key, and that no proxy rewrites the Host header or the path")
        }
        return Caller(projectID: project, isAdmin: false)
    }

    static func refused(_ why: String) -> FunctionGraphError {
        FunctionGraphError(.unauthorized, "FSS.0401", "Unauthorized access: \(why).")
    }
}

extension HTTPField.Name {
    static let xSdkDate = Self("X-Sdk-Date")!
}
