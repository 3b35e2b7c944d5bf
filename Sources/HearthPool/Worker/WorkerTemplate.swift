import Foundation
import HearthSandbox

/// How to start a worker of one runtime: its command and directory (the runtimes directory
/// that holds it is mounted read-only at `/runtimes`, so workers share `runtimes/lib`) and
/// whether it is trusted (untrusted runtimes get the stricter profile). The profile also says
/// whether sandboxes get a network.
public struct WorkerTemplate: Sendable {
    public var runtimeID: String
    public var runtimeName: String
    public var directory: URL
    /// The command; an argument naming a file of the runtime directory (`worker.py`) is
    /// passed as that file's path inside the sandbox (`/runtimes/python3/worker.py`).
    public var command: [String]
    public var trusted: Bool
    /// Whether the worker takes its code directory and each call's output pipe as descriptors
    /// (PROTOCOL.md); if not, it gets files in `load` and a `/code` tmpfs to write them to.
    public var descriptors: Bool

    public init(
        runtimeID: String, runtimeName: String, directory: URL, command: [String], trusted: Bool,
        descriptors: Bool = false
    ) {
        self.runtimeID = runtimeID
        self.runtimeName = runtimeName
        self.directory = directory
        self.command = command
        self.trusted = trusted
        self.descriptors = descriptors
    }

    static let runtimesMount = "/runtimes"
    static let codeDirectory = "/code"

    /// The sandbox a generic worker of this runtime starts in, with the pool's limits until a
    /// function's own limits replace them at specialisation.
    func sandboxSpec(limits: CgroupLimits, settings: PoolSettings, profile: SeccompProfile) -> SandboxSpec {
        var (binds, symlinks) = SandboxSpec.systemBinds()
        binds.append(.init(source: directory.deletingLastPathComponent().path, target: Self.runtimesMount))
        let inside = "\(Self.runtimesMount)/\(directory.lastPathComponent)"
        let arguments = command.dropFirst().map { argument in
            FileManager.default.fileExists(atPath: directory.appendingPathComponent(argument).path) ? "\(inside)/\(argument)" : argument
        }
        var spec = SandboxSpec(
            executable: command[0], arguments: arguments,
            environment: SandboxSpec.baseEnvironment + ["PYTHONDONTWRITEBYTECODE=1", "HEARTH_RUNTIME=\(runtimeName)"]
                + (descriptors ? [] : ["HEARTH_CODE_DIR=\(Self.codeDirectory)"]),
            binds: binds, symlinks: symlinks,
            rlimits: [
                (Int32(RLIMIT_NOFILE.rawValue), UInt64(settings.openFiles), UInt64(settings.openFiles)),
                // Counted per host uid, and every sandbox has its own: a per-sandbox bound
                // that holds even before the cgroup's pids limit.
                (Int32(__RLIMIT_NPROC.rawValue), UInt64(settings.pidsLimit), UInt64(settings.pidsLimit)),
                (Int32(RLIMIT_FSIZE.rawValue), 524_288_000, 524_288_000),
                (Int32(RLIMIT_CORE.rawValue), 0, 0),
            ],
            cgroup: limits, profile: profile
        )
        spec.network = profile.network
        spec.codeDirectory = descriptors ? nil : Self.codeDirectory
        spec.codeOptions = "size=\(settings.codeSize),mode=0755"
        spec.tmpOptions = "size=\(settings.tmpSize),mode=1777"
        return spec
    }
}

#if canImport(Glibc)
import Glibc
#endif
