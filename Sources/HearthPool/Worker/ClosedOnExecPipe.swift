import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A pipe whose two ends are close-on-exec (pipe2 is not visible to Swift here), so that no
/// process the daemon starts inherits them; a sandbox gets its ends as chosen fds.
func closedOnExecPipe() throws(PoolError) -> (read: Int32, write: Int32) {
    var ends: [Int32] = [-1, -1]
    guard pipe(&ends) == 0 else { throw PoolError.workerStartFailed("pipe: \(String(cString: strerror(errno)))") }
    for fd in ends { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return (ends[0], ends[1])
}
