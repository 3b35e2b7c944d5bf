import HearthCore
import HearthServices
import HearthWire
import HTTPTypes
import Hummingbird
import HummingbirdCore

/// Decides who the caller is.
///
/// - Unix socket: trusted, because its file mode is the gate. The caller is admin of the
///   project named by `X-Project-Id` (default `default`).
/// - TCP: an `X-Auth-Token` that matches a stored token, which carries project and role.
///   With `--no-auth` any token (or none) is admin of `default`, as Qinling with
///   `auth_enable = False` (the openstack client then sends `X-Auth-Token: notused`).
///
/// - TCP, FunctionGraph paths (`/v2/…`): also `Authorization: SDK-HMAC-SHA256` signed with
///   an operator-issued AK/SK (`SignatureAuthenticator`).
///
/// `/`, `/v1/` and webhook invocation need no credentials, as in Qinling.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = HearthRequestContext

    let tokens: TokenService
    let authEnabled: Bool
    let signatures: SignatureAuthenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        var request = request
        if context.listener == .tcp, authEnabled, FunctionGraphErrors.isFunctionGraphPath(request.uri.path),
            let authorization = request.headers[.authorization], authorization.hasPrefix(SignatureVerifier.algorithm)
        {
            context.caller = try await signatures.authenticate(&request, authorization: authorization)
        } else {
            context.caller = try await caller(for: request, listener: context.listener)
        }
        if context.caller == nil, !Self.isPublic(request.uri.path) {
            let signing = FunctionGraphErrors.isFunctionGraphPath(request.uri.path)
                ? " or sign the request with an access/secret key pair (`hearthd credential create --project NAME`)" : ""
            let message = request.headers[.xAuthToken] == nil
                ? "Authentication required: send an X-Auth-Token header (an operator creates one with `hearthd token create --project NAME`)\(signing)."
                : "Invalid token: the X-Auth-Token is unknown or was revoked."
            throw APIError(.unauthorized, message, headers: [.wwwAuthenticate: "Token"])
        }
        return try await next(request, context)
    }

    func caller(for request: Request, listener: Context.Listener) async throws -> Caller? {
        switch listener {
        case .unixSocket:
            let project = request.headers[.xProjectID].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
            return Caller(projectID: project, isAdmin: true)
        case .tcp where !authEnabled:
            return Caller(projectID: "default", isAdmin: true)
        case .tcp:
            guard let secret = request.headers[.xAuthToken], !secret.isEmpty else { return nil }
            return try await tokens.authenticate(secret: secret)
        }
    }

    static func isPublic(_ path: String) -> Bool {
        if path == "/" || path == "/v1" || path == "/v1/" { return true }
        let parts = path.split(separator: "/")
        return parts.count == 4 && parts[0] == "v1" && parts[1] == "webhooks" && parts[3] == "invoke"
    }
}

extension HTTPField.Name {
    static let xAuthToken = Self("X-Auth-Token")!
    static let xProjectID = Self("X-Project-Id")!
}
