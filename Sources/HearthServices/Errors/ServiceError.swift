/// A request the services refused, with a message that tells the caller what to fix.
/// The API turns each case into its HTTP status (and FunctionGraph code) in one place.
public enum ServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The request is malformed or breaks a rule (400).
    case invalidInput(String)
    /// No credentials, or credentials that do not match (401).
    case unauthenticated(String)
    /// The caller may not do this (403).
    case notAllowed(String)
    /// No such resource visible to the caller (404).
    case notFound(String)
    /// The resource is not in a state that allows this (409).
    case conflict(String)
    /// The request carries more data than the operator allows (413).
    case tooLarge(String)
    /// Too much is queued already; retry later (429).
    case tooManyRequests(String)

    public var description: String {
        switch self {
        case .invalidInput(let m), .unauthenticated(let m), .notAllowed(let m), .notFound(let m), .conflict(let m), .tooLarge(let m), .tooManyRequests(let m):
            return m
        }
    }

    static let operationNotAllowed = ServiceError.notAllowed("Operation not allowed")
}
