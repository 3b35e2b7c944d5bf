extension ZipArchive {
    /// The entry's bytes, inflated and checked: exactly its declared size and its CRC-32.
    public func contents(of entry: ZipEntry) throws(ZipError) -> [UInt8] {
        var contents: [UInt8] = []
        // Declared sizes are within the limits but still only claims: grow as bytes arrive.
        contents.reserveCapacity(min(entry.size, 1 << 20))
        try read(entry) { contents.append(contentsOf: $0) }
        return contents
    }

    /// Inflates every entry once, checking sizes and CRC-32, and keeps nothing: the check a
    /// package passes before it is stored.
    public func verify() throws(ZipError) {
        for entry in entries {
            try read(entry) { _ in }
        }
    }

    /// Every entry with its contents, in the central directory's order.
    public static func unpack(_ bytes: [UInt8], limits: ZipLimits) throws(ZipError) -> [ZipFile] {
        let archive = try ZipArchive(bytes: bytes, limits: limits)
        var files: [ZipFile] = []
        for entry in archive.entries {
            files.append(ZipFile(path: entry.path, kind: entry.kind, mode: entry.mode, bytes: try archive.contents(of: entry)))
        }
        return files
    }

    /// Hands the entry's bytes to `sink` as they are inflated, then checks the CRC-32.
    func read(_ entry: ZipEntry, into sink: (UnsafeBufferPointer<UInt8>) -> Void) throws(ZipError) {
        guard entries.indices.contains(entry.index), entries[entry.index] == entry, fits(entry.dataOffset, entry.compressedSize, within: bytes.count) else {
            throw .foreignEntry
        }
        let name = ZipName.display(Array(entry.path.utf8))
        let result = bytes.withUnsafeBufferPointer { all in
            let data = UnsafeBufferPointer(rebasing: all[entry.dataOffset..<entry.dataEnd])
            return Result { () throws(ZipError) -> UInt32 in
                switch entry.method {
                case .stored: return Inflater.copy(data, into: sink)
                case .deflate: return try Inflater.inflate(data, size: entry.size, name: name, into: sink)
                }
            }
        }
        guard try result.get() == entry.crc32 else { throw .badCRC(name: name) }
    }
}

/// An entry with its contents, as `ZipArchive.unpack` returns them.
public struct ZipFile: Sendable, Equatable {
    public let path: String
    public let kind: ZipEntry.Kind
    public let mode: Int
    public let bytes: [UInt8]
}
