import CSandbox
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Makes sandboxes. One per daemon: it owns the cgroup hierarchy, the host uid range and the
/// empty directory every sandbox mounts its root on (each in its own mount namespace).
public final class Sandbox: Sendable {
    public let hierarchy: CgroupHierarchy
    public let identities: HostIdentities
    let rootMountpoint: String
    let lastCapability: Int32

    /// Checks that sandboxes can be made here: cgroups are writable, the mountpoint exists.
    public init(stateDirectory: URL, uidRange: ClosedRange<UInt32>? = nil) throws(SandboxError) {
        hierarchy = try CgroupHierarchy.detect()
        try hierarchy.prepare()
        identities = HostIdentities(range: uidRange ?? HostIdentities.defaultRange())
        rootMountpoint = stateDirectory.appendingPathComponent("sandbox-root").path
        if mkdir(rootMountpoint, 0o700) != 0 && errno != EEXIST {
            throw .cgroup(path: rootMountpoint, problem: "cannot create the sandbox mountpoint: \(String(cString: strerror(errno)))")
        }
        lastCapability = hearth_last_capability()
    }

    /// Starts `spec` in a new sandbox. The given fds become 0, 1, 2 and 3 inside (nil: /dev/null,
    /// or closed for 3); the caller keeps and closes its own copies. Blocks for the few
    /// milliseconds set-up takes: call it off the request path.
    public func spawn(_ spec: SandboxSpec, stdin: Int32? = nil, stdout: Int32? = nil, stderr: Int32? = nil, control: Int32? = nil) throws(SandboxError) -> SandboxedProcess {
        let uid = try identities.acquire()
        let cgroup: Cgroup
        do {
            cgroup = try Cgroup(hierarchy: hierarchy, name: "sandbox-\(uid)", limits: spec.cgroup)
        } catch {
            identities.release(uid)
            throw error
        }
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
            identities.release(uid)
            throw .spawn(step: SandboxError.Step(result.step), errno: result.error)
        }
        return SandboxedProcess(pid: result.pid, pidfd: result.pidfd, uid: uid, cgroup: cgroup, identities: identities)
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
