import HearthCore
import HearthServices
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// The one place errors become HTTP responses. Every 4xx and 5xx is Qinling's JSON fault
/// (`{"faultcode": …, "faultstring": …, "debuginfo": null}`) — including unknown routes and
/// wrong methods, which Qinling sent as HTML. A caller's mistake is always a 4xx whose message
/// says what to fix; anything unexpected is a 500 naming the request id, with the detail
/// logged rather than sent.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = HearthRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            if FunctionGraphErrors.isFunctionGraphPath(request.uri.path) {
                return FunctionGraphErrors.response(for: error, request: request, context: context)
            }
            let (status, message, headers) = Self.classify(error, request: request, context: context)
            return Response.fault(status, message, headers: headers)
        }
    }

    static func classify(_ error: any Error, request: Request, context: Context) -> (HTTPResponse.Status, String, HTTPFields) {
        switch error {
        case let error as APIError:
            return (error.status, error.message, error.headers)
        case let error as ServiceError:
            return (status(of: error), error.description, [:])
        case let error as HTTPError where error.status == .notFound:
            return (.notFound, "Resource not found: \(request.method) \(request.uri.path)", [:])
        case let error as HTTPError where (400..<500).contains(error.status.code):
            return (error.status, error.body ?? error.status.reasonPhrase, [:])
        case is NIOTooManyBytesError:
            return (.contentTooLarge, "Request body is too large.", [:])
        default:
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            return (.internalServerError, "Internal server error (request id \(context.id)); the daemon log has the details.", [:])
        }
    }

    static func status(of error: ServiceError) -> HTTPResponse.Status {
        switch error {
        case .invalidInput: return .badRequest
        case .unauthenticated: return .unauthorized
        case .notAllowed: return .forbidden
        case .notFound: return .notFound
        case .conflict: return .conflict
        case .tooLarge: return .contentTooLarge
        case .tooManyRequests: return .tooManyRequests
        }
    }
}

extension Response {
    static func fault(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) -> Response {
        let body: JSONValue = .object([
            "faultcode": .string(status.code >= 500 ? "Server" : "Client"),
            "faultstring": .string(message),
            "debuginfo": .null,
        ])
        return .json(body, status: status, headers: headers)
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: value.serialized)))
    }

    static func empty(_ status: HTTPResponse.Status) -> Response {
        Response(status: status)
    }
}
