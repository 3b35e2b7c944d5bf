import HTTPTypes
import Hummingbird
import HummingbirdCore

typealias Handler = @Sendable (Request, HearthRequestContext) async throws -> Response

/// Registers each path with its methods, and answers every other method on that path with a
/// 405 that lists the allowed ones (the router alone would say 404).
struct RouteTable {
    let router: Router<HearthRequestContext>

    static let knownMethods: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch]

    func path(_ path: String, _ handlers: [HTTPRequest.Method: Handler]) {
        for (method, handler) in handlers {
            router.on(RouterPath(path), method: method, use: handler)
        }
        let allowed = Self.knownMethods.filter { handlers[$0] != nil }
        let allowHeader = allowed.map(\.rawValue).joined(separator: ", ")
        for method in Self.knownMethods where handlers[method] == nil {
            router.on(RouterPath(path), method: method) { request, _ -> Response in
                throw APIError(
                    .methodNotAllowed, "Method \(method) is not allowed on \(request.uri.path); allowed: \(allowHeader).",
                    headers: [.allow: allowHeader]
                )
            }
        }
    }
}
