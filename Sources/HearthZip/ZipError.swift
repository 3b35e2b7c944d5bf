/// Why an archive was refused. Each case says what is wrong in words a person who made the
/// zip can act on; entry names in it are shown escaped and shortened (see `ZipName.display`).
public enum ZipError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No end-of-central-directory record in the last 64 KiB: not a zip, or cut short.
    case noEndRecord
    /// The end records point at more than one disk (a split or spanned archive).
    case spansDisks
    /// The zip64 end record or its locator is damaged or disagrees with the end record.
    case zip64(String)
    /// The central directory the end record describes is not inside the file.
    case directoryOutsideFile(offset: Int, size: Int, fileSize: Int)
    case tooManyEntries(count: Int, limit: Int)
    /// The central directory cannot be read as the end record says it can.
    case directoryDamaged(String)
    /// The files would inflate to more than the limit (max_unpacked_size).
    case tooLarge(limit: Int)

    case nameTooLong(name: String, bytes: Int, limit: Int)
    case componentTooLong(name: String, bytes: Int, limit: Int)
    /// A name that is empty, not UTF-8, or holds a NUL, a control character, a backslash,
    /// an empty or a `.` component.
    case badName(name: String, reason: String)
    /// An absolute name, or one with a `..` component.
    case outsidePackage(name: String)
    case duplicate(name: String)
    /// One path is a file for one entry and a directory for another.
    case fileAndDirectory(name: String)
    case encrypted(name: String)
    case unsupportedMethod(name: String, method: Int)
    case symlink(name: String)
    /// A device, pipe or socket.
    case specialFile(name: String)
    /// The entry's local header or data lies outside the file or past the central directory.
    case entryOutsideFile(name: String, part: String)
    /// The local header says something other than the central directory (name, method, sizes, CRC).
    case localHeaderMismatch(name: String, field: String)
    case overlap(name: String, other: String)
    case badCRC(name: String)
    /// The entry inflates to more or fewer bytes than it declares.
    case sizeMismatch(name: String, detail: String)
    /// The compressed data ends before its deflate stream does.
    case truncated(name: String)
    /// zlib refused the deflate stream, or it is followed by bytes that belong to no stream.
    case corrupt(name: String, detail: String)
    /// `contents(of:)` was given an entry of another archive.
    case foreignEntry

    public var description: String {
        switch self {
        case .noEndRecord:
            return "it has no end-of-central-directory record (not a zip file, or cut short)"
        case .spansDisks:
            return "it spans several disks; split archives are not supported"
        case .zip64(let detail):
            return "its zip64 end record \(detail)"
        case .directoryOutsideFile(let offset, let size, let fileSize):
            return "the central directory (\(size) bytes at offset \(offset)) lies outside the file (\(fileSize) bytes)"
        case .tooManyEntries(let count, let limit):
            return "it has \(count) entries; at most \(limit) are allowed"
        case .directoryDamaged(let detail):
            return "the central directory is damaged: \(detail)"
        case .tooLarge(let limit):
            return "it expands to more than \(limit) bytes"
        case .nameTooLong(let name, let bytes, let limit):
            return "entry name '\(name)' is \(bytes) bytes long; at most \(limit) are allowed"
        case .componentTooLong(let name, let bytes, let limit):
            return "entry '\(name)' has a path component of \(bytes) bytes; at most \(limit) are allowed"
        case .badName(let name, let reason):
            return "entry name '\(name)' \(reason)"
        case .outsidePackage(let name):
            return "entry '\(name)' points outside the package"
        case .duplicate(let name):
            return "entry '\(name)' appears twice"
        case .fileAndDirectory(let name):
            return "'\(name)' is both a file and a directory"
        case .encrypted(let name):
            return "entry '\(name)' is encrypted, which is not supported"
        case .unsupportedMethod(let name, let method):
            return "entry '\(name)' uses compression method \(method)\(Self.methodName(method)); only stored (0) and deflate (8) are supported"
        case .symlink(let name):
            return "entry '\(name)' is a symbolic link, which is not allowed"
        case .specialFile(let name):
            return "entry '\(name)' is a device, pipe or socket, which is not allowed"
        case .entryOutsideFile(let name, let part):
            return "entry '\(name)': its \(part) lies outside the file (or past the start of the central directory)"
        case .localHeaderMismatch(let name, let field):
            return "entry '\(name)': its local header disagrees with the central directory (\(field))"
        case .overlap(let name, let other):
            return "entries '\(name)' and '\(other)' overlap"
        case .badCRC(let name):
            return "entry '\(name)' has a bad CRC-32"
        case .sizeMismatch(let name, let detail):
            return "entry '\(name)' \(detail)"
        case .truncated(let name):
            return "entry '\(name)' is cut short (its deflate stream ends early)"
        case .corrupt(let name, let detail):
            return "entry '\(name)' is corrupt: \(detail)"
        case .foreignEntry:
            return "the entry is not one of this archive's"
        }
    }

    private static func methodName(_ method: Int) -> String {
        switch method {
        case 1: return " (shrink)"
        case 6: return " (implode)"
        case 9: return " (deflate64)"
        case 12: return " (bzip2)"
        case 14: return " (LZMA)"
        case 93: return " (zstd)"
        case 95: return " (xz)"
        case 98: return " (PPMd)"
        default: return ""
        }
    }
}
