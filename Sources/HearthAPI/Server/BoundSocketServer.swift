import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// HTTP/1.1 on a socket that is already bound and listening — one systemd's socket activation
/// passed. Hummingbird's `Application` only serves on an address it binds itself, so this runs
/// its HTTP/1 channel (`HTTP1Channel`, the same parser and connection handling) behind NIO's
/// `ServerBootstrap.bind(_:)` for an existing descriptor. A stop quiesces it as Hummingbird's
/// server does: no more accepts, each connection closed after the request it is serving. The
/// socket's file (for a Unix socket) belongs to whoever bound it and is never removed here.
struct BoundSocketServer<Responder: HTTPResponder>: Service where Responder.Context == HearthRequestContext {
    let descriptor: Int32
    let responder: Responder
    let onServerRunning: @Sendable (any Channel) async -> Void
    let logger: Logger

    func run() async throws {
        let channelSetup = HTTP1Channel(responder: respond)
        let group = MultiThreadedEventLoopGroup.singleton
        let quiesce = ServerQuiescingHelper(group: group)
        let logger = logger
        let server = try await ServerBootstrap(group: group)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiesce.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .bind(descriptor) { channel in channelSetup.setup(channel: channel, logger: logger) }
        await withGracefulShutdownHandler {
            await onServerRunning(server.channel)
            await withDiscardingTaskGroup { connections in
                do {
                    try await server.executeThenClose { inbound in
                        for try await connection in inbound {
                            connections.addTask { await channelSetup.handle(value: connection, logger: logger) }
                        }
                    }
                } catch {
                    logger.error("accepting connections failed", metadata: ["error": "\(error)"])
                }
            }
        } onGracefulShutdown: {
            quiesce.initiateShutdown(promise: nil)
        }
    }

    /// One request: the router's answer, with the Date and Server headers every response of
    /// the daemon carries. A malformed request's parser error goes back to the channel, which
    /// answers 400 and closes.
    @Sendable func respond(to request: Request, writer: consuming ResponseWriter, channel: any Channel) async throws {
        // Every request's logger carries its id, which Hummingbird's `context.id` reads (and
        // FunctionGraph's errors return as X-Request-Id).
        var logger = logger
        logger[metadataKey: "hb.request.id"] = .stringConvertible(RequestID())
        let context = HearthRequestContext(source: ApplicationRequestContextSource(channel: channel, logger: logger))
        var response: Response
        do {
            response = try await responder.respond(to: request, context: context)
        } catch let error as HTTPParserError {
            throw error
        } catch {
            logger.error("request failed outside the router's error handling", metadata: ["error": "\(error)"])
            response = Response(status: .internalServerError)
        }
        response.headers[.date] = Self.httpDate()
        response.headers[.server] = "hearthd"
        try await writer.write(response: response.head, body: response.body)
    }

    /// Now as an HTTP date (RFC 9110 §5.6.7), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func httpDate() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
