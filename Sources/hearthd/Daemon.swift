import ArgumentParser
import Foundation
import HearthAPI
import HearthPool
import HearthSandbox
import HearthServices
import HearthStore
import Logging
import ServiceLifecycle

/// Start-up and shutdown, in order: as root, hearth-launcher starts and the daemon becomes the
/// `hearth` user (Daemon+Privileges); the store opens and migrates, runtimes are re-checked,
/// the listeners start; on SIGTERM/SIGINT the listeners stop accepting and running calls drain
/// (Stop/Drain), then every worker is killed, the launcher removes their cgroups and exits, the
/// socket file is removed and the store is closed.
struct Daemon {
    let config: DaemonConfig

    func run() async throws {
        // Whatever the daemon creates is its own unless it says otherwise (the sandbox's mount
        // points, the socket and a package's unpacked files set their modes explicitly).
        umask(0o077)
        let level = config.logLevel
        let journal = DaemonLogHandler.stderrIsJournal
        LoggingSystem.bootstrap { label in DaemonLogHandler(label: label, level: level, journal: journal) }
        let logger = Logger(label: "hearthd")
        let systemd = SystemdNotifier.take(logger: logger)
        systemd.startWatchdog()
        let activated: ActivatedSockets
        do {
            activated = try ActivatedSockets.take()
        } catch {
            logger.critical("cannot serve the sockets systemd passed", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        if !LargeAllocations.returnToTheSystemWhenFreed() {
            logger.warning("the allocator keeps its dynamic mmap threshold: memory a worker made the daemon buffer may stay in its RSS")
        }

        // First, while still root: the launcher, then down to the `hearth` user.
        let sandboxes: Sandboxes
        do {
            systemd.status("compiling seccomp profiles, starting hearth-launcher")
            sandboxes = try prepareSandboxes(logger: logger, systemd: systemd, sockets: activated)
        } catch {
            logger.critical("cannot make sandboxes", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        let store: Store
        systemd.status("opening the store")
        do {
            store = try Store(directory: config.dataDirectory)
        } catch {
            logger.critical("cannot open the data directory", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        let pool = WorkerPool(sandbox: sandboxes.sandbox, profiles: sandboxes.profiles, settings: config.pool, logger: logger)
        var settings = ServiceSettings(
            limits: config.limits, maxPackageSize: config.maxPackageSize, runtimesDirectory: config.runtimesDirectory
        )
        settings.pidsLimit = config.pool.pidsLimit
        settings.maxUnpackedSize = config.pool.codeSize
        settings.maxVersions = config.maxVersions
        settings.publicURL = config.publicURL
        let hearth = Hearth(store: store, settings: settings, pool: pool, logger: logger)
        logInstalledRuntimes(logger)
        try await hearth.executions.failInterrupted()
        let api = APIServer(
            hearth: hearth,
            listeners: .init(
                unixSocket: activated.isEmpty ? config.unixSocket : nil, tcp: activated.isEmpty ? config.tcp : nil,
                authEnabled: config.authEnabled, unixSocketGroup: config.socketGroup?.gid, boundSockets: activated.unix + activated.tcp
            ),
            logger: logger
        )
        let services: [any Service]
        do {
            services = try api.services { address in
                logger.notice("listening", metadata: ["address": "\(address)"])
                // On the journal the notice above says it; stdout would repeat it without a priority.
                if !journal { FileHandle.standardOutput.write(Data("hearthd: listening on \(address)\n".utf8)) }
                systemd.listening(address)
            }
            systemd.expect(listeners: services.count)
        } catch {
            logger.critical("cannot listen", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        systemd.status("starting listeners")
        systemd.watchSignals()
        if !config.authEnabled {
            logger.warning("authentication is off (--no-auth): every TCP caller is admin of project 'default'")
        }
        if !activated.isEmpty {
            logger.notice("serving the sockets systemd passed instead of binding", metadata: [
                "unix_fds": "\(activated.unix)", "tcp_fds": "\(activated.tcp)",
            ])
        }
        logger.info("starting", metadata: ["data_dir": "\(config.dataDirectory.path)", "runtimes_dir": "\(config.runtimesDirectory.path)"])

        let drain = Drain(seconds: config.drainSeconds, executions: hearth.executions, logger: logger)
        let listeners = Listeners(applications: services, onStop: { drain.begin() })
        // A graceful shutdown stops them last first: the listeners (and the drain begins),
        // then the scheduler, then the expiry. The background ones never end the group.
        let background = [Recovery(hearth: hearth), IdleExpiry(pool: pool, idleTTL: config.pool.idleTTL)] as [any Service]
        let group = ServiceGroup(configuration: .init(
            services: background.reversed().map { .init(service: $0, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore) }
                + [.init(service: listeners)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        ))
        var failure: (any Error)?
        do { try await group.run() } catch { failure = error }
        await drain.finish()
        await pool.shutdown()
        sandboxes.launcher?.stop()
        // A socket systemd passed is its own: it stays for the next activation.
        if let path = config.unixSocket, activated.isEmpty { UnixSocketFile.remove(path) }
        try? store.close()
        logger.notice("stopped")
        if let failure { throw failure }
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
