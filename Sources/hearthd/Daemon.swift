import ArgumentParser
import Foundation
import HearthAPI
import HearthServices
import HearthStore
import Logging
import ServiceLifecycle

/// Start-up and shutdown, in order: the store opens and migrates, runtimes are re-checked,
/// the listeners start; on SIGTERM/SIGINT the listeners drain, the socket file is removed and
/// the store is closed.
struct Daemon {
    let config: DaemonConfig

    func run() async throws {
        let level = config.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "hearthd")

        let store: Store
        do {
            store = try Store(directory: config.dataDirectory)
        } catch {
            logger.critical("cannot open the data directory", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        let settings = ServiceSettings(
            limits: config.limits, maxPackageSize: config.maxPackageSize, runtimesDirectory: config.runtimesDirectory
        )
        let hearth = Hearth(store: store, settings: settings, logger: logger)
        logInstalledRuntimes(logger)
        Task { try? await hearth.runtimes.reconcileAll() }

        let api = APIServer(
            hearth: hearth,
            listeners: .init(unixSocket: config.unixSocket, tcp: config.tcp, authEnabled: config.authEnabled),
            logger: logger
        )
        let services: [any Service]
        do {
            services = try api.services { address in
                logger.notice("listening", metadata: ["address": "\(address)"])
                FileHandle.standardOutput.write(Data("hearthd: listening on \(address)\n".utf8))
            }
        } catch {
            logger.critical("cannot listen", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        if !config.authEnabled {
            logger.warning("authentication is off (--no-auth): every TCP caller is admin of project 'default'")
        }
        logger.info("starting", metadata: ["data_dir": "\(config.dataDirectory.path)", "runtimes_dir": "\(config.runtimesDirectory.path)"])

        let group = ServiceGroup(
            configuration: .init(services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        defer {
            if let path = config.unixSocket { UnixSocketFile.remove(path) }
            try? store.close()
            logger.notice("stopped")
        }
        try await group.run()
    }

    func logInstalledRuntimes(_ logger: Logger) {
        let (found, broken) = RuntimeCatalog(directory: config.runtimesDirectory).manifests()
        logger.info("runtimes installed", metadata: ["runtimes": "\(found.map(\.name).joined(separator: ", "))"])
        for problem in broken { logger.error("broken runtime manifest", metadata: ["problem": "\(problem)"]) }
        if found.isEmpty {
            logger.warning("no runtimes found; pass --runtimes-dir", metadata: ["runtimes_dir": "\(config.runtimesDirectory.path)"])
        }
    }
}
