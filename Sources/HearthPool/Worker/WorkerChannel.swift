import Foundation
import HearthSandbox
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's side of one worker's fds: the control socket (frames, and descriptors sent
/// with them), the worker's own output pipe (its stdout and stderr for its whole life) and,
/// during a call, that call's output pipe.
///
/// The one I/O loop (`WorkerIOLoop`) watches them all, for every worker; everything below
/// `MARK: - On the loop` runs on its thread, and only a call's first send is made by its
/// caller (`DirectSend`). Log attribution is exact: a worker is done
/// writing before it sends `result`, so when the frame arrives everything printed during the
/// call is already in a pipe, and draining it then collects all of it. A runtime that takes
/// descriptors writes a call's output to the call's own pipe, so nothing a function leaves
/// running can write into a later call's log; one that does not writes everything to its own
/// pipe, which then counts for the call in progress. Between calls the loop keeps reading
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

    /// A frame the caller sent itself, on its own thread, before the loop took the exchange:
    /// the worker starts on it without waiting for the loop to wake. The loop reads how much
    /// went (and closes the fds) under the same lock, so no send ever finds a closed, perhaps
    /// reused, descriptor number.
    private struct DirectSend {
        var open = true
        var sent: Int?
    }

    private let loop: WorkerIOLoop
    private let control: Int32
    private let output: Int32
    private let direct = Mutex(DirectSend())

    /// Guards the three below, which callers on any thread read or set.
    private let lock = NSLock()
    private var closing = false
    /// Called once, from the loop, if the worker goes away (or misbehaves) between exchanges.
    private var onIdleClose: (@Sendable () -> Void)?
    private var closedWhileIdle = false

    // The loop thread's own.
    /// Set once the fds are out of the loop's set and closed: nothing may touch them after.
    private var closed = false
    private var inbound = FrameDecoder(maximumSize: WorkerFrame.maximumFromWorker)
    /// What the decoder refused, kept until an exchange can report it.
    private var violation: ProtocolViolation?
    private var current: Exchange?
    private var timer: UInt64?
    private var written = 0
    private var outputOpen = true
    private var controlOpen = true
    /// Whether the current exchange's call output pipe still has a writer.
    private var callOutputOpen = false
    private var reportedIdleClose = false
    /// The hello may arrive before anyone asks for it; after it, the worker only answers.
    private var greeted = false
    private var controlWatch: WorkerIOLoop.Registration?
    private var outputWatch: WorkerIOLoop.Registration?
    private var callOutputWatch: WorkerIOLoop.Registration?

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
        switch WorkerIOLoop.shared {
        case .success(let loop): self.loop = loop
        case .failure(let error):
            Glibc.close(control)
            Glibc.close(output)
            throw error
        }
        self.control = control
        self.output = output
        for fd in [control, output] {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        loop.execute { [self] in settle() }
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
        let outbound = frame?.encoded() ?? []
        return await withCheckedContinuation { continuation in
            let exchange = Exchange(
                outbound: outbound, attachments: attachments, callOutput: callOutput,
                deadline: deadline, log: log, continuation: continuation
            )
            direct.withLock { direct in
                // Handed over before the frame is sent: the loop runs what it was handed
                // before it reads, so the answer always finds its exchange there.
                loop.execute { [self] in start(exchange) }
                guard direct.open, !outbound.isEmpty else { return }
                direct.sent = outbound.withUnsafeBytes { bytes in Descriptors.send(control, bytes, attaching: attachments) }
            }
        }
    }

    /// Closes the fds (on the loop, once they are out of its set); a pending exchange ends as
    /// `.closed`, and so does every later one. Idempotent.
    func close() {
        lock.lock()
        closing = true
        onIdleClose = nil  // breaks the worker → channel → closure → worker cycle
        lock.unlock()
        loop.execute { [self] in shutDown() }
    }

    // MARK: - On the loop

    private func start(_ exchange: Exchange) {
        let sent = direct.withLock { direct in
            defer { direct.sent = nil }
            return direct.sent
        }
        guard !closed else {
            exchange.closeDescriptors()
            exchange.continuation.resume(returning: .closed)
            return
        }
        precondition(current == nil, "one exchange at a time per worker")
        current = exchange
        written = 0
        if let sent, sent > 0 {
            // The worker holds its copies now; ours would keep a call's pipe open.
            written = sent
            for fd in exchange.attachments { Glibc.close(fd) }
            current?.attachments = []
        }
        callOutputOpen = exchange.callOutput != nil
        if greeted, inbound.bufferedCount > 0 || violation != nil {
            // Left over from before this exchange was asked for: not its answer.
            inbound.reset()
            violation = nil
            controlOpen = false
        }
        if let deadline = exchange.deadline {
            timer = loop.schedule(at: deadline) { [self] in
                timer = nil
                drainOutput()
                finish(.timedOut)
                settle()
            }
        }
        deliver()
        // What the caller could not send (the socket was full, or it failed: then again, to
        // see why), now, without a round through epoll.
        writeOutbound()
        settle()
    }

    private func shutDown() {
        guard !closed else { return }
        finish(.closed)
        closed = true
        updateInterest()
        direct.withLock { $0.open = false }
        Glibc.close(control)
        Glibc.close(output)
        inbound.reset()
        violation = nil
    }

    /// Reads what `fd` holds now into `log`; false once it reached end-of-file or failed.
    private func drain(_ fd: Int32, into log: LogCapture?) -> Bool {
        let buffer = loop.readBuffer
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n > 0 {
                log?.append(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return n < 0 && errno == EAGAIN
            }
        }
    }

    /// The worker's own pipe counts for the call only when the call has no pipe of its own.
    private func drainOutput() {
        if outputOpen { outputOpen = drain(output, into: current?.callOutput == nil ? current?.log : nil) }
    }

    private func finish(_ outcome: Outcome) {
        guard let exchange = current else { return }
        current = nil
        if let timer { loop.cancel(timer: timer) }
        timer = nil
        if let fd = exchange.callOutput {
            // The worker wrote the call's last bytes before its answer; whatever a process it
            // left behind writes later is not this call's and, with the pipe closed, not anyone's.
            if callOutputOpen { _ = drain(fd, into: exchange.log) }
            callOutputOpen = false
            // Out of the set before it is closed (below), while the number is still ours.
            loop.watch(fd, for: [], as: &callOutputWatch, handler: { _ in })
        }
        // Nothing the worker sent outlives the exchange. More than its one answer (or a
        // partial frame, after a timeout) means it is done for.
        if inbound.bufferedCount > 0 { controlOpen = false }
        inbound.reset()
        exchange.closeDescriptors()
        exchange.continuation.resume(returning: outcome)
    }

    /// Reads what the control socket holds now, up to a whole frame; end-of-file marks it
    /// closed, and so does a frame the decoder refuses (at its length field).
    private func readControl() {
        let buffer = loop.readBuffer
        while controlOpen, !inbound.hasFrame {
            let n = read(control, buffer.baseAddress, buffer.count)
            if n > 0 {
                do throws(ProtocolViolation) {
                    try inbound.feed(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
                } catch {
                    violation = error
                    controlOpen = false
                }
            } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                controlOpen = false
            } else if errno == EAGAIN {
                return
            }
        }
    }

    /// Sends what the socket takes now of the current exchange's frame, its descriptors with
    /// the first bytes.
    private func writeOutbound() {
        while controlOpen, let exchange = current, written < exchange.outbound.count {
            let n = exchange.outbound.withUnsafeBytes { bytes in
                Descriptors.send(control, UnsafeRawBufferPointer(rebasing: bytes[written...]), attaching: written == 0 ? exchange.attachments : [])
            }
            if n > 0 {
                if written == 0 {
                    // The worker holds its copies now; ours would keep a call's pipe open.
                    for fd in exchange.attachments { Glibc.close(fd) }
                    current?.attachments = []
                }
                written += n
            } else if n != -Int(EAGAIN) {
                controlOpen = false
                drainOutput()
                finish(.closed)
            } else {
                return
            }
        }
    }

    /// Completes the current exchange if its answer (or the end of the worker) is here.
    private func deliver() {
        guard current != nil else {
            // Between exchanges the worker has nothing to say: bytes now come from the
            // function (fd 3 is in its process) and would otherwise pile up in the
            // daemon or be taken as the next call's answer. The worker is done for.
            if greeted && (inbound.bufferedCount > 0 || inbound.hasFrame || violation != nil) {
                inbound.reset()
                violation = nil
                controlOpen = false
            }
            if !controlOpen && !reportedIdleClose && !closed {
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

    /// After anything happened: the answer delivered if it is in (and, once no exchange is
    /// left, a worker found closed reported as closed while idle), and the loop told what to
    /// wait for next.
    private func settle() {
        deliver()
        if current == nil { deliver() }
        updateInterest()
    }

    /// What each fd waits for now. The control socket: nothing once closed, nor while a whole
    /// frame no one has asked for yet (an early hello) waits to be taken — until then there
    /// is nothing more to read. A descriptor epoll refuses counts as closed.
    private func updateInterest() {
        while true {
            let wantsWrite = current.map { written < $0.outbound.count } ?? false
            let controlEvents: EventPoll.Events = closed || !controlOpen || inbound.hasFrame ? [] : wantsWrite ? [.readable, .writable] : .readable
            if !loop.watch(control, for: controlEvents, as: &controlWatch, handler: { [self] events in controlReady(events) }) {
                controlOpen = false
                deliver()
                continue
            }
            if !loop.watch(output, for: outputOpen && !closed ? .readable : [], as: &outputWatch, handler: { [self] _ in
                drainOutput()
                settle()
            }) {
                outputOpen = false
                continue
            }
            if let fd = current?.callOutput,
               !loop.watch(fd, for: callOutputOpen ? .readable : [], as: &callOutputWatch, handler: { [self] _ in
                   if let exchange = current, let fd = exchange.callOutput, callOutputOpen { callOutputOpen = drain(fd, into: exchange.log) }
                   settle()
               }) {
                callOutputOpen = false
                continue
            }
            return
        }
    }

    private func controlReady(_ events: EventPoll.Events) {
        if events.contains(.writable) { writeOutbound() }
        if !events.isDisjoint(with: [.readable, .hangup, .error]) { readControl() }
        settle()
    }
}
