import Foundation
import HearthSandbox

#if canImport(Glibc)
import Glibc
#endif

/// The one thread that does every worker's I/O: an epoll set over all their control sockets
/// and output pipes, with the deadlines of their exchanges as timers. A thread per worker
/// made the daemon's thread count grow with its pool; this keeps it flat.
///
/// Everything a `WorkerChannel` does with its descriptors runs here, handed over with
/// `execute` (but the first send of a call's frame, which its caller makes, under a lock the
/// channel's close takes too); registrations, timers and the read buffer belong to this thread alone. That is
/// what makes closing safe: a channel removes a descriptor from the set, on this thread,
/// before it closes it, so no event for a closed (and perhaps reused) fd number is ever acted
/// on. Each registration has its own token, never reused, so an event already fetched for a
/// descriptor removed earlier in the same batch finds no handler and is dropped.
final class WorkerIOLoop: @unchecked Sendable {
    /// What is registered for one descriptor: the token its events carry and what it waits for.
    struct Registration {
        fileprivate let token: UInt64
        fileprivate var events: EventPoll.Events
    }

    typealias Handler = (EventPoll.Events) -> Void

    /// The loop every channel uses, or why there is none (no epoll or eventfd left).
    static let shared: Result<WorkerIOLoop, PoolError> = {
        let poll = EventPoll.create()
        guard poll >= 0 else { return .failure(.workerStartFailed("epoll_create1: \(String(cString: strerror(-poll)))")) }
        let wake = EventPoll.makeWake()
        guard wake >= 0 else {
            close(poll)
            return .failure(.workerStartFailed("eventfd: \(String(cString: strerror(-wake)))"))
        }
        return .success(WorkerIOLoop(poll: poll, wake: wake))
    }()

    private let poll: Int32
    private let wake: Int32
    /// Guards `queued` only: the hand-over from other threads.
    private let lock = NSLock()
    private var queued: [@Sendable () -> Void] = []

    // Below: the loop thread's own.
    private var handlers: [UInt64: Handler] = [:]
    /// Token 0 is the wake-up eventfd's.
    private var nextToken: UInt64 = 1
    /// Pending timers, latest first, so that the due ones come off the end.
    private var timers: [(deadline: ContinuousClock.Instant, token: UInt64)] = []
    private var timerActions: [UInt64: () -> Void] = [:]
    /// Where every read lands: one buffer, as one descriptor is read at a time.
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 16)

    private init(poll: Int32, wake: Int32) {
        self.poll = poll
        self.wake = wake
        precondition(EventPoll.set(poll, fd: wake, events: .readable, token: 0, registered: false) == 0, "epoll_ctl of the wake-up eventfd")
        let thread = Thread { [self] in run() }
        thread.name = "hearth-worker-io"
        thread.stackSize = 512 << 10
        thread.start()
    }

    /// Runs `task` on the loop thread, after what was handed over before it.
    func execute(_ task: @escaping @Sendable () -> Void) {
        lock.lock()
        let first = queued.isEmpty
        queued.append(task)
        lock.unlock()
        // A non-empty queue has its wake-up pending already.
        if first { EventPoll.wake(wake) }
    }

    // MARK: - On the loop thread only

    /// Makes `fd` wait for `events` (none: removes it), calling `handler` with what is ready.
    /// False if epoll refused; the registration is then as it was (or gone, for a removal).
    @discardableResult
    func watch(_ fd: Int32, for events: EventPoll.Events, as registration: inout Registration?, handler: @autoclosure () -> Handler) -> Bool {
        if events.isEmpty {
            guard let old = registration else { return true }
            registration = nil
            handlers[old.token] = nil
            return EventPoll.set(poll, fd: fd, events: [], token: old.token, registered: true) == 0
        }
        if var current = registration {
            guard current.events != events else { return true }
            guard EventPoll.set(poll, fd: fd, events: events, token: current.token, registered: true) == 0 else { return false }
            current.events = events
            registration = current
            return true
        }
        let token = nextToken
        guard EventPoll.set(poll, fd: fd, events: events, token: token, registered: false) == 0 else { return false }
        nextToken += 1
        handlers[token] = handler()
        registration = Registration(token: token, events: events)
        return true
    }

    /// Calls `action` on the loop thread once `deadline` has passed, unless cancelled first.
    func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping () -> Void) -> UInt64 {
        let token = nextToken
        nextToken += 1
        // Timers are few (one per exchange in progress): a sorted array beats a heap here.
        var low = 0, high = timers.count
        while low < high {
            let middle = (low + high) / 2
            if timers[middle].deadline > deadline { low = middle + 1 } else { high = middle }
        }
        timers.insert((deadline, token), at: low)
        timerActions[token] = action
        return token
    }

    func cancel(timer token: UInt64) {
        guard timerActions.removeValue(forKey: token) != nil else { return }
        if let index = timers.lastIndex(where: { $0.token == token }) { timers.remove(at: index) }
    }

    private func run() {
        let capacity = 64
        let tokens = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: capacity)
        let events = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: capacity)
        while true {
            runQueued()
            fireDueTimers()
            let count = EventPoll.wait(poll, tokens: tokens, events: events, timeout: timeoutToNextTimer())
            if count < 0 {
                precondition(count == -EINTR, "epoll_wait: \(String(cString: strerror(-count)))")
                continue
            }
            // What was handed over during the wait runs before what became ready: a caller
            // hands over its exchange before it sends the frame itself, so the answer is never
            // read before the exchange it answers is here.
            runQueued()
            for i in 0..<Int(count) {
                if tokens[i] == 0 {
                    EventPoll.clearWake(wake)
                } else if let handler = handlers[tokens[i]] {
                    handler(EventPoll.Events(rawValue: events[i]))
                }
            }
        }
    }

    private func runQueued() {
        while true {
            lock.lock()
            let tasks = queued
            queued = []
            lock.unlock()
            if tasks.isEmpty { return }
            for task in tasks { task() }
        }
    }

    private func fireDueTimers() {
        let now = ContinuousClock.now
        while let last = timers.last, last.deadline <= now {
            timers.removeLast()
            timerActions.removeValue(forKey: last.token)?()
        }
    }

    /// Milliseconds until the next timer, rounded up so that it is due when the wait ends.
    private func timeoutToNextTimer() -> Int32 {
        guard let next = timers.last else { return -1 }
        let remaining = ContinuousClock.now.duration(to: next.deadline)
        guard remaining > .zero else { return 0 }
        let (seconds, attoseconds) = remaining.components
        return Int32(min(seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1, Int64(Int32.max)))
    }
}
