import CSandbox

/// Why a sandbox could not be made or used. A failed spawn names the set-up step and its
/// errno, mirroring the C step enum, so that "mount_proc: Operation not permitted" reaches
/// the log and the API instead of a bare failure.
public enum SandboxError: Error, Sendable, CustomStringConvertible, Equatable {
    case spawn(step: Step, errno: Int32)
    case profile(file: String, problem: String)
    case cgroup(path: String, problem: String)
    case mountpoint(path: String, problem: String)
    /// Another sandbox (perhaps of another hearthd process) holds this cgroup and its uid.
    case cgroupInUse(path: String)
    case noHostIdentity(range: ClosedRange<UInt32>)
    /// hearth-init, every sandbox's PID 1, is missing or cannot be opened.
    case initProgram(path: String, problem: String)
    /// A function's code could not be cloned as a detached mount for a worker.
    case codeTree(path: String, errno: Int32)
    /// hearth-launcher could not be started, or is gone.
    case launcher(problem: String)
    /// hearth-launcher refused a request, with its reason (Sources/hearth-launcher/PROTOCOL.md).
    case launcherRefused(request: String, errno: Int32, reason: String)
    /// This hearthd has no launcher (it was not started as root): no sandbox can be made.
    case unavailable(reason: String)

    public enum Step: String, Sendable {
        case pipes, stack, clone, idMaps = "id_maps", cgroup, release, waitParent = "wait_parent", identity
        case mountPrivate = "mount_private", mountRoot = "mount_root", mountBind = "mount_bind", mountProc = "mount_proc"
        case mountDev = "mount_dev", mountTmp = "mount_tmp", pivotRoot = "pivot_root", rootReadonly = "root_readonly"
        case hostname, cgroupNamespace = "cgroup_namespace", rlimits, fds, chdir, caps, noNewPrivs = "no_new_privs", signals
        case seccomp, exec, setupTimeout = "setup_timeout", fork, initFDs = "init_fds", execInit = "exec_init", unknown

        init(_ step: hearth_step) {
            let all: [hearth_step: Step] = [
                HEARTH_STEP_PIPES: .pipes, HEARTH_STEP_STACK: .stack, HEARTH_STEP_CLONE: .clone, HEARTH_STEP_ID_MAPS: .idMaps,
                HEARTH_STEP_CGROUP: .cgroup, HEARTH_STEP_RELEASE: .release, HEARTH_STEP_WAIT_PARENT: .waitParent,
                HEARTH_STEP_IDENTITY: .identity, HEARTH_STEP_MOUNT_PRIVATE: .mountPrivate, HEARTH_STEP_MOUNT_ROOT: .mountRoot,
                HEARTH_STEP_MOUNT_BIND: .mountBind, HEARTH_STEP_MOUNT_PROC: .mountProc, HEARTH_STEP_MOUNT_DEV: .mountDev,
                HEARTH_STEP_MOUNT_TMP: .mountTmp, HEARTH_STEP_PIVOT_ROOT: .pivotRoot, HEARTH_STEP_ROOT_READONLY: .rootReadonly,
                HEARTH_STEP_HOSTNAME: .hostname, HEARTH_STEP_CGROUP_NS: .cgroupNamespace, HEARTH_STEP_RLIMITS: .rlimits,
                HEARTH_STEP_FDS: .fds, HEARTH_STEP_CHDIR: .chdir, HEARTH_STEP_CAPS: .caps, HEARTH_STEP_NO_NEW_PRIVS: .noNewPrivs,
                HEARTH_STEP_SIGNALS: .signals, HEARTH_STEP_SECCOMP: .seccomp, HEARTH_STEP_EXEC: .exec,
                HEARTH_STEP_SETUP_TIMEOUT: .setupTimeout, HEARTH_STEP_FORK: .fork, HEARTH_STEP_INIT: .initFDs,
                HEARTH_STEP_EXEC_INIT: .execInit,
            ]
            self = all[step] ?? .unknown
        }
    }

    public var description: String {
        switch self {
        case .spawn(.setupTimeout, _):
            return "sandbox set-up did not reach execve within 10 s; the child was killed"
        case let .spawn(step, errno):
            let hint = step == .clone && (errno == EPERM || errno == EINVAL || errno == ENOSPC)
                ? " (this kernel does not let hearthd create user namespaces: check kernel.unprivileged_userns_clone / user.max_user_namespaces, and run hearthd as root)"
                : ""
            return "sandbox set-up failed at \(step.rawValue): \(String(cString: strerror(errno)))\(hint)"
        case let .profile(file, problem): return "\(file): \(problem)"
        case let .cgroup(path, problem): return "cgroup \(path): \(problem)"
        case let .mountpoint(path, problem): return "sandbox mountpoint \(path): \(problem)"
        case let .cgroupInUse(path): return "cgroup \(path) belongs to a running sandbox"
        case let .noHostIdentity(range): return "no free host uid left in \(range.lowerBound)...\(range.upperBound) (uid_range)"
        case let .initProgram(path, problem): return "hearth-init \(path): \(problem)"
        case let .codeTree(path, errno):
            let hint = errno == ENOSYS || errno == EPERM
                ? " (a function's code reaches its sandbox as a detached mount: this needs Linux 5.12 or newer and CAP_SYS_ADMIN)"
                : ""
            return "cannot clone \(path) as a read-only mount: \(String(cString: strerror(errno)))\(hint)"
        case let .launcher(problem): return "hearth-launcher: \(problem)"
        case let .launcherRefused(request, errno, reason):
            return "hearth-launcher refused the \(request) request: \(reason) (\(String(cString: strerror(errno))))"
        case let .unavailable(reason): return "sandboxes are unavailable: \(reason)"
        }
    }
}

extension hearth_step: @retroactive Hashable {}

#if canImport(Glibc)
import Glibc
#endif
