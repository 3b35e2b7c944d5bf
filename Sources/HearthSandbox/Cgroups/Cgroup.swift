import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One sandbox's cgroup (one directory per v1 controller, or one v2 directory).
///
/// Created before the sandbox starts; `procsFileDescriptors` are handed to the spawn so the
/// parent moves the child in before it runs anything. Limits can change while it runs (a
/// generic worker gets its function's limits when it is specialised). A sandbox that
/// hearth-launcher made has its group there: this object then only forwards `apply`.
public final class Cgroup: @unchecked Sendable {
    /// Nil for a group the launcher holds (the daemon cannot see or write it).
    public let hierarchy: CgroupHierarchy?
    public let name: String
    let directories: [String]
    private let remote: (launcher: Launcher, sandbox: UInt64)?
    /// Open `cgroup.procs` files; closed by `close()` once the sandbox is running.
    private(set) var procsFileDescriptors: [Int32]

    /// Creates the group. The caller holds the uid's lock, so a directory already there is a
    /// dead daemon's leftover: reclaimed if empty, `cgroupInUse` if its sandbox still runs.
    public init(hierarchy: CgroupHierarchy, name: String, limits: CgroupLimits) throws(SandboxError) {
        self.hierarchy = hierarchy
        self.name = name
        directories = hierarchy.directories(for: name)
        procsFileDescriptors = []
        remote = nil
        let claim = directories[0]
        if mkdir(claim, 0o755) != 0 {
            guard errno == EEXIST else { throw .cgroup(path: claim, problem: "cannot create: \(String(cString: strerror(errno)))") }
            // rmdir succeeds only on a group without processes: a stale one.
            guard rmdir(claim) == 0, mkdir(claim, 0o755) == 0 else { throw .cgroupInUse(path: claim) }
        }
        for directory in directories.dropFirst() {
            try Self.makeDirectory(directory)
        }
        do {
            try write(limits)
            for directory in directories {
                let fd = open(directory + "/cgroup.procs", O_WRONLY | O_CLOEXEC)
                guard fd >= 0 else { throw SandboxError.cgroup(path: directory, problem: "cannot open cgroup.procs: \(String(cString: strerror(errno)))") }
                procsFileDescriptors.append(fd)
            }
        } catch let error as SandboxError {
            closeProcsFiles()
            remove()
            throw error
        } catch {
            fatalError("unreachable: \(error)")
        }
    }

    /// The group of a sandbox the launcher made (named as the launcher names it).
    init(launcher: Launcher, sandbox: UInt64, uid: UInt32) {
        hierarchy = nil
        name = "sandbox-\(uid)"
        directories = []
        procsFileDescriptors = []
        remote = (launcher, sandbox)
    }

    /// Writes the limits to the controllers (or has the launcher write them, within its bounds).
    public func apply(_ limits: CgroupLimits) async throws(SandboxError) {
        if let remote { return try await remote.launcher.setLimits(remote.sandbox, limits) }
        try write(limits)
    }

    private func write(_ limits: CgroupLimits) throws(SandboxError) {
        switch hierarchy! {
        case .v2:
            let directory = directories[0]
            try Self.write("\(limits.memory)", to: directory + "/memory.max")
            try? Self.write("0", to: directory + "/memory.swap.max")
            try Self.write("\(limits.pids)", to: directory + "/pids.max")
            try Self.write("\(limits.quotaMicroseconds) \(CgroupLimits.periodMicroseconds)", to: directory + "/cpu.max")
        case .v1:
            let (memory, pids, cpu) = (directories[0], directories[1], directories[2])
            // memsw may never be below the memory limit: raise it first, lower it last. Without
            // swap accounting the file is absent; the machine then has no swap to escape to.
            let memsw = memory + "/memory.memsw.limit_in_bytes"
            let current = (try? String(contentsOfFile: memory + "/memory.limit_in_bytes", encoding: .utf8))
                .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? Int.max
            let hasMemsw = FileManager.default.fileExists(atPath: memsw)
            if hasMemsw && limits.memory > current { try Self.write("\(limits.memory)", to: memsw) }
            try Self.write("\(limits.memory)", to: memory + "/memory.limit_in_bytes")
            if hasMemsw && limits.memory <= current { try Self.write("\(limits.memory)", to: memsw) }
            try Self.write("\(limits.pids)", to: pids + "/pids.max")
            try Self.write("\(CgroupLimits.periodMicroseconds)", to: cpu + "/cpu.cfs_period_us")
            try Self.write("\(limits.quotaMicroseconds)", to: cpu + "/cpu.cfs_quota_us")
        }
    }

    /// Whether the kernel's OOM killer killed a process of this group.
    public var oomKilled: Bool {
        guard let hierarchy else { return false }
        switch hierarchy {
        case .v2:
            return Self.counter("oom_kill", in: directories[0] + "/memory.events") > 0
        case .v1:
            return Self.counter("oom_kill", in: directories[0] + "/memory.oom_control") > 0
        }
    }

    /// Peak memory use in bytes, where the kernel reports it.
    public var peakMemory: Int? {
        guard let hierarchy else { return nil }
        let file = {
            switch hierarchy {
            case .v2: return directories[0] + "/memory.peak"
            case .v1: return directories[0] + "/memory.max_usage_in_bytes"
            }
        }()
        return (try? String(contentsOfFile: file, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    func closeProcsFiles() {
        for fd in procsFileDescriptors { close(fd) }
        procsFileDescriptors = []
    }

    /// Removes the directories; call once the sandbox's processes are gone.
    public func remove() {
        closeProcsFiles()
        for directory in directories.reversed() {
            // The kernel may take a moment to release a group whose last process just died.
            for _ in 0..<50 {
                if rmdir(directory) == 0 || errno == ENOENT { break }
                usleep(2_000)
            }
        }
    }

    static func counter(_ key: String, in file: String) -> Int {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == key { return Int(parts[1]) ?? 0 }
        }
        return 0
    }

    static func makeDirectory(_ path: String) throws(SandboxError) {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw .cgroup(path: path, problem: "cannot create: \(String(cString: strerror(errno)))")
        }
    }

    static func write(_ text: String, to path: String) throws(SandboxError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cgroup(path: path, problem: "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard n == bytes.count else { throw .cgroup(path: path, problem: "cannot write '\(text)': \(String(cString: strerror(errno)))") }
    }
}
