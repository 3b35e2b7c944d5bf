/// Where the central directory is, as the end-of-central-directory record (and, for zip64,
/// the zip64 end record) says, checked against the file before anything trusts it.
struct EndRecord {
    let entryCount: Int
    let directoryOffset: Int
    let directorySize: Int
    /// Where the end records begin; the central directory must end at or before it.
    let recordsStart: Int

    static let signature: UInt32 = 0x0605_4b50
    static let zip64LocatorSignature: UInt32 = 0x0706_4b50
    static let zip64Signature: UInt32 = 0x0606_4b50
    static let size = 22

    /// Finds the end record: the last one in the file whose comment runs exactly to the end
    /// of the file. The comment is at most 65,535 bytes, so the search looks at no more than
    /// 65,536 places, whatever the file holds.
    static func locate(in bytes: [UInt8]) throws(ZipError) -> EndRecord {
        guard bytes.count >= size else { throw .noEndRecord }
        let last = bytes.count - size
        let first = max(0, last - 0xFFFF)
        var found: ByteWindow?
        for position in stride(from: last, through: first, by: -1) {
            guard bytes[position] == 0x50, let record = ByteWindow(bytes, at: position, count: size), record.u32(0) == signature else { continue }
            if Int(record.u16(20)) == bytes.count - position - size {
                found = record
                break
            }
        }
        guard let record = found else { throw .noEndRecord }
        return try read(record, in: bytes)
    }

    private static func read(_ record: ByteWindow, in bytes: [UInt8]) throws(ZipError) -> EndRecord {
        let disk = record.u16(4), directoryDisk = record.u16(6)
        let entriesHere = record.u16(8), entries = record.u16(10)
        let size = record.u32(12), offset = record.u32(16)
        guard let locator = ByteWindow(bytes, at: record.start - 20, count: 20), locator.u32(0) == zip64LocatorSignature else {
            guard disk == 0, directoryDisk == 0, entriesHere == entries else { throw .spansDisks }
            return EndRecord(entryCount: Int(entries), directoryOffset: Int(offset), directorySize: Int(size), recordsStart: record.start)
        }
        // Zip64: the locator just before the end record says where the zip64 end record is.
        guard locator.u32(4) == 0, locator.u32(16) <= 1, disk == 0 || disk == 0xFFFF, directoryDisk == 0 || directoryDisk == 0xFFFF else {
            throw .spansDisks
        }
        let at = clampedInt(locator.u64(8))
        guard fits(at, 56, within: locator.start), let zip64 = ByteWindow(bytes, at: at, count: 56), zip64.u32(0) == zip64Signature else {
            throw .zip64("is not where its locator says")
        }
        guard zip64.u64(4) >= 44, zip64.u64(4) <= UInt64(locator.start - at - 12) else { throw .zip64("has a size that does not fit before its locator") }
        guard zip64.u32(16) == 0, zip64.u32(20) == 0, zip64.u64(24) == zip64.u64(32) else { throw .spansDisks }
        let entries64 = zip64.u64(32), size64 = zip64.u64(40), offset64 = zip64.u64(48)
        // A 32-bit field is either a placeholder (all ones) or the same number.
        guard entries == 0xFFFF || UInt64(entries) == entries64, size == 0xFFFF_FFFF || UInt64(size) == size64,
              offset == 0xFFFF_FFFF || UInt64(offset) == offset64
        else { throw .zip64("disagrees with the end record") }
        return EndRecord(entryCount: clampedInt(entries64), directoryOffset: clampedInt(offset64), directorySize: clampedInt(size64), recordsStart: at)
    }

    /// The directory lies in the file before the end records, and can hold as many entries
    /// as it claims (each takes at least 46 bytes).
    func check(fileSize: Int, limits: ZipLimits) throws(ZipError) {
        guard fits(directoryOffset, directorySize, within: recordsStart) else {
            throw .directoryOutsideFile(offset: directoryOffset, size: directorySize, fileSize: fileSize)
        }
        guard entryCount <= limits.maxEntries else { throw .tooManyEntries(count: entryCount, limit: limits.maxEntries) }
        guard entryCount <= directorySize / CentralHeader.size else {
            throw .directoryDamaged("the end record counts \(entryCount) entries, more than its \(directorySize) bytes can hold")
        }
    }
}
