import CSandbox
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Makes sandboxes. One per daemon, in one of three ways:
/// - through hearth-launcher (the daemon: it runs unprivileged and asks the launcher, which
///   validates and does the privileged part; DESIGN.md invariant 6);
/// - in this process, as root (`hearthd sandbox run`, hearth-bench);
/// - not at all, in a hearthd started as an ordinary user: every spawn then says so.
public final class Sandbox: Sendable {
    /// The child reaches it after switching to its unprivileged host uid, so every directory
    /// on the way must be world-traversable: not under a 0700 data directory.
    public static let rootMountpoint = "/run/hearth/sandbox-root"
    /// `/run/hearth/uids/<uid>`, flock'd while a sandbox has that uid (by the launcher or an
    /// in-process spawner alike, so that they never share one).
    static let lockDirectory = "/run/hearth/uids"

    enum Backend: Sendable {
        case inProcess(InProcessSpawner)
        case launcher(Launcher)
        case unavailable(String)
    }

    let backend: Backend

    /// Sandboxes made in this process: checks that cgroups are writable, the mountpoint
    /// exists and hearth-init is installed beside this executable. Needs root.
    public init(uidRange: ClosedRange<UInt32>? = nil) throws(SandboxError) {
        backend = .inProcess(try InProcessSpawner(uidRange: uidRange))
    }

    /// Sandboxes made by hearth-launcher; code trees are cloned by it too.
    public init(launcher: Launcher) {
        backend = .launcher(launcher)
        CodeTree.use(launcher)
    }

    /// No sandboxes: every spawn fails with `reason`, which says what to do about it.
    public init(unavailable reason: String) {
        backend = .unavailable(reason)
        CodeTree.disable(reason)
    }

    /// Why no sandbox can be made here, or nil.
    public var unavailableReason: String? {
        if case .unavailable(let reason) = backend { return reason }
        return nil
    }

    /// Starts `spec` in a new sandbox. The given fds become 0, 1, 2 and 3 inside (nil: /dev/null,
    /// or closed for 3); the caller keeps and closes its own copies. Blocks for the few
    /// milliseconds set-up takes: call it off the request path.
    public func spawn(_ spec: SandboxSpec, stdin: Int32? = nil, stdout: Int32? = nil, stderr: Int32? = nil, control: Int32? = nil) throws(SandboxError) -> SandboxedProcess {
        switch backend {
        case .inProcess(let spawner):
            return try spawner.spawn(spec, stdin: stdin, stdout: stdout, stderr: stderr, control: control)
        case .launcher(let launcher):
            return try launcher.spawn(spec, stdin: stdin, stdout: stdout, stderr: stderr, control: control)
        case .unavailable(let reason):
            throw .unavailable(reason: reason)
        }
    }

    /// A helper program installed with hearthd (hearth-init, hearth-launcher), looked for beside
    /// the running executable (a build directory, or `bin/`), then in `../libexec/hearth/`.
    public static func locateHelper(_ name: String) throws(SandboxError) -> String {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [
            executable.appendingPathComponent(name).path,
            executable.appendingPathComponent("../libexec/hearth/\(name)").standardizedFileURL.path,
        ]
        guard let found = candidates.first(where: { access($0, X_OK) == 0 }) else {
            let problem = "not found (nor in \(candidates[1])); build it with `make build`"
            if name == "hearth-init" { throw .initProgram(path: candidates[0], problem: problem) }
            throw .launcher(problem: "\(candidates[0]): \(problem)")
        }
        return found
    }

    /// Whether a path can be reached by any uid: each ancestor has the search bit for others.
    public static func isWorldTraversable(_ path: String) -> Bool {
        var current = URL(fileURLWithPath: path).standardizedFileURL.path
        while current != "/" && !current.isEmpty {
            current = (current as NSString).deletingLastPathComponent
            var info = stat()
            guard stat(current, &info) == 0, info.st_mode & S_IXOTH != 0 else { return false }
        }
        return true
    }
}
