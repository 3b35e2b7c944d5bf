import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The listening sockets the service manager passed (sd_listen_fds(3)): `LISTEN_FDS` of them
/// from fd 3, for the process `LISTEN_PID`, named in `LISTEN_FDNAMES`. Each is classified by
/// its address family, as the unit's `ListenStream=` lines do not say which is which: AF_UNIX
/// is the trusted face, AF_INET and AF_INET6 the TCP face that needs tokens. With none passed
/// hearthd binds its own.
struct ActivatedSockets {
    static let variables = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"]
    static let firstDescriptor: Int32 = 3

    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    var unix: [Int32] = []
    var tcp: [Int32] = []
    private var names: String?

    var isEmpty: Bool { unix.isEmpty && tcp.isEmpty }
    var count: Int { unix.count + tcp.count }

    /// Takes the variables out of the environment, so that no child inherits them, and marks
    /// the sockets close-on-exec: neither the launcher nor a sandbox gets a listener.
    static func take() throws(Refused) -> ActivatedSockets {
        let environment = ProcessInfo.processInfo.environment
        for name in variables { unsetenv(name) }
        var sockets = ActivatedSockets()
        // Not ours: a parent's variables that leaked into our environment.
        guard let count = environment["LISTEN_FDS"].flatMap(Int32.init), count > 0,
              environment["LISTEN_PID"].flatMap(pid_t.init) == getpid() else { return sockets }
        sockets.names = environment["LISTEN_FDNAMES"]
        for fd in firstDescriptor..<(firstDescriptor + count) {
            var address = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            guard named == 0 else {
                throw Refused(description: "LISTEN_FDS=\(count) but fd \(fd) is not a socket: \(String(cString: strerror(errno)))")
            }
            var type: Int32 = 0
            var typeLength = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &typeLength) == 0, type == Int32(SOCK_STREAM.rawValue) else {
                throw Refused(description: "the socket passed as fd \(fd) is not a stream socket: hearthd serves HTTP, give it ListenStream= sockets")
            }
            var listening: Int32 = 0
            var listeningLength = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &listeningLength) == 0, listening != 0 else {
                throw Refused(description: "the socket passed as fd \(fd) is not listening: hearthd accepts connections on it, so it must be a listening socket (ListenStream=, not Accept=yes)")
            }
            switch Int32(address.ss_family) {
            case AF_UNIX: sockets.unix.append(fd)
            case AF_INET, AF_INET6: sockets.tcp.append(fd)
            case let family:
                throw Refused(description: "the socket passed as fd \(fd) has address family \(family): hearthd serves only Unix (trusted) and TCP sockets")
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        return sockets
    }

    /// For hearthd's re-exec as `hearth` (same PID, so LISTEN_PID stays true): the sockets stay
    /// open across that one exec, and the variables that describe them are passed on.
    func keptAcrossExec() -> [String: String] {
        guard !isEmpty else { return [:] }
        for fd in unix + tcp { _ = fcntl(fd, F_SETFD, 0) }
        var environment = ["LISTEN_PID": "\(getpid())", "LISTEN_FDS": "\(count)"]
        if let names { environment["LISTEN_FDNAMES"] = names }
        return environment
    }
}
