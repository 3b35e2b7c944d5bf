import Crypto
import Foundation

/// Size and SHA-512 (`digest`) of function packages. A package never changes under its md5,
/// so each is read and hashed once, not on every config read or function list.
final class PackageDigests: @unchecked Sendable {
    private let lock = NSLock()
    private var known: [String: (size: Int, digest: String)] = [:]

    func entry(functionID: String, md5: String, read: () -> Data) -> (size: Int, digest: String) {
        let key = "\(functionID)/\(md5)"
        if let hit = lock.withLock({ known[key] }) { return hit }
        let zip = read()
        let entry = (zip.count, SHA512.hash(data: zip).map { String(format: "%02x", $0) }.joined())
        // An unreadable package (size 0) is not remembered: it may be restored.
        if !zip.isEmpty { lock.withLock { known[key] = entry } }
        return entry
    }
}
