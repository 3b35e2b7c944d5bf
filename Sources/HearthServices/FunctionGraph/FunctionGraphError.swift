/// A refusal of the FunctionGraph face, with the `FSS.xxxx` code its clients expect. The
/// kind decides the HTTP status (in the API's one error translator), the code and message
/// are sent as `{"error_code", "error_msg"}`.
public struct FunctionGraphError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case badRequest, unauthorized, forbidden, notFound, notAcceptable, conflict, tooLarge, tooManyRequests, unavailable
    }

    public var kind: Kind
    public var code: String
    public var message: String

    public init(_ kind: Kind, _ code: String, _ message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    static func invalid(_ message: String) -> Self { Self(.badRequest, "FSS.0400", message) }
    static func functionNotFound(_ detail: String? = nil) -> Self {
        Self(.notFound, "FSS.1051", detail.map { "Not found the function: \($0)" } ?? "Not found the function")
    }
    static func versionNotFound(_ version: String) -> Self { Self(.notFound, "FSS.1052", "Not found the function version '\(version)'") }
    static func aliasNotFound(_ alias: String) -> Self { Self(.notFound, "FSS.1053", "Not found the function alias '\(alias)'") }
    static func invalidURN(_ urn: String, _ why: String) -> Self { Self(.badRequest, "FSS.1309", "Invalid function URN '\(urn)': \(why)") }

    /// A Qinling-side refusal met on the FunctionGraph face, under the code that fits where it came from.
    static func wrapping(_ error: ServiceError, badRequestCode: String = "FSS.0400") -> Self {
        switch error {
        case .invalidInput(let m): return Self(.badRequest, badRequestCode, m)
        case .unauthenticated(let m): return Self(.unauthorized, "FSS.0401", m)
        case .notAllowed(let m): return Self(.forbidden, "FSS.0403", m)
        case .notFound(let m): return Self(.notFound, "FSS.0404", m)
        case .conflict(let m): return Self(.conflict, "FSS.0409", m)
        case .tooLarge(let m): return Self(.tooLarge, "FSS.1071", m)
        case .tooManyRequests(let m): return Self(.tooManyRequests, "FSS.0429", m)
        }
    }
}

extension FunctionGraphError {
    /// Runs `body`, turning a `ServiceError` into this face's shape.
    static func translating<T>(badRequestCode: String = "FSS.0400", _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ServiceError {
            throw wrapping(error, badRequestCode: badRequestCode)
        }
    }
}
