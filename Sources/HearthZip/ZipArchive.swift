/// A zip archive whose central directory has been read and checked against the file: every
/// offset and size inside it, every entry's local header agreeing with its central record,
/// names that are safe paths, methods that can be read, and a total within the limits.
/// Nothing is inflated until `contents(of:)` or `verify()`, which check sizes and CRC-32 as
/// they go. Any input either reads or throws a `ZipError`; none makes it trap.
///
///     let archive = try ZipArchive(bytes: bytes, limits: ZipLimits(maxUnpackedSize: 1 << 27))
///     for entry in archive.entries where entry.kind == .file {
///         let data = try archive.contents(of: entry)
///     }
public struct ZipArchive: Sendable {
    public let entries: [ZipEntry]
    public let limits: ZipLimits
    let bytes: [UInt8]

    public init(bytes: [UInt8], limits: ZipLimits) throws(ZipError) {
        let end = try EndRecord.locate(in: bytes)
        try end.check(fileSize: bytes.count, limits: limits)
        let directoryEnd = end.directoryOffset + end.directorySize
        var entries: [ZipEntry] = []
        entries.reserveCapacity(end.entryCount)
        var tree = ZipTree()
        var total = 0
        var offset = end.directoryOffset
        for index in 0..<end.entryCount {
            let header = try CentralHeader(bytes, at: offset, directoryEnd: directoryEnd, index: index)
            let entry = try ZipEntry(header, index: index, in: bytes, directoryOffset: end.directoryOffset, limits: limits)
            try tree.insert(entry.path, kind: entry.kind)
            guard entry.size <= limits.maxUnpackedSize - total else { throw .tooLarge(limit: limits.maxUnpackedSize) }
            total += entry.size
            entries.append(entry)
            offset = header.end
        }
        guard offset == directoryEnd else {
            throw .directoryDamaged("its \(end.entryCount) entries take \(offset - end.directoryOffset) bytes, not the \(end.directorySize) the end record says")
        }
        try Self.checkNoOverlap(entries)
        self.entries = entries
        self.limits = limits
        self.bytes = bytes
    }

    /// No two entries share bytes: a zip whose entries overlap means different things to
    /// different readers, and repeating one deflate stream under many names is how the
    /// densest zip bombs are made.
    private static func checkNoOverlap(_ entries: [ZipEntry]) throws(ZipError) {
        let order = entries.sorted { $0.localOffset < $1.localOffset }
        for (first, second) in zip(order, order.dropFirst()) where second.localOffset < first.dataEnd {
            throw .overlap(name: ZipName.display(Array(first.path.utf8)), other: ZipName.display(Array(second.path.utf8)))
        }
    }
}
