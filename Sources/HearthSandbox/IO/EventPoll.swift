import CSandbox

/// An epoll set for hearthd's one I/O loop over all workers' descriptors, and the eventfd
/// that wakes it. Thin on purpose: Swift sees neither <sys/epoll.h> nor <sys/eventfd.h>, so
/// the calls are C (event_poll.c) and this only gives them Swift types. The loop itself, and
/// every rule about when a descriptor may be closed, is HearthPool's `WorkerIOLoop`.
public enum EventPoll {
    public struct Events: OptionSet, Sendable, Equatable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        public static let readable = Events(rawValue: HEARTH_POLL_IN)
        public static let writable = Events(rawValue: HEARTH_POLL_OUT)
        public static let error = Events(rawValue: HEARTH_POLL_ERR)
        public static let hangup = Events(rawValue: HEARTH_POLL_HUP)
    }

    /// A close-on-exec epoll fd, or -errno.
    public static func create() -> Int32 { hearth_poll_create() }

    /// Adds `fd` with `token` (when not `registered`), changes what it waits for, or removes
    /// it (no `events`). 0 or -errno.
    public static func set(_ poll: Int32, fd: Int32, events: Events, token: UInt64, registered: Bool) -> Int32 {
        hearth_poll_set(poll, fd, events.rawValue, token, registered ? 1 : 0)
    }

    /// Waits up to `timeout` ms (-1: for ever); fills `tokens` and `events` pairwise and
    /// returns how many, or -errno.
    public static func wait(_ poll: Int32, tokens: UnsafeMutableBufferPointer<UInt64>, events: UnsafeMutableBufferPointer<UInt32>, timeout: Int32) -> Int32 {
        hearth_poll_wait(poll, tokens.baseAddress, events.baseAddress, Int32(min(tokens.count, events.count)), timeout)
    }

    /// A close-on-exec, non-blocking eventfd, or -errno.
    public static func makeWake() -> Int32 { hearth_wake_create() }

    /// Makes the eventfd readable (a no-op if it already is).
    public static func wake(_ fd: Int32) { _ = hearth_wake(fd) }

    /// Makes it unreadable again.
    public static func clearWake(_ fd: Int32) { hearth_wake_clear(fd) }
}
