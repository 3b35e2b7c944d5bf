import Foundation
import HearthPool
import ZIPFoundation

/// A stored package unpacked into what a worker's `load` carries.
enum FunctionCode {
    static func bundle(zip: Data, entry: String, limit: Int) throws -> CodeBundle {
        let archive: Archive
        do {
            archive = try Archive(data: zip, accessMode: .read)
        } catch {
            throw PoolError.codeUnavailable("the stored package is not a readable zip")
        }
        do {
            return CodeBundle(files: try unpack(archive, limit: limit), entry: entry)
        } catch let error as PackageTooLarge {
            throw PoolError.codeUnavailable("the package expands to more than \(error.limit) bytes")
        } catch {
            throw PoolError.codeUnavailable("cannot unpack the package: \(error)")
        }
    }

    /// Every file of the archive, inflated. Counts the bytes as they come out and stops at
    /// `limit` in total, or when an entry yields more than it declared.
    static func unpack(_ archive: Archive, limit: Int) throws -> [CodeBundle.File] {
        var files: [CodeBundle.File] = []
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
            files.append(CodeBundle.File(path: item.path, mode: permissions & 0o111 != 0 ? 0o755 : 0o644, bytes: bytes))
        }
        return files
    }
}

/// A package that inflates past the operator's limit.
struct PackageTooLarge: Error {
    let limit: Int
}
