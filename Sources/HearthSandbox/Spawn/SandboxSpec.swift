import Foundation

/// Everything one sandbox is made of, as Swift values. `Sandbox.spawn` lowers it to the C
/// `hearth_spec` in the parent, where allocating is allowed.
public struct SandboxSpec: Sendable {
    public struct Bind: Sendable, Equatable {
        public var source: String
        public var target: String
        public var writable: Bool

        public init(source: String, target: String? = nil, writable: Bool = false) {
            self.source = source
            self.target = target ?? source
            self.writable = writable
        }
    }

    public var executable: String
    public var arguments: [String]
    public var environment: [String]
    public var workingDirectory = "/"
    public var binds: [Bind]
    /// (target, path) symbolic links inside the sandbox.
    public var symlinks: [(target: String, path: String)]
    public var tmpOptions = "size=64m,mode=1777"
    /// A writable tmpfs for the function's code, or nil.
    public var codeDirectory: String?
    public var codeOptions = "size=64m,mode=0755"
    public var hostname = "hearth"
    /// False gives the sandbox an empty network namespace (no interfaces but a down loopback).
    public var network = false
    public var rlimits: [(resource: Int32, soft: UInt64, hard: UInt64)]
    public var cgroup: CgroupLimits
    public var profile: SeccompProfile?

    public init(
        executable: String, arguments: [String], environment: [String], binds: [Bind],
        symlinks: [(target: String, path: String)], rlimits: [(resource: Int32, soft: UInt64, hard: UInt64)],
        cgroup: CgroupLimits, profile: SeccompProfile?
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.binds = binds
        self.symlinks = symlinks
        self.rlimits = rlimits
        self.cgroup = cgroup
        self.profile = profile
    }

    /// The environment every sandbox starts with; workers add their own variables.
    public static let baseEnvironment = ["PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8"]

    /// What every sandbox needs of the host to run programs from /usr: /usr itself, the
    /// dynamic linker's cache, and the merged-/usr links (/bin → usr/bin …) as the host has them.
    public static func systemBinds() -> (binds: [Bind], symlinks: [(target: String, path: String)]) {
        var binds = [Bind(source: "/usr")]
        var links: [(target: String, path: String)] = []
        for top in ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] {
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: top) {
                links.append((target, top))
            } else if FileManager.default.fileExists(atPath: top) {
                binds.append(Bind(source: top))
            }
        }
        for file in ["/etc/ld.so.cache", "/etc/localtime"] where FileManager.default.fileExists(atPath: file) {
            binds.append(Bind(source: file))
        }
        return (binds, links)
    }
}
