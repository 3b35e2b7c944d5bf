import Foundation
import HearthPool
import HearthStore
import ZIPFoundation

/// Stored packages unpacked for workers: `packages/<function_id>/<md5>/`, made once per
/// package (content-addressed, so it never changes) and shared by every worker that runs it.
enum FunctionCode {
    static func bundle(packages: PackageStore, functionID: String, md5: String, entry: String, limit: Int) throws -> CodeBundle {
        let directory = packages.unpackedURL(functionID: functionID, md5: md5)
        if !FileManager.default.fileExists(atPath: directory.path) {
            try unpack(zip: packages.read(functionID: functionID, md5: md5), into: directory, limit: limit)
        }
        return CodeBundle(directory: directory, entry: entry)
    }

    /// Unpacks into a scratch directory and renames it into place, so a directory that exists
    /// is complete. Files are root's and read-only to everyone else: workers of many sandboxes
    /// read them and none may change them.
    static func unpack(zip: Data, into directory: URL, limit: Int) throws {
        let archive: Archive
        do {
            archive = try Archive(data: zip, accessMode: .read)
        } catch {
            throw PoolError.codeUnavailable("the stored package is not a readable zip")
        }
        let scratch = directory.deletingLastPathComponent().appendingPathComponent(".unpack-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        do {
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            for file in try inflate(archive, limit: limit) {
                let target = scratch.appendingPathComponent(file.path)
                try FileManager.default.createDirectory(
                    at: target.deletingLastPathComponent(), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
                guard FileManager.default.createFile(atPath: target.path, contents: Data(file.bytes), attributes: [.posixPermissions: file.mode]) else {
                    throw PoolError.codeUnavailable("cannot write \(target.path)")
                }
            }
        } catch let error as PackageTooLarge {
            throw PoolError.codeUnavailable("the package expands to more than \(error.limit) bytes")
        } catch let error as PoolError {
            throw error
        } catch {
            throw PoolError.codeUnavailable("cannot unpack the package: \(error)")
        }
        // Another call may have unpacked the same package meanwhile: either copy will do.
        if rename(scratch.path, directory.path) != 0, !FileManager.default.fileExists(atPath: directory.path) {
            throw PoolError.codeUnavailable("cannot move the unpacked package to \(directory.path): \(String(cString: strerror(errno)))")
        }
    }

    /// Every file of the archive, inflated. Counts the bytes as they come out and stops at
    /// `limit` in total, or when an entry yields more than it declared.
    static func inflate(_ archive: Archive, limit: Int) throws -> [(path: String, mode: Int, bytes: [UInt8])] {
        var files: [(path: String, mode: Int, bytes: [UInt8])] = []
        var total = 0
        for item in archive where item.type == .file {
            let declared = Int(clamping: item.uncompressedSize)
            guard total + declared <= limit else { throw PackageTooLarge(limit: limit) }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(declared)
            _ = try archive.extract(item, skipCRC32: false) { chunk in
                guard bytes.count + chunk.count <= declared, total + bytes.count + chunk.count <= limit else {
                    throw PackageTooLarge(limit: limit)
                }
                bytes.append(contentsOf: chunk)
            }
            total += bytes.count
            let permissions = (item.fileAttributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o644
            files.append((item.path, permissions & 0o111 != 0 ? 0o755 : 0o644, bytes))
        }
        return files
    }
}

/// A package that inflates past the operator's limit.
struct PackageTooLarge: Error {
    let limit: Int
}
