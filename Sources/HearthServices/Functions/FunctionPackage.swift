import Crypto
import Foundation
import HearthZip

/// An uploaded function package that has been checked: a zip whose directory, names, sizes
/// and CRCs hold up (HearthZip reads it without trusting any of them), whose entries stay
/// inside the directory it will be unpacked into, within the operator's size limits.
public struct FunctionPackage: Sendable {
    public let bytes: [UInt8]
    public let md5: String

    /// Checks an upload; every refusal says what is wrong with it.
    public init(bytes: [UInt8], settings: ServiceSettings) throws {
        guard bytes.count <= settings.maxPackageSize else {
            throw ServiceError.tooLarge("Package is \(bytes.count) bytes; the limit is \(settings.maxPackageSize) bytes (max_package_size).")
        }
        // Inflate it once, counting what comes out rather than trusting the sizes the zip
        // declares, and checking every CRC: what is stored is what will run.
        do {
            try ZipArchive(bytes: bytes, limits: Self.limits(settings)).verify()
        } catch ZipError.tooLarge(let limit) {
            throw ServiceError.invalidInput("Package expands to more than \(limit) bytes (max_unpacked_size).")
        } catch {
            throw ServiceError.invalidInput("Package is not a valid ZIP package: \(error).")
        }
        self.bytes = bytes
        self.md5 = Insecure.MD5.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    static func limits(_ settings: ServiceSettings) -> ZipLimits {
        ZipLimits(maxUnpackedSize: settings.maxUnpackedSize)
    }
}
