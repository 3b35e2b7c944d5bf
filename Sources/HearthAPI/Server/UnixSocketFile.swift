import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Getting a Unix socket path ready to bind: its directory exists, and a socket file left by
/// a daemon that died is removed — but one that a live daemon still answers on is not.
public enum UnixSocketFile {
    public struct InUse: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "another hearthd is already listening on \(path)" }
    }

    static func prepare(_ path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        guard FileManager.default.fileExists(atPath: path) else { return }
        if isAnswering(path) { throw InUse(path: path) }
        unlink(path)
    }

    /// Removes the socket file at shutdown.
    public static func remove(_ path: String) {
        unlink(path)
    }

    static func isAnswering(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return result == 0
    }
}
