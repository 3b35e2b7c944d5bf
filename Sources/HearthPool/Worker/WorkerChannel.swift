import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's side of one worker's fds: the control socket (frames) and the output pipe
/// (the worker's stdout and stderr).
///
/// One thread per worker polls both. That makes log attribution exact: a worker flushes its
/// output before it sends `result`, so when the frame arrives everything printed during the
/// call is already in the pipe, and draining the pipe then collects all of it. Between calls
/// the thread keeps reading (and discards) output of anything the function left running, so
/// such a process can never block on a full pipe.
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
        var deadline: ContinuousClock.Instant?
        var log: LogCapture?
        var continuation: CheckedContinuation<Outcome, Never>
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
        var pair: [Int32] = [-1, -1]
        guard pipe(&pair) == 0 else {
            Glibc.close(control)
            Glibc.close(output)
            throw PoolError.workerStartFailed("pipe: \(String(cString: strerror(errno)))")
        }
        self.control = control
        self.output = output
        (wake, wakeWrite) = (pair[0], pair[1])
        for fd in [control, output, wake, wakeWrite] {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        let thread = Thread { [self] in run() }
        thread.name = "hearth-worker-io"
        thread.stackSize = 256 << 10
        thread.start()
    }

    /// Sends `frame` (if any) and waits for the worker's next frame, capturing its output
    /// meanwhile into `log`. One exchange at a time.
    func exchange(_ frame: WorkerFrame?, deadline: ContinuousClock.Instant?, log: LogCapture?) async -> Outcome {
        await withCheckedContinuation { continuation in
            lock.lock()
            precondition(pending == nil, "one exchange at a time per worker")
            if closing {
                lock.unlock()
                continuation.resume(returning: .closed)
                return
            }
            pending = Exchange(outbound: frame?.encoded() ?? [], deadline: deadline, log: log, continuation: continuation)
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
        var inbound: [UInt8] = []
        var readBuffer = [UInt8](repeating: 0, count: 65_536)
        var current: Exchange?
        var written = 0
        var fds = [pollfd(fd: wake, events: Int16(POLLIN), revents: 0), pollfd(fd: output, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: control, events: Int16(POLLIN), revents: 0)]
        var outputOpen = true
        var controlOpen = true

        func finish(_ outcome: Outcome) {
            guard let exchange = current else { return }
            current = nil
            exchange.continuation.resume(returning: outcome)
        }

        /// Reads what the output pipe holds now into the current log (or nowhere between calls).
        func drainOutput() {
            while outputOpen {
                let n = readBuffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
                if n > 0 {
                    readBuffer.withUnsafeBytes { current?.log?.append(UnsafeRawBufferPointer(rebasing: $0.prefix(n))) }
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    outputOpen = false
                } else if errno == EAGAIN {
                    return
                }
            }
        }

        /// Reads what the control socket holds now; end-of-file marks it closed.
        func readControl() {
            while controlOpen {
                let n = readBuffer.withUnsafeMutableBytes { read(control, $0.baseAddress, $0.count) }
                if n > 0 {
                    inbound.append(contentsOf: readBuffer[0..<n])
                    // A frame never exceeds maximumSize; more buffered is a worker gone wrong.
                    if inbound.count > WorkerFrame.maximumSize + 8 { return }
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
                if greeted && !inbound.isEmpty {
                    inbound = []
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
            do {
                if let frame = try WorkerFrame.take(from: &inbound) {
                    drainOutput()
                    greeted = true
                    finish(.frame(frame))
                } else if !controlOpen {
                    drainOutput()
                    finish(.closed)
                }
            } catch {
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
                if greeted, !inbound.isEmpty {
                    // Left over from before this exchange was asked for: not its answer.
                    inbound = []
                    controlOpen = false
                }
            }
            lock.unlock()
            deliver()

            let wantsWrite = current.map { written < $0.outbound.count } ?? false
            fds[1].fd = outputOpen ? output : -1
            fds[2].fd = controlOpen ? control : -1
            fds[2].events = Int16(POLLIN) | (wantsWrite ? Int16(POLLOUT) : 0)
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
            if fds[2].revents & Int16(POLLOUT) != 0, let exchange = current, written < exchange.outbound.count {
                let n = exchange.outbound.withUnsafeBytes { send(control, $0.baseAddress! + written, $0.count - written, Int32(MSG_NOSIGNAL)) }
                if n > 0 {
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
        leftover?.continuation.resume(returning: .closed)
    }
}
