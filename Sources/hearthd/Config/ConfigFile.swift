import Foundation
import HearthCore

/// The optional JSON config file. Keys mirror the flags with underscores:
///
///     {"data_dir": "/var/lib/hearth", "unix": "/run/hearth/hearth.sock", "socket_group": "hearth", "tcp": "127.0.0.1:7070",
///      "auth": true, "runtimes_dir": "/usr/share/hearth/runtimes", "max_package_size": 52428800,
///      "log_level": "info", "profiles_dir": "/usr/share/hearth/sandbox-profiles",
///      "public_url": "https://faas.example.org", "max_versions": 10, "drain_seconds": 20,
///      "pool": {"capacity": 3, "max_workers": 64, "workers_per_function": 4, "queue_per_function": 64, "idle_ttl": 3600},
///      "limits": {"cpu": "100:100:300", "memory": "33554432:33554432:134217728", "timeout": "1:5:300"}}
///
/// An unknown key or a value of the wrong type stops start-up with a message naming both.
struct ConfigFile {
    var dataDir: String?
    var unix: String?
    var socketGroup: String?
    var tcp: String?
    var auth: Bool?
    var runtimesDir: String?
    var maxPackageSize: Int?
    var logLevel: String?
    var cpuLimits: String?
    var memoryLimits: String?
    var timeoutLimits: String?
    var profilesDir: String?
    var poolCapacity: Int?
    var maxWorkers: Int?
    var workersPerFunction: Int?
    var queuePerFunction: Int?
    var idleTTL: Double?
    var publicURL: String?
    var maxVersions: Int?
    var drainSeconds: Double?

    static let keys: Set<String> = [
        "drain_seconds",
        "data_dir", "unix", "tcp", "auth", "runtimes_dir", "profiles_dir", "max_package_size", "log_level", "limits", "pool",
        "public_url", "max_versions", "socket_group",
    ]
    static let poolKeys: Set<String> = ["capacity", "max_workers", "workers_per_function", "queue_per_function", "idle_ttl"]
    static let limitKeys: Set<String> = ["cpu", "memory", "timeout"]

    init() {}

    init(path: String) throws(ConfigError) {
        guard let bytes = Self.inherited(path) ?? FileManager.default.contents(atPath: path) else { throw ConfigError("\(path): cannot read the config file") }
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch { throw ConfigError("\(path): not valid JSON: \(error)") }
        guard let members = json.objectMembers else { throw ConfigError("\(path): the config must be a JSON object") }
        for member in members where !Self.keys.contains(member.key) {
            throw ConfigError("\(path): unknown key \"\(member.key)\" (known: \(Self.keys.sorted().joined(separator: ", ")))")
        }
        func string(_ key: String, in object: JSONValue = json) throws(ConfigError) -> String? {
            switch object[key] {
            case nil, .null?: return nil
            case .string(let s)?: return s
            case let other?: throw ConfigError("\(path): \"\(key)\" must be a string, not a \(other.typeName)")
            }
        }
        dataDir = try string("data_dir")
        unix = try string("unix")
        socketGroup = try string("socket_group")
        tcp = try string("tcp")
        runtimesDir = try string("runtimes_dir")
        logLevel = try string("log_level")
        switch json["auth"] {
        case nil, .null?: auth = nil
        case .bool(let b)?: auth = b
        case let other?: throw ConfigError("\(path): \"auth\" must be true or false, not a \(other.typeName)")
        }
        func integer(_ key: String, in object: JSONValue = json, label: String? = nil) throws(ConfigError) -> Int? {
            switch object[key] {
            case nil, .null?: return nil
            case .int(let i)?: return Int(i)
            case let other?: throw ConfigError("\(path): \"\(label ?? key)\" must be an integer, not a \(other.typeName)")
            }
        }
        maxPackageSize = try integer("max_package_size")
        profilesDir = try string("profiles_dir")
        publicURL = try string("public_url")
        maxVersions = try integer("max_versions")
        switch json["drain_seconds"] {
        case nil, .null?: drainSeconds = nil
        case .int(let i)?: drainSeconds = Double(i)
        case .double(let d)?: drainSeconds = d
        case let other?: throw ConfigError("\(path): \"drain_seconds\" must be a number of seconds, not a \(other.typeName)")
        }
        if let pool = json["pool"], !pool.isNull {
            guard let entries = pool.objectMembers else { throw ConfigError("\(path): \"pool\" must be an object") }
            for entry in entries where !Self.poolKeys.contains(entry.key) {
                throw ConfigError("\(path): unknown key \"pool.\(entry.key)\" (known: \(Self.poolKeys.sorted().joined(separator: ", ")))")
            }
            poolCapacity = try integer("capacity", in: pool, label: "pool.capacity")
            maxWorkers = try integer("max_workers", in: pool, label: "pool.max_workers")
            workersPerFunction = try integer("workers_per_function", in: pool, label: "pool.workers_per_function")
            queuePerFunction = try integer("queue_per_function", in: pool, label: "pool.queue_per_function")
            switch pool["idle_ttl"] {
            case nil, .null?: idleTTL = nil
            case .int(let i)?: idleTTL = Double(i)
            case .double(let d)?: idleTTL = d
            case let other?: throw ConfigError("\(path): \"pool.idle_ttl\" must be a number of seconds, not a \(other.typeName)")
            }
        }
        if let limits = json["limits"], !limits.isNull {
            guard let entries = limits.objectMembers else { throw ConfigError("\(path): \"limits\" must be an object") }
            for entry in entries where !Self.limitKeys.contains(entry.key) {
                throw ConfigError("\(path): unknown key \"limits.\(entry.key)\" (known: cpu, memory, timeout)")
            }
            cpuLimits = try string("cpu", in: limits)
            memoryLimits = try string("memory", in: limits)
            timeoutLimits = try string("timeout", in: limits)
        }
    }
}

struct ConfigError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension ConfigFile {
    /// `HEARTH_CONFIG=FD:PATH`: the config file as hearthd's root phase opened it, for the daemon
    /// it re-execs as the `hearth` user, which may not be allowed to open the file itself
    /// (/etc/hearth/hearth.json is 0640 root's).
    static let inheritedVariable = "HEARTH_CONFIG"

    /// The root phase: the file, opened and kept open across exec, as the variable to pass on.
    static func keepOpen(_ path: String) -> (name: String, value: String)? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        return (inheritedVariable, "\(fd):\(path)")
    }

    /// The re-exec'd daemon: the inherited file's bytes, if it is `path`'s.
    static func inherited(_ path: String) -> Data? {
        guard let value = ProcessInfo.processInfo.environment[inheritedVariable] else { return nil }
        let parts = value.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, String(parts[1]) == path, let fd = Int32(parts[0]), fd > 2 else { return nil }
        unsetenv(inheritedVariable)
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        _ = lseek(fd, 0, SEEK_SET)
        return try? handle.readToEnd() ?? Data()
    }
}

#if canImport(Glibc)
import Glibc
#endif
