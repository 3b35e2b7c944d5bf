import Foundation
import HearthCore
import HearthServices
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The HTTP face of Hearth: one router served on a Unix socket and on TCP at once, as two
/// Hummingbird applications that the daemon runs in its service group.
public struct APIServer: Sendable {
    public struct Listeners: Sendable {
        /// Path of the Unix socket, or nil for none.
        public var unixSocket: String?
        /// Host and port for TCP, or nil for none.
        public var tcp: (host: String, port: Int)?
        /// Require tokens on TCP; false only for development (`--no-auth`).
        public var authEnabled: Bool
        /// The group given to the Unix socket bound here (nil: the daemon's own).
        public var unixSocketGroup: gid_t?
        /// Listening sockets bound by someone else (systemd's socket activation), served as
        /// they are: each connection's face (trusted Unix or TCP) is told by its address family.
        public var boundSockets: [Int32]

        public init(unixSocket: String?, tcp: (host: String, port: Int)?, authEnabled: Bool, unixSocketGroup: gid_t? = nil, boundSockets: [Int32] = []) {
            self.unixSocket = unixSocket
            self.tcp = tcp
            self.authEnabled = authEnabled
            self.unixSocketGroup = unixSocketGroup
            self.boundSockets = boundSockets
        }
    }

    let hearth: Hearth
    let listeners: Listeners
    let logger: Logger

    public init(hearth: Hearth, listeners: Listeners, logger: Logger) {
        self.hearth = hearth
        self.listeners = listeners
        self.logger = logger
    }

    func makeRouter() -> Router<HearthRequestContext> {
        let router = Router(context: HearthRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        let signatures = SignatureAuthenticator(credentials: hearth.functionGraph.credentials, maxPackageSize: hearth.settings.maxPackageSize)
        router.add(middleware: AuthMiddleware(tokens: hearth.tokens, authEnabled: listeners.authEnabled, signatures: signatures))
        let table = RouteTable(router: router)
        RootRoutes().register(on: table)
        RuntimeRoutes(service: hearth.runtimes).register(on: table)
        FunctionRoutes(service: hearth.functions, maxPackageSize: hearth.settings.maxPackageSize).register(on: table)
        FunctionWorkerRoutes(service: hearth.functions).register(on: table)
        ExecutionRoutes(service: hearth.executions).register(on: table)
        FunctionVersionRoutes(service: hearth.functions).register(on: table)
        AliasRoutes(service: hearth.aliases).register(on: table)
        JobRoutes(service: hearth.jobs).register(on: table)
        WebhookRoutes(service: hearth.webhooks, publicURL: hearth.settings.publicURL).register(on: table)
        FunctionGraphRoutes(hearth: hearth).register(on: table)
        return router
    }

    /// The applications to run; `onListening` is told each address once it accepts connections.
    public func services(onListening: @escaping @Sendable (String) async -> Void) throws -> [any Service] {
        let responder = makeRouter().buildResponder()
        var services: [any Service] = []
        for descriptor in listeners.boundSockets {
            services.append(BoundSocketServer(descriptor: descriptor, responder: responder, onServerRunning: { channel in
                await onListening(Self.describe(channel.localAddress))
            }, logger: logger))
        }
        if let path = listeners.unixSocket {
            try UnixSocketFile.prepare(path)
            services.append(Application(
                responder: responder,
                configuration: .init(address: .unixDomainSocket(path: path), serverName: "hearthd"),
                onServerRunning: { [logger, group = listeners.unixSocketGroup] _ in
                    // The file mode is the gate to the trusted socket: owner and group only.
                    if let group, chown(path, uid_t.max, group) != 0 {
                        logger.error("cannot give the Unix socket its group", metadata: [
                            "path": "\(path)", "gid": "\(group)", "error": "\(String(cString: strerror(errno)))",
                        ])
                    }
                    chmod(path, 0o660)
                    await onListening("unix:\(path)")
                },
                logger: logger
            ))
        }
        if let tcp = listeners.tcp {
            services.append(Application(
                responder: responder,
                configuration: .init(address: .hostname(tcp.host, port: tcp.port), serverName: "hearthd"),
                onServerRunning: { channel in
                    let port = channel.localAddress?.port ?? tcp.port
                    await onListening("http://\(tcp.host):\(port)")
                },
                logger: logger
            ))
        }
        return services
    }

    /// A listener's address as the daemon reports it: `unix:/path` or `http://host:port`.
    static func describe(_ address: SocketAddress?) -> String {
        switch address {
        case .unixDomainSocket?: return "unix:\(address?.pathname ?? "?")"
        case .v6?: return "http://[\(address?.ipAddress ?? "?")]:\(address?.port ?? 0)"
        case let address?: return "http://\(address.ipAddress ?? "?"):\(address.port ?? 0)"
        case nil: return "an unknown address"
        }
    }
}
