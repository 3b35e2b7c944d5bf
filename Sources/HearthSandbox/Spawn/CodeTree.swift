import CSandbox
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A function's code as a sandbox may hold it: a detached, read-only clone of its directory
/// (hearth_clone_tree), never a descriptor of the host directory itself, from which `..`
/// would climb to the host's `/`. The descriptor is close-on-exec; the caller sends it to one
/// worker and closes its own copy.
///
/// Cloning needs CAP_SYS_ADMIN in the initial mount namespace: in the daemon it is a request
/// to hearth-launcher, which clones only directories under the packages root.
public enum CodeTree {
    private enum Cloner {
        case inProcess
        case launcher(Launcher)
        case unavailable(String)
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cloner = Cloner.inProcess

    static func use(_ launcher: Launcher) { lock.withLock { cloner = .launcher(launcher) } }
    static func disable(_ reason: String) { lock.withLock { cloner = .unavailable(reason) } }

    public static func clone(_ directory: String) async throws(SandboxError) -> Int32 {
        switch lock.withLock({ cloner }) {
        case .inProcess:
            let fd = hearth_clone_tree(directory)
            guard fd >= 0 else { throw .codeTree(path: directory, errno: -fd) }
            return fd
        case .launcher(let launcher):
            return try await launcher.cloneTree(directory)
        case .unavailable(let reason):
            throw .unavailable(reason: reason)
        }
    }
}
