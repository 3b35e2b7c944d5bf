import CSandbox

#if canImport(Glibc)
import Glibc
#endif

/// A function's code as a sandbox may hold it: a detached, read-only clone of its directory
/// (hearth_clone_tree), never a descriptor of the host directory itself, from which `..`
/// would climb to the host's `/`. The descriptor is close-on-exec; the caller sends it to one
/// worker and closes its own copy.
public enum CodeTree {
    public static func clone(_ directory: String) throws(SandboxError) -> Int32 {
        let fd = hearth_clone_tree(directory)
        guard fd >= 0 else { throw .codeTree(path: directory, errno: -fd) }
        return fd
    }
}
