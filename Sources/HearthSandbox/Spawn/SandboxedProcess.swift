import CSandbox
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A running sandbox: its init process (killing it kills everything in the sandbox's pid
/// namespace), a pidfd to wait on, its host uid and its cgroup. `reap()` must be called once
/// it exited, to free the uid and remove the cgroup.
public final class SandboxedProcess: @unchecked Sendable {
    public let pid: pid_t
    public let uid: UInt32
    public let cgroup: Cgroup
    let pidfd: Int32
    /// Where hearth-init writes how the worker ended (hearth_wait reads it).
    let statusFD: Int32
    /// The flock'd `/run/hearth/uids/<uid>` that reserves the uid machine-wide.
    private let uidLock: Int32
    private let identities: HostIdentities
    private let lock = NSLock()
    private var status: Exit?

    /// How a sandbox ended, read before its cgroup goes away.
    public struct Exit: Sendable, Equatable {
        public var termination: Termination
        /// The kernel's OOM killer killed a process of the sandbox.
        public var outOfMemory: Bool
    }

    public enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)

        public var description: String {
            switch self {
            case .exited(let code): return "exited with status \(code)"
            case .signalled(let signal): return "was killed by signal \(signal) (\(String(cString: strsignal(signal))))"
            }
        }
    }

    init(pid: pid_t, pidfd: Int32, statusFD: Int32, uid: UInt32, uidLock: Int32, cgroup: Cgroup, identities: HostIdentities) {
        self.pid = pid
        self.pidfd = pidfd
        self.statusFD = statusFD
        self.uid = uid
        self.uidLock = uidLock
        self.cgroup = cgroup
        self.identities = identities
    }

    /// Kills the sandbox's init, and with it every process of its pid namespace. Does nothing
    /// once reaped: the pidfd is closed then and its number may belong to another sandbox.
    public func kill() {
        lock.withLock {
            if status == nil { _ = hearth_kill(pidfd) }
        }
    }

    private var reaping: Task<Exit, Never>?

    /// Waits (on a thread of its own, the wait blocks) until the sandbox's init exited, then
    /// releases its uid and cgroup. Single-flight: every caller gets the one result, and only
    /// one wait ever runs on the pidfd.
    public func reap() async -> Exit {
        let task = lock.withLock {
            if let reaping { return reaping }
            let task = Task { await self.waitAndRelease() }
            reaping = task
            return task
        }
        return await task.value
    }

    /// On a thread of its own: the wait blocks, and removing a cgroup the kernel has not
    /// released yet retries with short sleeps. Neither belongs on the cooperative pool.
    private func waitAndRelease() async -> Exit {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { [self] in
                var exited: Int32 = 0, code: Int32 = 0
                let rc = hearth_wait(pidfd, statusFD, &exited, &code)
                let termination: Termination = rc != 0 ? .signalled(SIGKILL) : exited == 1 ? .exited(code) : .signalled(code)
                let exit = Exit(termination: termination, outOfMemory: cgroup.oomKilled)
                lock.withLock {
                    status = exit
                    close(pidfd)
                    close(statusFD)
                }
                cgroup.remove()
                close(uidLock)  // only now may another process take the uid
                identities.release(uid)
                continuation.resume(returning: exit)
            }
        }
    }
}
