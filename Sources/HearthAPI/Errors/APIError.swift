import HTTPTypes

/// An HTTP-level refusal that does not come from a service: an unknown route, a wrong method,
/// a body that cannot be parsed, a field of the wrong type.
public struct APIError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var message: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }
}
