import Foundation
import HearthPool
import HearthSandbox
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Start-up's privileged part (DESIGN.md invariant 6). Started as root, hearthd compiles the
/// seccomp profiles, starts hearth-launcher (which keeps root, and from then on alone makes,
/// signals and reaps sandboxes), hands the data directory to the `hearth` user, becomes it and
/// execs itself afresh, keeping the launcher's socket — all before the store opens and before
/// anything listens. Started as anyone else it serves the API without sandboxes, and says so.
extension Daemon {
    struct Sandboxes {
        var sandbox: Sandbox
        var profiles: WorkerPool.Profiles
        var launcher: Launcher?
    }

    func prepareSandboxes(logger: Logger, systemd: SystemdNotifier, sockets: ActivatedSockets) throws -> Sandboxes {
        let directory = config.profilesDirectory
        let trusted = try SeccompProfile.load(file: directory.appendingPathComponent("default.json"))
        let untrusted = try SeccompProfile.load(file: directory.appendingPathComponent("untrusted.json"))
        logger.info("seccomp profiles compiled", metadata: [
            "default": "\(trusted.instructionCount) instructions", "untrusted": "\(untrusted.instructionCount) instructions",
        ])
        let profiles = WorkerPool.Profiles(trusted: trusted, untrusted: untrusted)
        // The second start, as `hearth`, after the root phase below exec'd us.
        if let launcher = try Launcher.inherited(profiles: [trusted, untrusted]) {
            logger.notice("running as user \(DaemonUser.name); sandboxes are made by hearth-launcher", metadata: [
                "uid": "\(geteuid())", "launcher_pid": "\(launcher.pid)",
            ])
            return Sandboxes(sandbox: Sandbox(launcher: launcher), profiles: profiles, launcher: launcher)
        }
        guard geteuid() == 0 else {
            let reason = "hearthd runs as uid \(geteuid()), not root, so it started no hearth-launcher: functions cannot run here (start hearthd as root for sandboxes)"
            logger.warning("sandboxes are unavailable", metadata: ["reason": "\(reason)"])
            return Sandboxes(sandbox: Sandbox(unavailable: reason), profiles: profiles, launcher: nil)
        }

        let user = try DaemonUser.ensure()
        // The socket is bound after the exec below, by `hearth`, which holds no group but its own.
        if let group = config.socketGroup, group.gid != user.gid, config.unixSocket != nil, sockets.isEmpty {
            throw ConfigError("socket_group '\(group.name)': hearthd binds its socket as user \(DaemonUser.name), which can give it only its own group \(DaemonUser.name); use socket_group \(DaemonUser.name) and add the socket's users to that group")
        }
        let data = config.dataDirectory.path
        try user.checkReachable(data, what: "the data directory")
        let packages = config.dataDirectory.appendingPathComponent("packages").path
        for path in [data, packages] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        var options = launcherOptions(packages: packages)
        options.daemonUID = user.uid
        let launcher = try Launcher.start(options, profiles: [trusted, untrusted])
        try user.own(data)
        if let socket = config.unixSocket, sockets.isEmpty {
            try prepareSocketDirectory((socket as NSString).deletingLastPathComponent, for: user, logger: logger)
        }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        var environment: [String: String] = [:]
        if let file = config.configFile, let kept = ConfigFile.keepOpen(file) { environment[kept.name] = kept.value }
        // systemd's notification socket and passed listeners belong to this PID, which the exec keeps.
        environment.merge(systemd.environment) { $1 }
        environment.merge(sockets.keptAcrossExec()) { $1 }
        try user.become()
        // A fresh image as `hearth`: the Swift runtime has ended this process's first thread,
        // whose credentials are what `ps` shows; and nothing of the root phase stays mapped.
        try launcher.handOver(executable: executable, environment: environment)
    }

    /// What the launcher allows: binds from the system's /usr, /lib*, /etc/ld.so.cache and
    /// /etc/localtime and from the runtimes directory; code trees from the packages directory;
    /// limits up to the largest the configuration lets a function or a generic worker have.
    func launcherOptions(packages: String) -> Launcher.Options {
        let roots = SandboxSpec.systemBinds().binds.map(\.source) + [config.runtimesDirectory.path]
        let pool = config.pool
        return Launcher.Options(
            packages: packages, allowedRoots: roots, uidRange: HostIdentities.defaultRange(),
            maxMemory: max(config.limits.memorySize.max, pool.genericMemory), maxPids: pool.pidsLimit,
            maxMillicpu: max(config.limits.cpu.max, 1000), maxTmp: pool.tmpSize, maxCode: pool.codeSize
        )
    }

    /// The socket's directory must let the `hearth` user create the socket: inside the data
    /// directory it already does; /run/hearth, which also holds the launcher's locks, is shared
    /// (group `hearth`, sticky); a directory that does not exist yet is made the user's.
    func prepareSocketDirectory(_ directory: String, for user: DaemonUser, logger: Logger) throws {
        let data = config.dataDirectory.path
        if directory == data || directory.hasPrefix(data + "/") { return }
        if directory == (Sandbox.rootMountpoint as NSString).deletingLastPathComponent {
            try user.share(directory)
            return
        }
        if !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            try user.own(directory)
            return
        }
        logger.notice("the Unix socket's directory is left as it is: user \(DaemonUser.name) must be able to create the socket there", metadata: [
            "directory": "\(directory)",
        ])
    }
}
