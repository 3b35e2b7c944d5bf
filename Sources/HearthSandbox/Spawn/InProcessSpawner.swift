import CSandbox
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Makes sandboxes in this process, as root: `hearthd sandbox run` and hearth-bench. (The
/// daemon asks hearth-launcher instead, and holds no privilege.) It owns the cgroup hierarchy,
/// the host uid range and the empty directory every sandbox mounts its root on (each in its
/// own mount namespace, so any number of sandboxes, and daemons, share it).
final class InProcessSpawner: Sendable {
    let hierarchy: CgroupHierarchy
    let identities: HostIdentities
    let rootMountpoint: String
    let lastCapability: Int32
    /// hearth-init, PID 1 of every sandbox, opened once (O_PATH): exec'd through this fd.
    let initDescriptor: Int32

    /// Checks that sandboxes can be made here: cgroups are writable, the mountpoint exists,
    /// hearth-init is installed beside this executable.
    init(uidRange: ClosedRange<UInt32>? = nil) throws(SandboxError) {
        let initPath = try Sandbox.locateHelper("hearth-init")
        initDescriptor = hearth_open_executable(initPath)
        guard initDescriptor >= 0 else {
            throw .initProgram(path: initPath, problem: String(cString: strerror(-initDescriptor)))
        }
        hierarchy = try CgroupHierarchy.detect()
        try hierarchy.prepare()
        identities = HostIdentities(range: uidRange ?? HostIdentities.defaultRange())
        rootMountpoint = Sandbox.rootMountpoint
        for directory in [(rootMountpoint as NSString).deletingLastPathComponent, rootMountpoint, Sandbox.lockDirectory] {
            if mkdir(directory, 0o755) == 0 {
                // Not the umask's: the sandbox's first steps run as its own uid and must pass.
                chmod(directory, 0o755)
            } else if errno != EEXIST {
                throw .mountpoint(path: directory, problem: "cannot create it: \(String(cString: strerror(errno)))")
            }
        }
        guard Sandbox.isWorldTraversable(rootMountpoint) else {
            throw .mountpoint(path: rootMountpoint, problem: "every directory on the way must be world-searchable (o+x) so that sandboxes can reach it")
        }
        lastCapability = hearth_last_capability()
    }

    func spawn(_ spec: SandboxSpec, stdin: Int32? = nil, stdout: Int32? = nil, stderr: Int32? = nil, control: Int32? = nil) throws(SandboxError) -> SandboxedProcess {
        let (uid, cgroup, uidLock) = try claimIdentity(limits: spec.cgroup)
        var result = hearth_result()
        let rc = CStrings.with(spec) { strings in
            var binds = zip(spec.binds, strings.binds).map { bind, pair in
                hearth_bind(source: pair.source, target: pair.target, writable: bind.writable ? 1 : 0)
            }
            var symlinks = strings.symlinks.map { hearth_symlink(target: $0.target, path: $0.path) }
            var rlimits = spec.rlimits.map { hearth_rlimit(resource: $0.resource, soft: $0.soft, hard: $0.hard) }
            var procs = cgroup.procsFileDescriptors
            return binds.withUnsafeMutableBufferPointer { bindBuffer in
                symlinks.withUnsafeMutableBufferPointer { linkBuffer in
                    rlimits.withUnsafeMutableBufferPointer { limitBuffer in
                        procs.withUnsafeMutableBufferPointer { procBuffer in
                            withFilter(spec.profile) { filter in
                                var c = hearth_spec()
                                c.root_mountpoint = strings.root(rootMountpoint)
                                c.binds = UnsafePointer(bindBuffer.baseAddress)
                                c.bind_count = bindBuffer.count
                                c.symlinks = UnsafePointer(linkBuffer.baseAddress)
                                c.symlink_count = linkBuffer.count
                                c.tmp_options = strings.tmpOptions
                                c.code_dir = strings.codeDirectory
                                c.code_options = strings.codeOptions
                                c.hostname = strings.hostname
                                c.host_uid = uid
                                c.host_gid = uid
                                c.new_network = spec.network ? 0 : 1
                                c.rlimits = UnsafePointer(limitBuffer.baseAddress)
                                c.rlimit_count = limitBuffer.count
                                c.cgroup_procs_fds = UnsafePointer(procBuffer.baseAddress)
                                c.cgroup_fd_count = procBuffer.count
                                c.stdin_fd = stdin ?? -1
                                c.stdout_fd = stdout ?? -1
                                c.stderr_fd = stderr ?? -1
                                c.control_fd = control ?? -1
                                c.last_capability = lastCapability
                                c.init_fd = initDescriptor
                                c.filter = filter
                                c.cwd = strings.cwd
                                c.path = strings.executable
                                c.argv = UnsafePointer(strings.argv)
                                c.envp = UnsafePointer(strings.envp)
                                return hearth_spawn(&c, &result)
                            }
                        }
                    }
                }
            }
        }
        cgroup.closeProcsFiles()
        guard rc == 0 else {
            cgroup.remove()
            close(uidLock)
            identities.release(uid)
            throw .spawn(step: SandboxError.Step(result.step), errno: result.error)
        }
        return SandboxedProcess(pid: result.pid, uid: uid, cgroup: cgroup,
                                handle: .local(pidfd: result.pidfd, statusFD: result.status_fd, uidLock: uidLock, identities: identities))
    }

    /// A host uid no other live sandbox on the machine has, with its cgroup and the lock that
    /// proves it: `/run/hearth/uids/<uid>`, flock'd for the sandbox's lifetime and released by
    /// the kernel if the holder dies. Another hearthd process's uids are skipped, and a cgroup
    /// found under a lock we hold is a dead daemon's leftover, safe to reclaim.
    func claimIdentity(limits: CgroupLimits) throws(SandboxError) -> (UInt32, Cgroup, Int32) {
        var skipped: [UInt32] = []
        defer { for uid in skipped { identities.release(uid) } }
        for _ in 0..<identities.range.count {
            let uid = try identities.acquire()
            let lock = open("\(Sandbox.lockDirectory)/\(uid)", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard lock >= 0 else {
                identities.release(uid)
                throw .mountpoint(path: Sandbox.lockDirectory, problem: "cannot create the uid lock: \(String(cString: strerror(errno)))")
            }
            guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
                close(lock)
                skipped.append(uid)
                continue
            }
            do {
                return (uid, try Cgroup(hierarchy: hierarchy, name: "sandbox-\(uid)", limits: limits), lock)
            } catch .cgroupInUse {
                // A dead daemon's sandbox that still runs: leave that uid alone.
                close(lock)
                skipped.append(uid)
            } catch {
                close(lock)
                identities.release(uid)
                throw error
            }
        }
        throw .noHostIdentity(range: identities.range)
    }

    private func withFilter<T>(_ profile: SeccompProfile?, _ body: (UnsafePointer<hearth_filter>?) -> T) -> T {
        guard let profile else { return body(nil) }
        return withUnsafePointer(to: &profile.program.filter) { body($0) }
    }
}

/// C copies of a spec's strings, alive for one spawn call.
private final class CStrings {
    private var owned: [UnsafeMutablePointer<CChar>] = []
    var binds: [(source: UnsafePointer<CChar>, target: UnsafePointer<CChar>)] = []
    var symlinks: [(target: UnsafePointer<CChar>, path: UnsafePointer<CChar>)] = []
    var tmpOptions: UnsafePointer<CChar>!
    var codeDirectory: UnsafePointer<CChar>?
    var codeOptions: UnsafePointer<CChar>!
    var hostname: UnsafePointer<CChar>!
    var cwd: UnsafePointer<CChar>!
    var executable: UnsafePointer<CChar>!
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>!
    var envp: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>!

    func copy(_ text: String) -> UnsafeMutablePointer<CChar> {
        let pointer = strdup(text)!
        owned.append(pointer)
        return pointer
    }

    func root(_ path: String) -> UnsafePointer<CChar> { UnsafePointer(copy(path)) }

    func vector(_ items: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
        let vector = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: items.count + 1)
        for (i, item) in items.enumerated() { vector[i] = copy(item) }
        vector[items.count] = nil
        return vector
    }

    static func with<T>(_ spec: SandboxSpec, _ body: (CStrings) -> T) -> T {
        let strings = CStrings()
        strings.binds = spec.binds.map { (UnsafePointer(strings.copy($0.source)), UnsafePointer(strings.copy($0.target))) }
        strings.symlinks = spec.symlinks.map { (UnsafePointer(strings.copy($0.target)), UnsafePointer(strings.copy($0.path))) }
        strings.tmpOptions = UnsafePointer(strings.copy(spec.tmpOptions))
        strings.codeDirectory = spec.codeDirectory.map { UnsafePointer(strings.copy($0)) }
        strings.codeOptions = UnsafePointer(strings.copy(spec.codeOptions))
        strings.hostname = UnsafePointer(strings.copy(spec.hostname))
        strings.cwd = UnsafePointer(strings.copy(spec.workingDirectory))
        strings.executable = UnsafePointer(strings.copy(spec.executable))
        strings.argv = strings.vector([spec.executable] + spec.arguments)
        strings.envp = strings.vector(spec.environment)
        defer {
            strings.argv.deallocate()
            strings.envp.deallocate()
            for pointer in strings.owned { free(pointer) }
        }
        return body(strings)
    }
}
