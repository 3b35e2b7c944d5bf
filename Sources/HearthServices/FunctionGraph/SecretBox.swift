import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Seals AK/SK secret keys at rest. HMAC verification needs the secret itself, so it cannot be
/// stored hashed as API tokens are; it is stored AES-256-GCM-encrypted under a key that lives
/// in its own file of the data directory (`credentials.key`, mode 0600, never in the
/// database). A copy of `hearth.sqlite` alone therefore yields no usable secret. The access
/// key is the authenticated data, so a sealed secret moved to another row does not open.
public struct SecretBox: Sendable {
    /// The raw key (SymmetricKey itself is not Sendable).
    let keyBytes: Data
    var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    public static let fileName = "credentials.key"

    /// Opens the data directory's key, creating it on first use.
    public init(directory: URL) throws {
        let path = directory.appendingPathComponent(Self.fileName).path
        if let bytes = FileManager.default.contents(atPath: path) {
            guard bytes.count == 32 else {
                throw ServiceError.invalidInput("\(path) is not a 32-byte key; restore it from a backup (credentials sealed under another key cannot be opened).")
            }
            keyBytes = bytes
            return
        }
        let fresh = SymmetricKey(size: .bits256)
        try Self.createExclusively(path: path, bytes: fresh.withUnsafeBytes { Data($0) })
        // Another process may have won the race: use whichever key is in the file now.
        guard let bytes = FileManager.default.contents(atPath: path), bytes.count == 32 else {
            throw ServiceError.invalidInput("cannot read the credential key \(path)")
        }
        keyBytes = bytes
    }

    /// Writes a temporary file with mode 0600, then links it into place, so the key file is
    /// never seen half-written and an existing one is never replaced.
    static func createExclusively(path: String, bytes: Data) throws {
        let temporary = path + ".\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ServiceError.invalidInput("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        defer { unlink(temporary) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == bytes.count, synced == 0 else { throw ServiceError.invalidInput("cannot write \(temporary)") }
        if link(temporary, path) != 0, errno != EEXIST {
            throw ServiceError.invalidInput("cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }

    public func seal(_ secret: String, accessKey: String) throws -> Data {
        guard let combined = try AES.GCM.seal(Data(secret.utf8), using: key, authenticating: Data(accessKey.utf8)).combined else {
            throw ServiceError.invalidInput("cannot seal the secret key")
        }
        return combined
    }

    /// The secret, or nil if the blob does not open under this key and access key.
    public func unseal(_ sealed: Data, accessKey: String) -> String? {
        guard let box = try? AES.GCM.SealedBox(combined: sealed),
            let plain = try? AES.GCM.open(box, using: key, authenticating: Data(accessKey.utf8))
        else { return nil }
        return String(data: plain, encoding: .utf8)
    }
}
