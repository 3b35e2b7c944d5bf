import Crypto
import Foundation
import ZIPFoundation

/// An uploaded function package that has been checked: a readable zip whose entries stay
/// inside the directory it will be unpacked into, within the operator's size limits.
public struct FunctionPackage: Sendable {
    public let bytes: [UInt8]
    public let md5: String

    /// Checks an upload; every refusal says what is wrong with it.
    public init(bytes: [UInt8], settings: ServiceSettings) throws {
        guard bytes.count <= settings.maxPackageSize else {
            throw ServiceError.tooLarge("Package is \(bytes.count) bytes; the limit is \(settings.maxPackageSize) bytes (max_package_size).")
        }
        let archive: Archive
        do {
            archive = try Archive(data: Data(bytes), accessMode: .read)
        } catch {
            throw ServiceError.invalidInput("Package is not a valid ZIP package.")
        }
        for entry in archive {
            let path = entry.path
            let components = path.split(separator: "/", omittingEmptySubsequences: true)
            if path.hasPrefix("/") || path.hasPrefix("\\") || components.contains("..") {
                throw ServiceError.invalidInput("Package is not a valid ZIP package: entry '\(path)' points outside the package.")
            }
            if entry.type == .symlink {
                throw ServiceError.invalidInput("Package is not a valid ZIP package: entry '\(path)' is a symbolic link, which is not allowed.")
            }
        }
        // Inflate it once, counting what comes out rather than trusting the sizes the zip
        // declares: this is the check a zip bomb cannot lie to.
        do {
            _ = try FunctionCode.inflate(archive, limit: settings.maxUnpackedSize)
        } catch let error as PackageTooLarge {
            throw ServiceError.invalidInput("Package expands to more than \(error.limit) bytes (max_unpacked_size).")
        } catch {
            throw ServiceError.invalidInput("Package is not a valid ZIP package: \(error)")
        }
        self.bytes = bytes
        self.md5 = Insecure.MD5.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}
