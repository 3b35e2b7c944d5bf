import Foundation
import HearthPool
import HearthStore
import HearthZip

/// Stored packages unpacked for workers: `packages/<function_id>/<md5>/`, made once per
/// package (content-addressed, so it never changes) and shared by every worker that runs it.
enum FunctionCode {
    /// The package's directory, unpacked first if it is not yet.
    @discardableResult
    static func unpacked(packages: PackageStore, functionID: String, md5: String, limit: Int) throws -> URL {
        if let directory = packages.existingUnpackedURL(functionID: functionID, md5: md5) { return directory }
        let directory = packages.unpackedURL(functionID: functionID, md5: md5)
        try unpack(zip: packages.read(functionID: functionID, md5: md5), into: directory, limit: limit)
        return directory
    }

    /// Unpacks into a scratch directory and renames it into place, so a directory that exists
    /// is complete. Files are root's and read-only to everyone else: workers of many sandboxes
    /// read them and none may change them. The zip is checked again as it is read (it was at
    /// upload, but the file on disk is not to be trusted more than the upload was); one entry
    /// is in memory at a time.
    static func unpack(zip: Data, into directory: URL, limit: Int) throws {
        let archive: ZipArchive
        do {
            archive = try ZipArchive(bytes: Array(zip), limits: ZipLimits(maxUnpackedSize: limit))
        } catch ZipError.tooLarge(let limit) {
            throw PoolError.codeUnavailable("the package expands to more than \(limit) bytes")
        } catch {
            throw PoolError.codeUnavailable("the stored package is not a valid zip: \(error)")
        }
        let scratch = directory.deletingLastPathComponent().appendingPathComponent(".unpack-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let files = FileManager.default
        do {
            try files.createDirectory(at: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            for entry in archive.entries {
                let target = scratch.appendingPathComponent(entry.path)
                if entry.kind == .directory {
                    try files.createDirectory(at: target, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
                    continue
                }
                try files.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
                guard files.createFile(atPath: target.path, contents: Data(try archive.contents(of: entry)), attributes: [.posixPermissions: entry.mode]) else {
                    throw PoolError.codeUnavailable("cannot write \(target.path)")
                }
            }
        } catch let error as PoolError {
            throw error
        } catch let error as ZipError {
            throw PoolError.codeUnavailable("the stored package is not a valid zip: \(error)")
        } catch {
            throw PoolError.codeUnavailable("cannot unpack the package: \(error)")
        }
        // Another call may have unpacked the same package meanwhile: either copy will do.
        if rename(scratch.path, directory.path) != 0, !FileManager.default.fileExists(atPath: directory.path) {
            throw PoolError.codeUnavailable("cannot move the unpacked package to \(directory.path): \(String(cString: strerror(errno)))")
        }
    }
}
