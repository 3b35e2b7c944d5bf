import CSandbox
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The requests the daemon makes of hearth-launcher, as the Swift API of the sandbox had them.
extension Launcher {
    /// HL_SPAWN: `spec` in a new sandbox, the given fds its 0-3. Blocks until the launcher
    /// answered (the child reached execve, or a step failed, or a field was refused).
    func spawn(_ spec: SandboxSpec, stdin: Int32?, stdout: Int32?, stderr: Int32?, control: Int32?) throws(SandboxError) -> SandboxedProcess {
        var mask: UInt32 = 0
        var fds: [Int32] = []
        for (bit, fd) in [(HL_FD_STDIN, stdin), (HL_FD_STDOUT, stdout), (HL_FD_STDERR, stderr), (HL_FD_CONTROL, control)] {
            if let fd {
                mask |= UInt32(bit)
                fds.append(fd)
            }
        }
        let code = spec.codeDirectory == nil ? 0 : try Self.tmpfsSize(spec.codeOptions)
        var body = LauncherRecord()
        body.u32(mask)
        body.u32(spec.network ? UInt32(HL_OPT_HOST_NETWORK) : 0)
        body.u32(try filterIndex(spec.profile))
        body.u32(UInt32(clamping: spec.cgroup.pids))
        body.u64(UInt64(clamping: spec.cgroup.memory))
        body.u32(UInt32(clamping: spec.cgroup.millicpu))
        body.u32(0)
        body.u64(try Self.tmpfsSize(spec.tmpOptions))
        body.u64(code)
        let argv = [spec.executable] + spec.arguments
        for count in [spec.binds.count, spec.symlinks.count, spec.rlimits.count, argv.count, spec.environment.count, 0] {
            body.u16(UInt16(clamping: count))
        }
        for text in [spec.hostname, spec.workingDirectory, spec.codeDirectory ?? "", spec.executable] { try body.string(text) }
        for bind in spec.binds {
            guard !bind.writable else {
                throw .launcherRefused(request: "spawn", errno: EPERM, reason: "writable binds are not made by the launcher (\(bind.source))")
            }
            try body.string(bind.source)
            try body.string(bind.target)
        }
        for link in spec.symlinks {
            try body.string(link.target)
            try body.string(link.path)
        }
        for limit in spec.rlimits {
            body.u32(UInt32(bitPattern: limit.resource))
            body.u32(0)
            body.u64(limit.soft)
            body.u64(limit.hard)
        }
        for text in argv + spec.environment { try body.string(text) }
        let answer = try call(HL_SPAWN, body: body.bytes, fds: fds, name: "spawn")
        let group = Cgroup(launcher: self, sandbox: answer.id, uid: answer.uid)
        return SandboxedProcess(pid: answer.pid, uid: answer.uid, cgroup: group, handle: .remote(launcher: self, id: answer.id))
    }

    /// HL_KILL, not waited for.
    func kill(_ sandbox: UInt64) {
        var body = LauncherRecord()
        body.u64(sandbox)
        post(HL_KILL, body: body.bytes)
    }

    /// HL_SET_LIMITS: the limits of a running sandbox's cgroup.
    func setLimits(_ sandbox: UInt64, _ limits: CgroupLimits) async throws(SandboxError) {
        var body = LauncherRecord()
        body.u64(sandbox)
        body.u64(UInt64(clamping: limits.memory))
        body.u32(UInt32(clamping: limits.pids))
        body.u32(UInt32(clamping: limits.millicpu))
        try await request(HL_SET_LIMITS, body: body.bytes, name: "set limits")
    }

    /// HL_CLONE_TREE: a detached read-only mount of a directory under the packages root.
    func cloneTree(_ directory: String) async throws(SandboxError) -> Int32 {
        var body = LauncherRecord()
        try body.string(URL(fileURLWithPath: directory).standardizedFileURL.path)
        let answer = try await request(HL_CLONE_TREE, body: body.bytes, name: "clone tree")
        guard answer.fds.count == 1 else {
            answer.fds.forEach { close($0) }
            throw .launcher(problem: "clone tree answered without a descriptor")
        }
        return answer.fds[0]
    }

    /// The size in bytes of tmpfs options such as "size=64m,mode=1777" (k, m, g suffixes), which
    /// the launcher takes as a number: it writes the mount options itself.
    static func tmpfsSize(_ options: String) throws(SandboxError) -> UInt64 {
        for option in options.split(separator: ",") where option.hasPrefix("size=") {
            var digits = option.dropFirst(5)
            var unit: UInt64 = 1
            switch digits.last {
            case "k"?, "K"?: unit = 1 << 10
            case "m"?, "M"?: unit = 1 << 20
            case "g"?, "G"?: unit = 1 << 30
            default: break
            }
            if unit != 1 { digits = digits.dropLast() }
            if let value = UInt64(digits) { return value * unit }
        }
        throw .launcherRefused(request: "spawn", errno: EINVAL, reason: "tmpfs options '\(options)' have no size=BYTES")
    }
}
