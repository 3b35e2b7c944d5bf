import Foundation
import HearthCore
import HearthSandbox
import Logging

/// Running calls: a worker for each (idle, else specialised, else a place in the queue),
/// and what happens to it afterwards.
extension WorkerPool {
    /// Runs one call on a worker of its function version, specialising one if needed.
    public func invoke(_ request: InvocationRequest) async throws -> InvocationResult {
        let acquired = try await acquire(request)
        let worker = acquired.worker
        worker.executionID = request.executionID
        inCall[acquired.number] = worker
        defer { inCall[acquired.number] = nil }
        await request.onStart?()
        let log = request.log ?? LogCapture(limit: settings.logLimit)
        var result = try await call(acquired, request, log: log)
        switch worker.interruption {
        case .cancelled?:
            result.failure = .cancelled
            result.output = .string("Function execution was stopped: the execution was deleted.")
        case .drainEnded(let seconds)? where !result.succeeded:
            result.failure = .interrupted
            result.output = .string("Function execution was stopped: hearthd was stopping and its drain time (drain_seconds: \(seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)) s) ran out before the call ended.")
        case .drainEnded?, nil:
            break
        }
        return result
    }

    /// Stops the call running an execution by killing its worker; false if none runs it.
    public func cancel(executionID: String) async -> Bool {
        guard let worker = inCall.values.first(where: { $0.executionID == executionID }) else { return false }
        worker.interruption = .cancelled
        await worker.stop()
        return true
    }

    private func call(_ acquired: Acquired, _ request: InvocationRequest, log: LogCapture) async throws -> InvocationResult {
        let (worker, cold) = (acquired.worker, acquired.cold)
        if cold {
            if let failure = await load(acquired, request, log: log) { return failure }
        }
        // After the load, not during it: the code loads with the generic worker's CPU and
        // memory, not a tenth of a core.
        if worker.appliedLimits != request.limits {
            do {
                try await worker.process.cgroup.apply(request.limits)
                worker.appliedLimits = request.limits
            } catch {
                await discard(acquired)
                // Stopped meanwhile (deleted, or the drain ended): `invoke` says which.
                if worker.interruption != nil {
                    return InvocationResult(failure: .crashed, output: .string("Function execution was stopped before it started."), duration: 0, log: log.text, cold: cold, workerID: worker.id)
                }
                throw PoolError.workerStartFailed("the function's limits could not be applied: \(error)")
            }
        }
        // The timeout covers the call, not the specialisation before it.
        let started = ContinuousClock.now
        let header: [(key: String, value: JSONValue)] = [
            ("type", .string("invoke")), ("execution_id", .string(request.executionID)), ("input", request.input ?? .null),
            ("positional", .bool(request.positional)), ("timeout", .double(request.timeout)),
            ("function_id", .string(request.key.functionID)), ("version", .int(Int64(request.key.version))),
        ]
        var fields = header
        var attachments: [Int32] = []
        var callOutput: Int32?
        if worker.descriptors {
            // The call's own pipe, as its stdout and its stderr (one pipe, so that the two
            // interleave in order), on the worker's fds 1 and 2 for the call only: the log is
            // exactly what was written during the call, whatever process wrote it.
            do {
                let ends = try closedOnExecPipe()
                let stderrEnd = fcntl(ends.write, F_DUPFD_CLOEXEC, 0)
                guard stderrEnd >= 0 else {
                    let code = errno
                    close(ends.read); close(ends.write)
                    throw PoolError.workerStartFailed("dup: \(String(cString: strerror(code)))")
                }
                (attachments, callOutput) = ([ends.write, stderrEnd], ends.read)
            } catch {
                release(acquired, healthy: true)
                throw error
            }
            fields.append(("fds", .int(2)))
        }
        let outcome = await worker.channel.exchange(
            WorkerFrame(header: .object(fields)), attachments: attachments, callOutput: callOutput,
            deadline: started + .seconds(request.timeout), log: log
        )
        let elapsed = (ContinuousClock.now - started).seconds
        switch outcome {
        case .frame(let frame) where frame.type == "result":
            release(acquired, healthy: true)
            let ok = frame.header["ok"] == .bool(true)
            let duration: Double
            switch frame.header["duration"] {
            case .double(let d)?: duration = d
            case .int(let i)?: duration = Double(i)
            default: duration = elapsed
            }
            let failure: InvocationResult.Failure? = ok ? nil : InvocationResult.Failure(workerErrorType: frame.header["error_type"]?.stringValue)
            return InvocationResult(failure: failure, output: frame.header["output"] ?? .null, duration: duration, log: log.text, cold: cold, workerID: worker.id)
        case .frame, .violation:
            // The function holds fd 3 too: what broke the protocol may be its own code, so the
            // user is told what arrived. The worker is replaced.
            let what = outcome.violationDetail
            logger.warning("worker broke the protocol", metadata: ["worker": "\(worker.id)", "function": "\(request.key)", "problem": "\(what)"])
            await discard(acquired)
            return InvocationResult(failure: .protocolError, output: .string("Function execution failed: the runtime broke its protocol (\(what))."), duration: elapsed, log: log.text, cold: cold, workerID: worker.id)
        case .timedOut:
            await discard(acquired)
            return InvocationResult(failure: .timeout, output: .string("Function execution timeout."), duration: elapsed, log: log.text, cold: cold, workerID: worker.id)
        case .closed:
            let exit = await discard(acquired, ended: true)
            // Only a limit is "resource consumption"; an exit or a signal is said as what it was.
            let (failure, message): (InvocationResult.Failure, String) = exit.outOfMemory
                ? (.outOfMemory, "Function execution failed because of too much resource consumption: out of memory (limit \(request.limits.memory) bytes).")
                : (.crashed, "Function execution failed: the worker \(exit.termination.description).")
            return InvocationResult(failure: failure, output: .string(message), duration: elapsed, log: log.text, cold: cold, workerID: worker.id)
        }
    }

    /// A worker for the call's function version: an idle one of its own, else a generic one
    /// to specialise (cold), else a wait in the version's queue (PoolState decides).
    func acquire(_ request: InvocationRequest) async throws -> Acquired {
        nextCall += 1
        let call = nextCall
        return try await withCheckedThrowingContinuation { continuation in
            callers[call] = continuation
            perform(.call(call, key: request.key, runtimeID: request.runtimeID, background: request.background, detachesSeen: request.detachesSeen))
        }
    }

    /// Specialises a worker; on failure the worker is discarded and the failure returned.
    func load(_ acquired: Acquired, _ request: InvocationRequest, log: LogCapture) async -> InvocationResult? {
        let worker = acquired.worker
        var header: [(key: String, value: JSONValue)] = [
            ("type", .string("load")), ("function_id", .string(request.key.functionID)), ("version", .int(Int64(request.key.version))),
        ]
        var blob: [UInt8] = []
        var attachments: [Int32] = []
        do {
            let bundle = try request.code.get()
            header += [("entry", .string(bundle.entry)), ("convention", .string(bundle.convention))]
            if !bundle.environment.isEmpty {
                header.append(("environment", .object(bundle.environment.map { (key: $0.name, value: .string($0.value)) })))
            }
            if worker.descriptors {
                attachments = [try await bundle.mount()]
                header.append(("fds", .int(1)))
            } else {
                // Off the actor: reading a big package must not stall every other call.
                let files: [JSONValue] = try await Self.read(bundle).map { file in
                    blob += file.bytes
                    return .object(["path": .string(file.path), "mode": .int(Int64(file.mode)), "size": .int(Int64(file.bytes.count))])
                }
                header.append(("files", .array(files)))
            }
        } catch {
            release(acquired, healthy: false)
            return InvocationResult(failure: .loadFailed, output: .string("\(error)"), duration: 0, log: log.text, cold: true, workerID: worker.id)
        }
        let outcome = await worker.channel.exchange(
            WorkerFrame(header: .object(header), blob: blob), attachments: attachments,
            deadline: .now + .seconds(max(request.timeout, 10)), log: log
        )
        if case .frame(let frame) = outcome, frame.type == "loaded", frame.header["ok"] == .bool(true) {
            return nil
        }
        await discard(acquired)
        var message = "Function code could not be loaded."
        if case .frame(let frame) = outcome, let error = frame.header["error"]?.stringValue { message = error }
        return InvocationResult(failure: .loadFailed, output: .string(message), duration: 0, log: log.text, cold: true, workerID: worker.id)
    }

    nonisolated private static func read(_ bundle: CodeBundle) async throws -> [CodeBundle.File] {
        try bundle.files()
    }

    func release(_ acquired: Acquired, healthy: Bool) {
        acquired.worker.executionID = nil
        perform(.release(acquired.number, healthy: healthy, now: .now))
    }

    /// Kills a worker that must not be reused and waits for its exit status; `ended`: it
    /// was seen to end by itself (its socket closed), so its status is worth waiting for.
    @discardableResult
    func discard(_ acquired: Acquired, ended: Bool = false) async -> SandboxedProcess.Exit {
        acquired.worker.executionID = nil
        live[acquired.number] = nil
        ending[acquired.number] = acquired.worker
        perform(.discard(acquired.number))
        defer { ending[acquired.number] = nil }
        return await acquired.worker.stop(grace: ended ? Worker.exitGrace : nil)
    }
}
