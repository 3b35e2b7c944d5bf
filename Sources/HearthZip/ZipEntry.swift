/// One entry of a checked archive: a file or a directory whose name, type, sizes and place
/// in the file have been validated. Its contents are read with `ZipArchive.contents(of:)`.
public struct ZipEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case file
        case directory
    }

    public enum Method: Sendable, Equatable {
        case stored
        case deflate
    }

    /// Position in the central directory.
    public let index: Int
    /// Relative, `/`-separated, without a directory's trailing slash; never empty, absolute,
    /// or holding `.` or `..` components.
    public let path: String
    public let kind: Kind
    /// 0o755 for directories and for files with any execute bit in their Unix mode, else 0o644.
    public let mode: Int
    public let method: Method
    public let crc32: UInt32
    /// What the entry inflates to: checked while inflating, which stops at one byte more.
    public let size: Int
    public let compressedSize: Int
    /// Where its local header starts, and where its compressed bytes start.
    let localOffset: Int
    let dataOffset: Int

    var dataEnd: Int { dataOffset + compressedSize }
}
