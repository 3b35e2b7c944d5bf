import Foundation
import HearthPool
import ZIPFoundation

/// A stored package unpacked into what a worker's `load` carries.
enum FunctionCode {
    static func bundle(zip: Data, entry: String) throws -> CodeBundle {
        let archive: Archive
        do {
            archive = try Archive(data: zip, accessMode: .read)
        } catch {
            throw PoolError.codeUnavailable("the stored package is not a readable zip")
        }
        var files: [CodeBundle.File] = []
        for item in archive where item.type == .file {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(Int(item.uncompressedSize))
            do {
                _ = try archive.extract(item) { chunk in bytes.append(contentsOf: chunk) }
            } catch {
                throw PoolError.codeUnavailable("cannot unpack \(item.path): \(error)")
            }
            let permissions = (item.fileAttributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o644
            files.append(CodeBundle.File(path: item.path, mode: permissions & 0o111 != 0 ? 0o755 : 0o644, bytes: bytes))
        }
        return CodeBundle(files: files, entry: entry)
    }
}
