/// What an archive may hold before anything in it is used. The reader refuses an archive
/// past any of these while reading its directory, before it inflates a byte.
public struct ZipLimits: Sendable, Equatable {
    /// Entries (files and directories) in the central directory. 65,535 is what a zip without
    /// zip64 can count; a function package has no need of more.
    public var maxEntries: Int
    /// Bytes of one entry's name, all components and slashes included. 1,024 leaves room for
    /// the directory a package is unpacked into within Linux's 4,096-byte PATH_MAX.
    public var maxNameBytes: Int
    /// Bytes of one component of a name: Linux's NAME_MAX.
    public var maxComponentBytes: Int
    /// Bytes all files may inflate to together (the operator's max_unpacked_size). Each entry
    /// must inflate to exactly the size it declares, so the declared total is the real one.
    public var maxUnpackedSize: Int

    public init(maxUnpackedSize: Int, maxEntries: Int = 65_535, maxNameBytes: Int = 1_024, maxComponentBytes: Int = 255) {
        self.maxUnpackedSize = maxUnpackedSize
        self.maxEntries = maxEntries
        self.maxNameBytes = maxNameBytes
        self.maxComponentBytes = maxComponentBytes
    }
}
