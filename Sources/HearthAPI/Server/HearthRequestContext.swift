import HearthCore
import Hummingbird
import NIOCore

/// Per-request state: which listener the connection came in on (the Unix socket is trusted,
/// TCP is not) and, once the auth middleware has run, who the caller is.
public struct HearthRequestContext: RequestContext {
    public enum Listener: Sendable {
        case unixSocket
        case tcp
    }

    public var coreContext: CoreRequestContextStorage
    public let listener: Listener
    /// Set by `AuthMiddleware`; nil only on the paths that need no credentials.
    public var caller: Caller?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        if case .unixDomainSocket? = source.channel.localAddress {
            listener = .unixSocket
        } else {
            listener = .tcp
        }
    }

    /// The authenticated caller; routes behind `AuthMiddleware` always have one.
    func requireCaller() throws -> Caller {
        guard let caller else { throw ServiceErrorBridge.unauthenticated }
        return caller
    }
}

enum ServiceErrorBridge {
    static let unauthenticated = APIError(.unauthorized, "Authentication required")
}
