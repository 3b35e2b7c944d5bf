import Foundation
import HearthCore
import HearthSandbox

#if canImport(Glibc)
import Glibc
#endif

/// One runtime process in its own sandbox. Generic until `load` binds it to one function
/// version of one project, for good: a worker is never reused across projects or versions.
///
/// Its mutable state belongs to the pool actor, which is the only caller.
public final class Worker: @unchecked Sendable {
    public let id: String
    public let runtimeID: String
    /// Takes its code and each call's output as descriptors (WorkerTemplate.descriptors).
    let descriptors: Bool
    let process: SandboxedProcess
    let channel: WorkerChannel
    /// The limits last written to its cgroup; rewriting five files per call is not free.
    var appliedLimits: CgroupLimits?
    /// The execution it is running, while it runs one.
    var executionID: String?
    /// Set when that execution is stopped on purpose, so that its end is not taken for a crash.
    var interruption: Interruption?

    enum Interruption {
        /// The execution was deleted.
        case cancelled
        /// hearthd was stopping and the drain time (seconds) ran out.
        case drainEnded(seconds: Double)
    }

    init(id: String, runtimeID: String, descriptors: Bool, process: SandboxedProcess, channel: WorkerChannel) {
        self.id = id
        self.runtimeID = runtimeID
        self.descriptors = descriptors
        self.process = process
        self.channel = channel
    }

    public var pid: pid_t { process.pid }

    /// Starts a worker and waits for its `hello`. The sandbox is made on the spawn thread
    /// (it blocks for milliseconds), never on the cooperative pool.
    static func start(id: String, template: WorkerTemplate, sandbox: Sandbox, profile: SeccompProfile, settings: PoolSettings) async throws -> Worker {
        var control: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &control) == 0 else {
            throw PoolError.workerStartFailed("socketpair: \(String(cString: strerror(errno)))")
        }
        let output: [Int32]
        do {
            let ends = try closedOnExecPipe()
            output = [ends.read, ends.write]
        } catch {
            close(control[0]); close(control[1])
            throw error
        }
        let (theirControl, theirOutput) = (control[1], output[1])
        let spec = template.sandboxSpec(limits: CgroupLimits(memory: settings.genericMemory, pids: settings.pidsLimit, millicpu: 1000), settings: settings, profile: profile)
        let spawned: Result<SandboxedProcess, SandboxError> = await SpawnThread.shared.run {
            Result { () throws(SandboxError) in
                try sandbox.spawn(spec, stdout: theirOutput, stderr: theirOutput, control: theirControl)
            }
        }
        close(control[1])
        close(output[1])
        let process: SandboxedProcess
        switch spawned {
        case .success(let p): process = p
        case .failure(let error):
            close(control[0]); close(output[0])
            throw PoolError.workerStartFailed(error.description)
        }
        let channel: WorkerChannel
        do {
            // The pool stopped while the sandbox was being made (the spawn itself cannot be
            // interrupted): it is killed as soon as it is there.
            try Task.checkCancellation()
            channel = try WorkerChannel(control: control[0], output: output[0])
        } catch {
            if error is CancellationError { close(control[0]); close(output[0]) }
            process.kill()
            _ = await process.reap()
            throw error is CancellationError ? PoolError.stopping : error
        }
        let worker = Worker(id: id, runtimeID: template.runtimeID, descriptors: template.descriptors, process: process, channel: channel)
        let log = LogCapture(limit: 16 << 10)
        // A stop does not wait for a slow runtime's hello: closing the channel ends the wait.
        let hello = await withTaskCancellationHandler {
            await worker.channel.exchange(nil, deadline: .now + .seconds(settings.startTimeout), log: log)
        } onCancel: {
            channel.close()
        }
        if Task.isCancelled {
            await worker.stop()
            throw PoolError.stopping
        }
        guard case .frame(let frame) = hello, frame.type == "hello" else {
            let exit = await worker.stop(grace: hello.isClosed ? Worker.exitGrace : nil)
            let said = log.text.trimmingCharacters(in: .whitespacesAndNewlines)
            throw PoolError.workerStartFailed("the worker did not start (\(hello.summary); it \(exit.termination.description))\(said.isEmpty ? "" : ": \(said.suffix(2000))")")
        }
        return worker
    }

    private let stopLock = NSLock()
    private var stopping: Task<SandboxedProcess.Exit, Never>?

    /// Kills the sandbox (if still running) and waits for it, freeing its uid and cgroup.
    /// Any number of callers get the one result.
    ///
    /// `grace` is for a worker that was seen to end (its socket closed): its init passes on
    /// how the worker ended and leaves by itself a moment later, and killing it first would
    /// report every exit as SIGKILL. A worker that only closed its socket is killed after it.
    @discardableResult
    func stop(grace: Duration? = nil) async -> SandboxedProcess.Exit {
        let task = stopLock.withLock {
            if let stopping { return stopping }
            let task = Task { [process, channel] in
                channel.close()
                guard let grace else {
                    process.kill()
                    return await process.reap()
                }
                let killer = Task {
                    try await Task.sleep(for: grace)
                    process.kill()
                }
                let exit = await process.reap()
                killer.cancel()
                return exit
            }
            stopping = task
            return task
        }
        return await task.value
    }
}

extension Worker {
    /// How long a worker that closed its socket has to be seen ending by its init.
    static let exitGrace = Duration.milliseconds(250)
}

extension WorkerChannel.Outcome {
    var isClosed: Bool {
        if case .closed = self { return true }
        return false
    }

    var summary: String {
        switch self {
        case .frame(let frame): return "unexpected '\(frame.type ?? "?")' message"
        case .timedOut: return "no hello in time"
        case .closed: return "it closed its socket"
        case .violation(let violation): return "protocol error: \(violation)"
        }
    }

    /// What broke the protocol in an answer: a refused frame, or a frame of the wrong type.
    var violationDetail: String {
        switch self {
        case .violation(let violation): return "\(violation)"
        case .frame(let frame): return "a '\(frame.type ?? "?")' message where a result was due"
        case .timedOut, .closed: return summary
        }
    }
}
