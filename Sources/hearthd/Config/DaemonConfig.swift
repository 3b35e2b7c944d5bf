import Foundation
import HearthCore
import HearthPool
import HearthSandbox
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Everything the daemon runs with, after defaults, the config file and flags are merged.
struct DaemonConfig {
    var dataDirectory: URL
    var unixSocket: String?
    /// The group given to a Unix socket hearthd binds itself, by name and id.
    var socketGroup: (name: String, gid: gid_t)?
    var tcp: (host: String, port: Int)?
    var authEnabled: Bool
    var runtimesDirectory: URL
    var profilesDirectory: URL
    /// The `--config` file, if any: kept open across the root phase's exec (ConfigFile).
    var configFile: String?
    var pool: PoolSettings
    var maxPackageSize: Int
    var limits: ResourceLimits
    var logLevel: Logger.Level
    var publicURL: String?
    var maxVersions: Int
    /// Seconds a stop lets running calls finish (Daemon+Stop).
    var drainSeconds: Double

    /// Root, or the daemon's user a root phase re-exec'd (it hands the launcher over in the
    /// environment): the defaults, data in /var/lib/hearth and the socket in /run/hearth, are
    /// the system daemon's either way, not the `hearth` user's home.
    static var isRoot: Bool { geteuid() == 0 || ProcessInfo.processInfo.environment[Launcher.handOverVariable] != nil }

    init(_ options: DaemonOptions) throws(ConfigError) {
        let file = try options.config.map { path throws(ConfigError) in try ConfigFile(path: path) } ?? ConfigFile()
        configFile = options.config
        dataDirectory = Self.dataDirectory(options.dataDir ?? file.dataDir)
        unixSocket = try Self.unixSocket(options.unix ?? file.unix, dataDirectory: dataDirectory)
        socketGroup = try Self.group(options.socketGroup ?? file.socketGroup)
        tcp = try Self.tcp(options.tcp ?? file.tcp ?? "127.0.0.1:7070")
        authEnabled = options.noAuth ? false : (file.auth ?? true)
        runtimesDirectory = Self.installedDirectory("runtimes", given: options.runtimesDir ?? file.runtimesDir)
        profilesDirectory = Self.installedDirectory("sandbox-profiles", given: options.profilesDir ?? file.profilesDir)
        var pool = PoolSettings()
        pool.capacity = options.poolCapacity ?? file.poolCapacity ?? pool.capacity
        pool.maxWorkers = options.maxWorkers ?? file.maxWorkers ?? pool.maxWorkers
        pool.perFunctionWorkers = options.workersPerFunction ?? file.workersPerFunction ?? pool.perFunctionWorkers
        pool.perFunctionQueue = options.queuePerFunction ?? file.queuePerFunction ?? pool.perFunctionQueue
        pool.idleTTL = options.idleTtl ?? file.idleTTL ?? pool.idleTTL
        guard pool.capacity >= 1, pool.maxWorkers >= pool.capacity, pool.perFunctionWorkers >= 1, pool.perFunctionQueue >= 0, pool.idleTTL > 0 else {
            throw ConfigError("pool settings must be positive, with max_workers at least the capacity")
        }
        self.pool = pool
        maxPackageSize = options.maxPackageSize ?? file.maxPackageSize ?? 52_428_800
        guard maxPackageSize > 0 else { throw ConfigError("max_package_size must be positive") }
        let qinling = ResourceLimits.qinling
        limits = ResourceLimits(
            cpu: try Self.bound(options.cpuLimits ?? file.cpuLimits, name: "cpu", default: qinling.cpu),
            memorySize: try Self.bound(options.memoryLimits ?? file.memoryLimits, name: "memory", default: qinling.memorySize),
            timeout: try Self.bound(options.timeoutLimits ?? file.timeoutLimits, name: "timeout", default: qinling.timeout)
        )
        publicURL = options.publicUrl ?? file.publicURL
        if let url = publicURL, !(url.hasPrefix("http://") || url.hasPrefix("https://")) || URL(string: url)?.host == nil {
            throw ConfigError("public_url must be an http:// or https:// URL, got '\(url)'")
        }
        maxVersions = options.maxVersions ?? file.maxVersions ?? 10
        guard maxVersions >= 1 else { throw ConfigError("max_versions must be at least 1") }
        drainSeconds = options.drainSeconds ?? file.drainSeconds ?? 20
        guard drainSeconds >= 0, drainSeconds.isFinite else { throw ConfigError("drain_seconds must be 0 or more seconds, got \(drainSeconds)") }
        let level = options.logLevel ?? file.logLevel ?? "info"
        guard let logLevel = Logger.Level(rawValue: level) else { throw ConfigError("unknown log level '\(level)'") }
        self.logLevel = logLevel
        if unixSocket == nil && tcp == nil { throw ConfigError("both listeners are 'none': nothing to serve") }
    }

    static func dataDirectory(_ given: String?) -> URL {
        if let given { return URL(fileURLWithPath: given).standardizedFileURL }
        if isRoot { return URL(fileURLWithPath: "/var/lib/hearth") }
        let base = ProcessInfo.processInfo.environment["XDG_DATA_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share")
        return base.appendingPathComponent("hearth")
    }

    static func unixSocket(_ given: String?, dataDirectory: URL) throws(ConfigError) -> String? {
        switch given {
        case "none"?: return nil
        case let path?:
            guard path.utf8.count < 108 else { throw ConfigError("unix socket path is longer than 107 bytes: \(path)") }
            return URL(fileURLWithPath: path).standardizedFileURL.path
        case nil: return isRoot ? "/run/hearth/hearth.sock" : dataDirectory.appendingPathComponent("hearth.sock").path
        }
    }

    /// A group that exists, given by name or number.
    static func group(_ given: String?) throws(ConfigError) -> (name: String, gid: gid_t)? {
        guard let given else { return nil }
        if let entry = getgrnam(given) { return (given, entry.pointee.gr_gid) }
        if let gid = gid_t(given), let entry = getgrgid(gid) { return (String(cString: entry.pointee.gr_name), gid) }
        throw ConfigError("socket_group '\(given)' is not a group on this system (make it with `groupadd \(given)`, or name an existing one)")
    }

    static func tcp(_ given: String) throws(ConfigError) -> (host: String, port: Int)? {
        if given == "none" { return nil }
        guard let colon = given.lastIndex(of: ":"), let port = Int(given[given.index(after: colon)...]), (0...65535).contains(port) else {
            throw ConfigError("tcp must be HOST:PORT or 'none', got '\(given)'")
        }
        var host = String(given[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    /// A directory shipped with Hearth (`runtimes`, `sandbox-profiles`): the one given, else
    /// ./NAME, else <prefix>/share/hearth/NAME next to the executable, else /usr/share/hearth/NAME.
    static func installedDirectory(_ name: String, given: String?) -> URL {
        if let given { return URL(fileURLWithPath: given).standardizedFileURL }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(name),
            executable.appendingPathComponent("../share/hearth/\(name)").standardizedFileURL,
            URL(fileURLWithPath: "/usr/share/hearth/\(name)"),
        ]
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) } ?? candidates[0]
    }

    /// `min:default:max`, each a non-negative integer, min ≤ default ≤ max.
    static func bound(_ given: String?, name: String, default fallback: ResourceLimits.Bound) throws(ConfigError) -> ResourceLimits.Bound {
        guard let given else { return fallback }
        let parts = given.split(separator: ":").map { Int($0) }
        guard parts.count == 3, let min = parts[0], let value = parts[1], let max = parts[2], min >= 0, min <= value, value <= max else {
            throw ConfigError("\(name) limits must be min:default:max with min ≤ default ≤ max, got '\(given)'")
        }
        return ResourceLimits.Bound(defaultValue: value, min: min, max: max)
    }
}
