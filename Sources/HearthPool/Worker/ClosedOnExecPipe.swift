import Foundation
import HearthSandbox

#if canImport(Glibc)
import Glibc
#endif

/// A pipe whose two ends are close-on-exec, so that no process the daemon starts inherits
/// them; a sandbox gets its ends as chosen fds.
func closedOnExecPipe() throws(PoolError) -> (read: Int32, write: Int32) {
    guard let ends = Descriptors.pipe() else {
        throw PoolError.workerStartFailed("pipe: \(String(cString: strerror(errno)))")
    }
    return ends
}
