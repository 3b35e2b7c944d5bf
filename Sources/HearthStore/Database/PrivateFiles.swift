import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The data directory's modes: readable by the daemon's user only. A function's sandbox never
/// reaches these files by path (its code arrives as a detached mount of its own package
/// directory), so this is defence in depth, and it also keeps other local users out.
enum PrivateFiles {
    static func restrict(_ path: String, mode: mode_t, ifExists: Bool = false) throws {
        guard chmod(path, mode) == 0 || (ifExists && errno == ENOENT) else {
            throw StoreError.cannotOpen(path: path, reason: "cannot make it private (chmod \(String(mode, radix: 8))): \(String(cString: strerror(errno)))")
        }
    }
}
