import CSandbox
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's end of hearth-launcher, the privileged process that makes, signals and reaps
/// sandboxes (Sources/hearth-launcher). Started once, while hearthd is still root; from then on
/// every sandbox, cgroup write and code-tree clone is a request over a SOCK_SEQPACKET
/// socketpair, each answered once and matched here by tag. One thread of its own reads the
/// socket: answers wake their caller, exit events resolve the sandbox's `reap()`.
public final class Launcher: @unchecked Sendable {
    /// What the launcher is started with; every request is checked against it there.
    public struct Options: Sendable {
        public var packages: String
        public var allowedRoots: [String]
        public var uidRange: ClosedRange<UInt32>
        public var maxMemory: Int
        public var maxPids: Int
        public var maxMillicpu: Int
        public var maxTmp: Int
        public var maxCode: Int
        /// The daemon's own user, which must own none of the allowed roots.
        public var daemonUID: uid_t?

        public init(packages: String, allowedRoots: [String], uidRange: ClosedRange<UInt32>, maxMemory: Int, maxPids: Int,
                    maxMillicpu: Int, maxTmp: Int, maxCode: Int, daemonUID: uid_t? = nil) {
            self.daemonUID = daemonUID
            self.packages = packages
            self.allowedRoots = allowedRoots
            self.uidRange = uidRange
            self.maxMemory = maxMemory
            self.maxPids = maxPids
            self.maxMillicpu = maxMillicpu
            self.maxTmp = maxTmp
            self.maxCode = maxCode
        }
    }

    public let pid: pid_t
    private let socket: Int32
    private let lock = NSLock()
    private var nextTag: UInt32 = 0
    /// Who gets each request's answer, by tag (nil: the launcher went away).
    private var pending: [UInt32: @Sendable (LauncherReply.Answer?) -> Void] = [:]
    private var exitWaiters: [UInt64: (LauncherReply.Ended) -> Void] = [:]
    private var ended: [UInt64: LauncherReply.Ended] = [:]
    private var gone: String?
    /// Filter indexes by profile, registered before the seal.
    private var filters: [ObjectIdentifier: UInt32] = [:]

    /// A blocked thread's place for its answer.
    private final class Waiter: @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        var answer: LauncherReply.Answer?
    }

    /// Starts hearth-launcher (found beside this executable, like hearth-init) with `options`,
    /// registers `profiles`' filters and seals its table. Call as root, before dropping
    /// privileges: the filters come from the operator's files, not from a request.
    public static func start(_ options: Options, profiles: [SeccompProfile]) throws(SandboxError) -> Launcher {
        let executable = try Sandbox.locateHelper("hearth-launcher")
        let initProgram = try Sandbox.locateHelper("hearth-init")
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw .launcher(problem: "socketpair: \(String(cString: strerror(errno)))")
        }
        let theirs: Int32 = 3
        var arguments = [executable, "--socket-fd", "\(theirs)", "--init", initProgram, "--packages", options.packages,
                         "--uid-range", "\(options.uidRange.lowerBound):\(options.uidRange.count)",
                         "--max-memory", "\(options.maxMemory)", "--max-pids", "\(options.maxPids)",
                         "--max-millicpu", "\(options.maxMillicpu)", "--max-tmp", "\(options.maxTmp)", "--max-code", "\(options.maxCode)"]
        for root in options.allowedRoots { arguments += ["--allow", root] }
        if let uid = options.daemonUID { arguments += ["--daemon-uid", "\(uid)"] }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 onto 3 clears close-on-exec there; every other descriptor of ours stays behind
        // (the launcher closes whatever else it finds).
        posix_spawn_file_actions_adddup2(&actions, pair[1], theirs)
        var pid: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let environment: [UnsafeMutablePointer<CChar>?] = [strdup("PATH=/usr/sbin:/usr/bin:/sbin:/bin"), nil]
        defer { environment.forEach { free($0) } }
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, environment)
        close(pair[1])
        guard rc == 0 else {
            close(pair[0])
            throw .launcher(problem: "cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        let launcher = Launcher(pid: pid, socket: pair[0])
        launcher.startReading()
        for profile in profiles {
            let answer = try launcher.call(HL_REGISTER_FILTER, body: profile.program.registration, name: "register filter")
            launcher.lock.withLock { launcher.filters[ObjectIdentifier(profile)] = UInt32(answer.id) }
        }
        _ = try launcher.call(HL_SEAL, body: [], name: "seal")
        return launcher
    }

    /// Where a re-exec'd hearthd finds the launcher its root phase started: "FD:PID".
    public static let handOverVariable = "HEARTH_LAUNCHER"

    /// The root phase's last step, after `DaemonUser.become()`: execs hearthd itself (`executable`,
    /// resolved while still root) with the same arguments, the socket kept open across the exec
    /// and named in the environment. Returns only by throwing.
    public func handOver(executable: String, environment extra: [String: String] = [:]) throws(SandboxError) -> Never {
        guard fcntl(socket, F_SETFD, 0) == 0 else { throw .launcher(problem: "cannot keep the launcher's socket: \(String(cString: strerror(errno)))") }
        var environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        environment[Self.handOverVariable] = "\(socket):\(pid)"
        let argv = CommandLine.arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        let rc = hearth_exec_fresh(executable, argv, envp)
        throw .launcher(problem: "cannot exec \(executable) as the daemon's user: \(String(cString: strerror(-rc)))")
    }

    /// The launcher a root phase handed over (see `handOver`), or nil when there is none. Its
    /// filters were registered in the order of `profiles`, which must be the same.
    public static func inherited(profiles: [SeccompProfile]) throws(SandboxError) -> Launcher? {
        guard let value = ProcessInfo.processInfo.environment[handOverVariable] else { return nil }
        unsetenv(handOverVariable)
        // Only the image the root phase exec'd as the daemon's user adopts a launcher. A root
        // hearthd that found the variable set (an environment it was started with) would serve
        // the network as root; it goes through its own root phase instead.
        if geteuid() == 0 || getuid() == 0 { return nil }
        let parts = value.split(separator: ":")
        var type: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard parts.count == 2, let fd = Int32(parts[0]), let pid = pid_t(parts[1]), fd > 2,
              getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0, type == Int32(SOCK_SEQPACKET.rawValue) else {
            throw .launcher(problem: "\(handOverVariable)=\(value) does not name the launcher's socket")
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let launcher = Launcher(pid: pid, socket: fd)
        for (index, profile) in profiles.enumerated() { launcher.filters[ObjectIdentifier(profile)] = UInt32(index) }
        launcher.startReading()
        return launcher
    }

    private init(pid: pid_t, socket: Int32) {
        self.pid = pid
        self.socket = socket
    }

    func filterIndex(_ profile: SeccompProfile?) throws(SandboxError) -> UInt32 {
        guard let profile, let index = lock.withLock({ filters[ObjectIdentifier(profile)] }) else {
            throw .launcherRefused(request: "spawn", errno: EINVAL, reason: "the profile \(profile?.name ?? "none") was not registered with the launcher at start-up")
        }
        return index
    }

    /// Sends one request and blocks the thread until its answer (matched by tag: a spawn is
    /// answered once its child exec'd, a few milliseconds, and other requests are answered
    /// meanwhile); for the spawn thread. A non-zero error is thrown, with the launcher's reason.
    @discardableResult
    func call(_ type: hl_request, body: [UInt8], fds: [Int32] = [], name: String) throws(SandboxError) -> LauncherReply.Answer {
        let waiter = Waiter()
        if let problem = submit(type, body: body, fds: fds, { answer in
            waiter.answer = answer
            waiter.done.signal()
        }) {
            throw .launcher(problem: problem)
        }
        waiter.done.wait()
        return try checked(waiter.answer, name: name)
    }

    /// The same, suspending instead of blocking: for the pool's actor, which must not stall
    /// every other call for a round trip.
    @discardableResult
    func request(_ type: hl_request, body: [UInt8], fds: [Int32] = [], name: String) async throws(SandboxError) -> LauncherReply.Answer {
        let answer: LauncherReply.Answer?
        do {
            answer = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<LauncherReply.Answer?, any Error>) in
                if let problem = submit(type, body: body, fds: fds, { continuation.resume(returning: $0) }) {
                    continuation.resume(throwing: SandboxError.launcher(problem: problem))
                }
            }
        } catch let error as SandboxError {
            throw error
        } catch {
            throw .launcher(problem: "\(error)")
        }
        return try checked(answer, name: name)
    }

    /// Registers `deliver` for the request's answer and sends it; the problem if it cannot be
    /// sent (`deliver` is then never called).
    private func submit(_ type: hl_request, body: [UInt8], fds: [Int32], _ deliver: @escaping @Sendable (LauncherReply.Answer?) -> Void) -> String? {
        let (tag, problem) = lock.withLock { () -> (UInt32, String?) in
            if let gone { return (0, gone) }
            nextTag = nextTag == UInt32.max ? 1 : nextTag + 1
            pending[nextTag] = deliver
            return (nextTag, nil)
        }
        if let problem { return problem }
        let sent = send(LauncherRecord.packet(type: Int32(type.rawValue), tag: tag, body: body), fds: fds)
        guard sent != 0 else { return nil }
        return lock.withLock { pending.removeValue(forKey: tag) } == nil
            ? nil  // the reader already delivered (shut down meanwhile)
            : "cannot send to the launcher: \(String(cString: strerror(sent)))"
    }

    private func checked(_ answer: LauncherReply.Answer?, name: String) throws(SandboxError) -> LauncherReply.Answer {
        guard let answer else { throw .launcher(problem: lock.withLock { gone } ?? "the launcher went away") }
        guard answer.error == 0 else {
            if answer.step != 0 {
                throw .spawn(step: SandboxError.Step(hearth_step(rawValue: answer.step)), errno: answer.error)
            }
            throw .launcherRefused(request: name, errno: answer.error, reason: answer.reason)
        }
        return answer
    }

    /// Sends without waiting for the answer (which the reader then drops): for a kill, which
    /// must not hold the pool's actor and whose only failure is a sandbox already gone.
    func post(_ type: hl_request, body: [UInt8]) {
        let tag = lock.withLock { () -> UInt32? in
            guard gone == nil else { return nil }
            nextTag = nextTag == UInt32.max ? 1 : nextTag + 1
            return nextTag
        }
        guard let tag else { return }
        _ = send(LauncherRecord.packet(type: Int32(type.rawValue), tag: tag, body: body), fds: [])
    }

    /// Calls `handler` once, when the sandbox `id` ended (at once if it already has).
    func whenEnded(_ id: UInt64, _ handler: @escaping (LauncherReply.Ended) -> Void) {
        let already = lock.withLock { () -> LauncherReply.Ended? in
            if let done = ended.removeValue(forKey: id) { return done }
            if gone != nil { return LauncherReply.Ended(id: id, exited: false, status: SIGKILL, outOfMemory: false, peakMemory: -1) }
            exitWaiters[id] = handler
            return nil
        }
        if let already { handler(already) }
    }

    /// 0 or the errno of sendmsg. One packet: SEQPACKET keeps it whole, and sends from several
    /// threads never interleave within one.
    private func send(_ packet: [UInt8], fds: [Int32]) -> Int32 {
        let rc = packet.withUnsafeBytes { bytes in
            fds.withUnsafeBufferPointer { fdBuffer in
                hearth_send_record(socket, bytes.baseAddress, bytes.count, fdBuffer.baseAddress, Int32(fds.count))
            }
        }
        return rc < 0 ? -rc : 0
    }

    private func startReading() {
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: Int(HL_MAX_RECORD))
            var received = [Int32](repeating: -1, count: Int(HL_MAX_FDS))
            while true {
                var fdCount: Int32 = 0
                let n = buffer.withUnsafeMutableBytes { bytes in
                    received.withUnsafeMutableBufferPointer { fds in
                        hearth_receive_record(socket, bytes.baseAddress, bytes.count, fds.baseAddress, Int32(HL_MAX_FDS), &fdCount, nil)
                    }
                }
                if n <= 0 {
                    let why = n == 0 ? "the launcher exited" : "reading from the launcher: \(String(cString: strerror(Int32(-n))))"
                    shutDown(why)
                    return
                }
                let fds = Array(received.prefix(Int(fdCount)))
                let reply = buffer.withUnsafeBytes { LauncherReply(UnsafeRawBufferPointer(rebasing: $0.prefix(Int(n))), fds: fds) }
                switch reply {
                case .answer(let answer)?:
                    if let deliver = lock.withLock({ pending.removeValue(forKey: answer.tag) }) {
                        deliver(answer)
                    } else {
                        fds.forEach { close($0) }  // a posted kill's answer
                    }
                case .ended(let end)?:
                    let handler = lock.withLock { () -> ((LauncherReply.Ended) -> Void)? in
                        if let handler = exitWaiters.removeValue(forKey: end.id) { return handler }
                        ended[end.id] = end
                        return nil
                    }
                    handler?(end)
                case nil:
                    fds.forEach { close($0) }
                }
            }
        }
    }

    /// The launcher is gone (and with it, by their parent-death signal, every sandbox it made):
    /// every waiter learns it now, and every later request is refused with `why`.
    private func shutDown(_ why: String) {
        let (waiters, handlers) = lock.withLock { () -> ([@Sendable (LauncherReply.Answer?) -> Void], [UInt64: (LauncherReply.Ended) -> Void]) in
            gone = why
            let result = (Array(pending.values), exitWaiters)
            pending = [:]
            exitWaiters = [:]
            return result
        }
        for deliver in waiters { deliver(nil) }
        for (id, handler) in handlers {
            handler(LauncherReply.Ended(id: id, exited: false, status: SIGKILL, outOfMemory: false, peakMemory: -1))
        }
    }

    /// Closes the daemon's end: the launcher kills every sandbox it made, removes their cgroups
    /// and exits. Waits (bounded) for it to go.
    public func stop(timeout: Duration = .seconds(10)) {
        // shutdown, not close: the reading thread is inside recvmsg on this socket, which
        // keeps it open past a close(); shutdown ends that read and tells the launcher at once.
        shutdown(socket, Int32(SHUT_RDWR))
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            let rc = waitpid(pid, &status, WNOHANG)
            if rc == pid || (rc < 0 && errno != EINTR) { return }
            usleep(10_000)
        }
    }
}
