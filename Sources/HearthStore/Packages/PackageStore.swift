import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Function packages as files: `packages/<function_id>/<md5>.zip`, and beside each the
/// directory it was unpacked into for workers, `<md5>/`, once one needed it.
///
/// Files are named by their content, so a file never changes once written. A function's
/// current package and its versions are rows pointing at an md5; a version is "an immutable
/// copy" without copying anything, and a file is removed only when no row points at it.
public struct PackageStore: Sendable {
    public let directory: URL
    /// Unpacked directories known to exist: a warm call's code is then a dictionary lookup,
    /// not a URL built and a stat. `prune` forgets a function's.
    private let unpacked = KnownDirectories()

    init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try PrivateFiles.restrict(directory.path, mode: 0o700)
    }

    public func url(functionID: String, md5: String) -> URL {
        directory.appendingPathComponent(functionID).appendingPathComponent("\(md5).zip")
    }

    /// Where a package is unpacked for workers (made by whoever needs it first).
    public func unpackedURL(functionID: String, md5: String) -> URL {
        directory.appendingPathComponent(functionID).appendingPathComponent(md5)
    }

    /// The package's unpacked directory if it exists (nil: it must be unpacked first).
    public func existingUnpackedURL(functionID: String, md5: String) -> URL? {
        let key = functionID + "/" + md5
        if let known = unpacked.directories.withLock({ $0[key] }) { return known }
        let url = unpackedURL(functionID: functionID, md5: md5)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        unpacked.directories.withLock { $0[key] = url }
        return url
    }

    /// Writes a package durably: to a temporary file, fsync, rename, fsync the directory.
    public func save(_ bytes: [UInt8], functionID: String, md5: String) throws {
        let folder = directory.appendingPathComponent(functionID)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let final = url(functionID: functionID, md5: md5).path
        if FileManager.default.fileExists(atPath: final) { return }
        let temporary = final + ".tmp-\(getpid())-\(UInt32.random(in: .min ... .max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw StoreError.packageIO(path: temporary, errno: errno) }
        var written = 0
        let failure: Int32? = bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += n
            }
            return fsync(fd) == 0 ? nil : errno
        }
        close(fd)
        if let failure {
            unlink(temporary)
            throw StoreError.packageIO(path: final, errno: failure)
        }
        guard rename(temporary, final) == 0 else {
            let code = errno
            unlink(temporary)
            throw StoreError.packageIO(path: final, errno: code)
        }
        let dirfd = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 {
            fsync(dirfd)
            close(dirfd)
        }
    }

    public func read(functionID: String, md5: String) throws -> Data {
        let path = url(functionID: functionID, md5: md5)
        guard let data = FileManager.default.contents(atPath: path.path) else {
            throw StoreError.packageIO(path: path.path, errno: ENOENT)
        }
        return data
    }

    /// Removes every package file of a function whose md5 is not in `keep`, with its
    /// unpacked directory. A worker still running that code keeps what it already imported.
    public func prune(functionID: String, keep: Set<String>) {
        let prefix = functionID + "/"
        unpacked.directories.withLock { known in known = known.filter { !$0.key.hasPrefix(prefix) || keep.contains(String($0.key.dropFirst(prefix.count))) } }
        let folder = directory.appendingPathComponent(functionID)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        for name in names where !name.hasPrefix(".") && !keep.contains(name.hasSuffix(".zip") ? String(name.dropLast(4)) : name) {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
        if keep.isEmpty { try? FileManager.default.removeItem(at: folder) }
    }
}

private final class KnownDirectories: Sendable {
    let directories = Mutex<[String: URL]>([:])
}
