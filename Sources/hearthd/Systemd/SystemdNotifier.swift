import Foundation
import Logging
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// The service manager's notification protocol (sd_notify(3)), without libsystemd: one datagram
/// of `KEY=value` lines to the socket named in `NOTIFY_SOCKET` (a path, or `@name` in the
/// abstract namespace). Readiness (`READY=1`) once every listener is up, `STATUS=` at the main
/// phases, `STOPPING=1` when SIGTERM or SIGINT arrives, and `WATCHDOG=1` every half of
/// `WATCHDOG_USEC` when the unit sets `WatchdogSec=`. Started by hand there is no socket and
/// every call does nothing. A failed send is logged once and never stops the daemon: systemd's
/// own timeouts deal with a daemon that cannot reach it.
final class SystemdNotifier: @unchecked Sendable {
    static let variables = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", reportedVariable]
    /// Set across hearthd's own re-exec once a failure was logged, so that it is logged once.
    static let reportedVariable = "HEARTH_NOTIFY_REPORTED"

    private let inherited: [String: String]
    private let address: sockaddr_un?
    private let addressLength: socklen_t
    private let watchdogInterval: Duration?
    private let logger: Logger
    private let lock = NSLock()
    private var fd: Int32 = -1
    private var reportedFailure = false
    private var expectedListeners = 0
    private var listening: [String] = []

    /// Takes the variables out of the environment, so that no child (useradd, the launcher, a
    /// sandbox) inherits them: a worker must not be able to tell systemd anything.
    static func take(logger: Logger) -> SystemdNotifier {
        let all = ProcessInfo.processInfo.environment
        for name in variables { unsetenv(name) }
        return SystemdNotifier(all.filter { variables.contains($0.key) }, logger: logger)
    }

    init(_ environment: [String: String], logger: Logger) {
        inherited = environment.filter { $0.key != Self.reportedVariable }
        reportedFailure = environment[Self.reportedVariable] != nil
        self.logger = logger
        (address, addressLength) = Self.address(environment["NOTIFY_SOCKET"])
        // WATCHDOG_PID names the process systemd expects the pings from; another's are not ours.
        let forUs = environment["WATCHDOG_PID"].map { pid_t($0) == getpid() } ?? true
        if forUs, let usec = environment["WATCHDOG_USEC"].flatMap(UInt64.init), usec > 0 {
            watchdogInterval = .microseconds(usec / 2)
        } else {
            watchdogInterval = nil
        }
    }

    /// The socket's address: a path, or an abstract name written with a leading `@`.
    static func address(_ name: String?) -> (sockaddr_un?, socklen_t) {
        guard let name, name.hasPrefix("/") || name.hasPrefix("@") else { return (nil, 0) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(name.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let abstract = bytes[0] == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        guard bytes.count < capacity else { return (nil, 0) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        // An abstract name is exactly its bytes; a path includes its terminating NUL.
        let length = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count + (abstract ? 0 : 1)
        return (address, socklen_t(length))
    }

    var isEnabled: Bool { address != nil }

    /// What hearthd's re-exec as `hearth` passes on (the same PID: systemd still listens to it).
    var environment: [String: String] {
        lock.withLock { reportedFailure ? inherited.merging([Self.reportedVariable: "1"]) { $1 } : inherited }
    }

    /// Sends `state` (newline-separated assignments).
    func notify(_ state: String) {
        guard var address else { return }
        let problem = lock.withLock { () -> String? in
            if fd < 0 { fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
            guard fd >= 0 else { return "socket: \(String(cString: strerror(errno)))" }
            let sent = Array(state.utf8).withUnsafeBytes { bytes in
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, addressLength)
                    }
                }
            }
            guard sent < 0, !reportedFailure else { return nil }
            reportedFailure = true
            return String(cString: strerror(errno))
        }
        if let problem {
            logger.warning("cannot notify systemd (later failures are not logged)", metadata: [
                "notify_socket": "\(inherited["NOTIFY_SOCKET"] ?? "")", "error": "\(problem)",
            ])
        }
    }

    func status(_ text: String) { notify("STATUS=\(text)") }

    /// How many listeners `listening(_:)` waits for before it declares readiness.
    func expect(listeners count: Int) { lock.withLock { expectedListeners = count } }

    /// One listener accepts connections; with the last one, the daemon is ready.
    func listening(_ address: String) {
        let all = lock.withLock { () -> [String]? in
            listening.append(address)
            return listening.count == expectedListeners ? listening : nil
        }
        if let all { notify("READY=1\nSTATUS=listening on \(all.joined(separator: " and "))") }
    }

    /// Sends STOPPING=1 as soon as SIGTERM or SIGINT arrives (the service group, which traps
    /// them too, begins the stop). Called just before the service group runs: trapping them
    /// earlier would keep a signal during start-up from ending the process.
    func watchSignals() {
        guard isEnabled else { return }
        Task {
            var stopping = false
            for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) where !stopping {
                stopping = true
                notify("STOPPING=1\nSTATUS=stopping: running calls drain, then the workers stop")
            }
        }
    }

    /// The watchdog's pings, from the start until the process exits (or execs itself): a long
    /// start-up or a drain is still a live daemon.
    func startWatchdog() {
        guard isEnabled, let interval = watchdogInterval else { return }
        Task.detached { [self] in
            while true {
                notify("WATCHDOG=1")
                try? await Task.sleep(for: interval)
            }
        }
    }
}
