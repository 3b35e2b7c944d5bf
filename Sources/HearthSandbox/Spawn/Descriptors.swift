import CSandbox

/// Descriptors made the way sandboxes need them.
public enum Descriptors {
    /// pipe2(O_CLOEXEC), which Swift does not see: no process the daemon starts inherits
    /// either end, and there is no window between pipe() and fcntl() in which a sandbox being
    /// cloned by another thread copies them. Nil with errno set on failure.
    public static func pipe() -> (read: Int32, write: Int32)? {
        var ends: [Int32] = [-1, -1]
        guard hearth_pipe(&ends) == 0 else { return nil }
        return (ends[0], ends[1])
    }
}

extension Descriptors {
    /// One non-blocking send of (the start of) `bytes` on a Unix socket, with `fds` riding on
    /// the first byte sent (SCM_RIGHTS, at most four; the receiver gets copies, the caller's
    /// stay open). The bytes sent (perhaps fewer than all), or -errno (-EAGAIN: full).
    public static func send(_ socket: Int32, _ bytes: UnsafeRawBufferPointer, attaching fds: [Int32] = []) -> Int {
        fds.withUnsafeBufferPointer { fds in
            hearth_send_attaching(socket, bytes.baseAddress, bytes.count, fds.baseAddress, Int32(fds.count))
        }
    }
}
