import CSandbox
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A running sandbox: its init process (killing it kills everything in the sandbox's pid
/// namespace), its host uid and its cgroup. `reap()` must be called once it exited, to free
/// the uid and remove the cgroup. Made in this process (a pidfd to wait on, the uid's lock) or
/// by hearth-launcher (an id the launcher knows it by; the launcher waits, and says how it ended).
public final class SandboxedProcess: @unchecked Sendable {
    public let pid: pid_t
    public let uid: UInt32
    public let cgroup: Cgroup

    enum Handle {
        /// `statusFD`: where hearth-init writes how the worker ended (hearth_wait reads it);
        /// `uidLock`: the flock'd `/run/hearth/uids/<uid>` that reserves the uid machine-wide.
        case local(pidfd: Int32, statusFD: Int32, uidLock: Int32, identities: HostIdentities)
        case remote(launcher: Launcher, id: UInt64)
    }

    let handle: Handle
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

    init(pid: pid_t, uid: UInt32, cgroup: Cgroup, handle: Handle) {
        self.pid = pid
        self.uid = uid
        self.cgroup = cgroup
        self.handle = handle
    }

    /// Kills the sandbox's init, and with it every process of its pid namespace. Does nothing
    /// once reaped: the pidfd is closed then and its number may belong to another sandbox (the
    /// launcher's ids are never reused, and it refuses one that ended).
    public func kill() {
        lock.withLock {
            guard status == nil else { return }
            switch handle {
            case .local(let pidfd, _, _, _): _ = hearth_kill(pidfd)
            case .remote(let launcher, let id): launcher.kill(id)
            }
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

    private func waitAndRelease() async -> Exit {
        switch handle {
        case .local(let pidfd, let statusFD, let uidLock, let identities):
            return await waitLocally(pidfd: pidfd, statusFD: statusFD, uidLock: uidLock, identities: identities)
        case .remote(let launcher, let id):
            let exit: Exit = await withCheckedContinuation { continuation in
                launcher.whenEnded(id) { end in
                    let termination: Termination = end.exited ? .exited(end.status) : .signalled(end.status)
                    continuation.resume(returning: Exit(termination: termination, outOfMemory: end.outOfMemory))
                }
            }
            lock.withLock { status = exit }
            return exit
        }
    }

    /// On a thread of its own: the wait blocks, and removing a cgroup the kernel has not
    /// released yet retries with short sleeps. Neither belongs on the cooperative pool.
    private func waitLocally(pidfd: Int32, statusFD: Int32, uidLock: Int32, identities: HostIdentities) async -> Exit {
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
