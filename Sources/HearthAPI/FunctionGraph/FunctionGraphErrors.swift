import Foundation
import HearthCore
import HearthServices
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore

/// Errors of the FunctionGraph face (every path under `/v2/`) in its own shape,
/// `{"error_code": "FSS.xxxx", "error_msg": …}`, with an `X-Request-Id` the SDK copies into
/// its exceptions. Called from `ErrorMiddleware`, the one place errors become HTTP.
enum FunctionGraphErrors {
    static func isFunctionGraphPath(_ path: String) -> Bool {
        path.hasPrefix("/v2/")
    }

    static func response(for error: any Error, request: Request, context: HearthRequestContext) -> Response {
        let (status, code, message): (HTTPResponse.Status, String, String)
        switch error {
        case let error as FunctionGraphError:
            (status, code, message) = (Self.status(of: error.kind), error.code, error.message)
        case let error as ServiceError where ErrorMiddleware.status(of: error) == .contentTooLarge:
            (status, code, message) = (.contentTooLarge, "FSS.0413", error.description)
        default:
            let (httpStatus, text, _) = ErrorMiddleware.classify(error, request: request, context: context)
            (status, code, message) = (httpStatus, Self.code(for: httpStatus), text)
        }
        return .json(
            .object(["error_code": .string(code), "error_msg": .string(message)]),
            status: status, headers: [.xRequestID: context.id]
        )
    }

    static func status(of kind: FunctionGraphError.Kind) -> HTTPResponse.Status {
        switch kind {
        case .badRequest: return .badRequest
        case .unauthorized: return .unauthorized
        case .forbidden: return .forbidden
        case .notFound: return .notFound
        case .notAcceptable: return .notAcceptable
        case .conflict: return .conflict
        case .tooLarge: return .contentTooLarge
        case .tooManyRequests: return .tooManyRequests
        case .unavailable: return .serviceUnavailable
        }
    }

    /// The generic code of a status, for refusals that are not FunctionGraph-specific.
    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400, 401, 403, 404, 405, 406, 408, 409, 413, 429, 503, 504: return String(format: "FSS.%04d", status.code)
        case 400..<500: return "FSS.0400"
        default: return "FSS.0500"
        }
    }
}

extension HTTPField.Name {
    static let xRequestID = Self("X-Request-Id")!
}
