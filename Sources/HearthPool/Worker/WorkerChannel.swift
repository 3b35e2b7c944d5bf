import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's side of one worker's fds: the control socket (frames, and descriptors sent
/// with them), the worker's own output pipe (its stdout and stderr for its whole life) and,
/// during a call, that call's output pipe.
///
/// One thread per worker polls them all. That makes log attribution exact: a worker is done
/// writing before it sends `result`, so when the frame arrives everything printed during the
/// call is already in a pipe, and draining it then collects all of it. A runtime that takes
/// descriptors writes a call's output to the call's own pipe, so nothing a function leaves
/// running can write into a later call's log; one that does not writes everything to its own
/// pipe, which then counts for the call in progress. Between calls the thread keeps reading
/// (and discards) output of anything the function left running, so such a process can never
/// block on a full pipe.
final class WorkerChannel: @unchecked Sendable {
    enum Outcome: Sendable {
        case frame(WorkerFrame)
        /// The deadline passed before a frame arrived.
        case timedOut
        /// The worker closed the socket or died.
        case closed
        case violation(ProtocolViolation)
    }

    private struct Exchange {
        var outbound: [UInt8]
        /// Descriptors sent with the frame's first bytes; closed here once sent (or not).
        var attachments: [Int32]
        /// The read end of the call's own output pipe, owned here until the exchange ends.
        var callOutput: Int32?
        var deadline: ContinuousClock.Instant?
        var log: LogCapture?
        var continuation: CheckedContinuation<Outcome, Never>

        func closeDescriptors() {
            for fd in attachments { Glibc.close(fd) }
            if let callOutput { Glibc.close(callOutput) }
        }
    }

    private let control: Int32
    private let output: Int32
    /// A self-pipe: a byte written to `wakeWrite` interrupts the thread's poll.
    private let wake: Int32
    private let wakeWrite: Int32
    private let lock = NSLock()
    private var pending: Exchange?
    private var closing = false
    /// Set by the I/O thread when it exits and closes the fds: nothing may touch them after.
    private var finished = false
    /// Called once, from the I/O thread, if the worker goes away (or misbehaves) between exchanges.
    private var onIdleClose: (@Sendable () -> Void)?
    private var closedWhileIdle = false

    /// Registers what to do when the worker dies while idle (killed, crashed, or writing to
    /// its control socket unasked). Runs at once if that already happened.
    func whenClosedWhileIdle(_ action: @escaping @Sendable () -> Void) {
        lock.lock()
        let already = closedWhileIdle && !closing
        onIdleClose = already ? nil : action
        lock.unlock()
        if already { action() }
    }

    /// Takes ownership of both fds.
    init(control: Int32, output: Int32) throws {
        do {
            (wake, wakeWrite) = try closedOnExecPipe()
        } catch {
            Glibc.close(control)
            Glibc.close(output)
            throw error
        }
        self.control = control
        self.output = output
        for fd in [control, output, wake, wakeWrite] {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        let thread = Thread { [self] in run() }
        thread.name = "hearth-worker-io"
        thread.stackSize = 256 << 10
        thread.start()
    }

    /// Sends `frame` (if any) with `attachments` and waits for the worker's next frame,
    /// capturing its output meanwhile into `log`: what arrives on `callOutput` if given, else
    /// what the worker writes to its own pipe. Takes ownership of every descriptor passed.
    /// One exchange at a time.
    func exchange(
        _ frame: WorkerFrame?, attachments: [Int32] = [], callOutput: Int32? = nil,
        deadline: ContinuousClock.Instant?, log: LogCapture?
    ) async -> Outcome {
        if let callOutput { _ = fcntl(callOutput, F_SETFL, fcntl(callOutput, F_GETFL) | O_NONBLOCK) }
        return await withCheckedContinuation { continuation in
            let exchange = Exchange(
                outbound: frame?.encoded() ?? [], attachments: attachments, callOutput: callOutput,
                deadline: deadline, log: log, continuation: continuation
            )
            lock.lock()
            precondition(pending == nil, "one exchange at a time per worker")
            if closing {
                lock.unlock()
                exchange.closeDescriptors()
                continuation.resume(returning: .closed)
                return
            }
            pending = exchange
            signalLocked()
            lock.unlock()
        }
    }

    /// Stops the thread and closes the fds; a pending exchange ends as `.closed`. Idempotent.
    func close() {
        lock.lock()
        closing = true
        onIdleClose = nil  // breaks the worker → channel → closure → worker cycle
        signalLocked()
        lock.unlock()
    }

    /// Wakes the I/O thread. Under the lock, so that it never writes to a closed (and perhaps
    /// reused) fd number.
    private func signalLocked() {
        guard !finished else { return }
        var one: UInt8 = 1
        _ = Glibc.write(wakeWrite, &one, 1)
    }

    // MARK: - The I/O thread

    private func run() {
        var inbound = FrameDecoder(maximumSize: WorkerFrame.maximumFromWorker)
        /// What the decoder refused, kept until an exchange can report it.
        var violation: ProtocolViolation?
        var readBuffer = [UInt8](repeating: 0, count: 65_536)
        var current: Exchange?
        var written = 0
        var fds = [pollfd(fd: wake, events: Int16(POLLIN), revents: 0), pollfd(fd: output, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: control, events: Int16(POLLIN), revents: 0), pollfd(fd: -1, events: Int16(POLLIN), revents: 0)]
        var outputOpen = true
        var controlOpen = true
        /// Whether the current exchange's call output pipe still has a writer.
        var callOutputOpen = false

        /// Reads what `fd` holds now into `log`; false once it reached end-of-file or failed.
        func drain(_ fd: Int32, into log: LogCapture?) -> Bool {
            while true {
                let n = readBuffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    readBuffer.withUnsafeBytes { log?.append(UnsafeRawBufferPointer(rebasing: $0.prefix(n))) }
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    return n < 0 && errno == EAGAIN
                }
            }
        }

        /// The worker's own pipe counts for the call only when the call has no pipe of its own.
        func drainOutput() {
            if outputOpen { outputOpen = drain(output, into: current?.callOutput == nil ? current?.log : nil) }
        }

        func finish(_ outcome: Outcome) {
            guard let exchange = current else { return }
            current = nil
            // The worker wrote the call's last bytes before its answer; whatever a process it
            // left behind writes later is not this call's and, with the pipe closed, not anyone's.
            if let fd = exchange.callOutput, callOutputOpen { _ = drain(fd, into: exchange.log) }
            // Nothing the worker sent outlives the exchange. More than its one answer (or a
            // partial frame, after a timeout) means it is done for.
            if inbound.bufferedCount > 0 { controlOpen = false }
            inbound.reset()
            exchange.closeDescriptors()
            exchange.continuation.resume(returning: outcome)
        }

        /// Reads what the control socket holds now, up to a whole frame; end-of-file marks it
        /// closed, and so does a frame the decoder refuses (at its length field).
        func readControl() {
            while controlOpen, !inbound.hasFrame {
                let n = readBuffer.withUnsafeMutableBytes { read(control, $0.baseAddress, $0.count) }
                if n > 0 {
                    violation = readBuffer.withUnsafeBytes { bytes -> ProtocolViolation? in
                        do throws(ProtocolViolation) {
                            try inbound.feed(UnsafeRawBufferPointer(rebasing: bytes.prefix(n)))
                            return nil
                        } catch {
                            return error
                        }
                    }
                    if violation != nil { controlOpen = false }
                } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                    controlOpen = false
                } else if errno == EAGAIN {
                    return
                }
            }
        }

        var reportedIdleClose = false
        /// The hello may arrive before anyone asks for it; after it, the worker only answers.
        var greeted = false
        /// Completes the current exchange if its answer (or the end of the worker) is here.
        func deliver() {
            guard current != nil else {
                // Between exchanges the worker has nothing to say: bytes now come from the
                // function (fd 3 is in its process) and would otherwise pile up in the
                // daemon or be taken as the next call's answer. The worker is done for.
                if greeted && (inbound.bufferedCount > 0 || inbound.hasFrame || violation != nil) {
                    inbound.reset()
                    violation = nil
                    controlOpen = false
                }
                if !controlOpen && !reportedIdleClose {
                    reportedIdleClose = true
                    lock.lock()
                    closedWhileIdle = true
                    let action = closing ? nil : onIdleClose
                    lock.unlock()
                    action?()
                }
                return
            }
            do throws(ProtocolViolation) {
                if let violation {
                    throw violation
                } else if let frame = try inbound.next() {
                    drainOutput()
                    greeted = true
                    finish(.frame(frame))
                } else if !controlOpen {
                    drainOutput()
                    finish(.closed)
                }
            } catch {
                violation = nil
                controlOpen = false
                drainOutput()
                finish(.violation(error))
            }
        }

        while true {
            lock.lock()
            if closing {
                lock.unlock()
                break
            }
            if current == nil, let next = pending {
                pending = nil
                current = next
                written = 0
                callOutputOpen = next.callOutput != nil
                if greeted, inbound.bufferedCount > 0 || violation != nil {
                    // Left over from before this exchange was asked for: not its answer.
                    inbound.reset()
                    violation = nil
                    controlOpen = false
                }
            }
            lock.unlock()
            deliver()

            let wantsWrite = current.map { written < $0.outbound.count } ?? false
            fds[1].fd = outputOpen ? output : -1
            // A whole frame no one has asked for yet (an early hello) waits; until it is
            // taken there is nothing more to read.
            fds[2].fd = controlOpen && !inbound.hasFrame ? control : -1
            fds[2].events = Int16(POLLIN) | (wantsWrite ? Int16(POLLOUT) : 0)
            fds[3].fd = callOutputOpen ? current?.callOutput ?? -1 : -1
            var timeout: Int32 = -1
            if let deadline = current?.deadline {
                let remaining = ContinuousClock.now.duration(to: deadline)
                if remaining <= .zero {
                    drainOutput()
                    finish(.timedOut)
                    continue
                }
                let (seconds, attoseconds) = remaining.components
                timeout = Int32(min(seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1, Int64(Int32.max)))
            }
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                lock.lock()
                closing = true
                lock.unlock()
                break
            }
            if fds[0].revents != 0 {
                var drained = [UInt8](repeating: 0, count: 64)
                _ = read(wake, &drained, drained.count)
            }
            if fds[1].revents != 0 { drainOutput() }
            if fds[3].revents != 0, let exchange = current, let fd = exchange.callOutput {
                callOutputOpen = drain(fd, into: exchange.log)
            }
            if fds[2].revents & Int16(POLLOUT) != 0, let exchange = current, written < exchange.outbound.count {
                let n = exchange.outbound.withUnsafeBytes { bytes in
                    written == 0 && !exchange.attachments.isEmpty
                        ? Self.sendAttaching(exchange.attachments, control, bytes)
                        : Glibc.send(control, bytes.baseAddress! + written, bytes.count - written, Int32(MSG_NOSIGNAL))
                }
                if n > 0 {
                    if written == 0 {
                        // The worker holds its copies now; ours would keep a call's pipe open.
                        for fd in exchange.attachments { Glibc.close(fd) }
                        current?.attachments = []
                    }
                    written += n
                } else if n < 0 && errno != EAGAIN && errno != EINTR {
                    controlOpen = false
                    drainOutput()
                    finish(.closed)
                }
            }
            if fds[2].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                readControl()
            }
            deliver()
        }
        finish(.closed)
        lock.lock()
        let leftover = pending
        pending = nil
        finished = true
        onIdleClose = nil
        Glibc.close(control)
        Glibc.close(output)
        Glibc.close(wake)
        Glibc.close(wakeWrite)
        lock.unlock()
        leftover?.closeDescriptors()
        leftover?.continuation.resume(returning: .closed)
    }

    /// Sends the start of a frame with descriptors (SCM_RIGHTS) riding on its first byte.
    private static func sendAttaching(_ fds: [Int32], _ socket: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        let payload = fds.count * MemoryLayout<Int32>.size
        let space = Int(CMSG_SPACE_(payload))
        let control = UnsafeMutableRawPointer.allocate(byteCount: space, alignment: MemoryLayout<cmsghdr>.alignment)
        defer { control.deallocate() }
        control.initializeMemory(as: UInt8.self, repeating: 0, count: space)
        let header = control.assumingMemoryBound(to: cmsghdr.self)
        header.pointee.cmsg_level = SOL_SOCKET
        header.pointee.cmsg_type = Int32(SCM_RIGHTS)
        header.pointee.cmsg_len = Int(CMSG_LEN_(payload))
        fds.withUnsafeBytes { (control + MemoryLayout<cmsghdr>.stride).copyMemory(from: $0.baseAddress!, byteCount: payload) }
        var vector = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
        return withUnsafeMutablePointer(to: &vector) { vector in
            var message = msghdr()
            message.msg_iov = vector
            message.msg_iovlen = 1
            message.msg_control = control
            message.msg_controllen = space
            return sendmsg(socket, &message, Int32(MSG_NOSIGNAL))
        }
    }
}

/// CMSG_SPACE and CMSG_LEN are macros Swift cannot import.
private func CMSG_ALIGN_(_ length: Int) -> Int {
    (length + MemoryLayout<Int>.size - 1) & ~(MemoryLayout<Int>.size - 1)
}

private func CMSG_SPACE_(_ length: Int) -> Int {
    CMSG_ALIGN_(MemoryLayout<cmsghdr>.size) + CMSG_ALIGN_(length)
}

private func CMSG_LEN_(_ length: Int) -> Int {
    CMSG_ALIGN_(MemoryLayout<cmsghdr>.size) + length
}
