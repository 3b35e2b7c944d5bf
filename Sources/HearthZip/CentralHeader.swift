/// One central directory record, read and checked: its name, flags, method, type and
/// sizes, with zip64 values taken from its extra field where the 32-bit fields are placeholders.
struct CentralHeader {
    static let signature: UInt32 = 0x0201_4b50
    static let size = 46

    let name: ByteWindow
    let flags: UInt16
    let method: UInt16
    let crc32: UInt32
    let compressedSize: Int
    let size: Int
    let localOffset: Int
    let versionMadeBy: UInt16
    let externalAttributes: UInt32
    /// Where the next record starts.
    let end: Int

    /// The record at `offset`, which must end by `directoryEnd`.
    init(_ bytes: [UInt8], at offset: Int, directoryEnd: Int, index: Int) throws(ZipError) {
        guard fits(offset, Self.size, within: directoryEnd), let fixed = ByteWindow(bytes, at: offset, count: Self.size) else {
            throw .directoryDamaged("entry \(index + 1) runs past its end")
        }
        guard fixed.u32(0) == Self.signature else { throw .directoryDamaged("entry \(index + 1) has no central header signature") }
        let nameLength = Int(fixed.u16(28)), extraLength = Int(fixed.u16(30)), commentLength = Int(fixed.u16(32))
        let variable = nameLength + extraLength + commentLength
        guard fits(offset + Self.size, variable, within: directoryEnd),
              let name = ByteWindow(bytes, at: offset + Self.size, count: nameLength),
              let extra = ByteWindow(bytes, at: offset + Self.size + nameLength, count: extraLength)
        else { throw .directoryDamaged("entry \(index + 1) runs past its end") }
        self.name = name
        versionMadeBy = fixed.u16(4)
        flags = fixed.u16(8)
        method = fixed.u16(10)
        crc32 = fixed.u32(16)
        externalAttributes = fixed.u32(38)
        end = offset + Self.size + variable
        guard fixed.u16(34) == 0 || fixed.u16(34) == 0xFFFF else { throw .spansDisks }

        // Zip64: each 32-bit field that is all ones is in the extra field, in this order.
        var zip64 = Zip64Values(extra: extra)
        let shown = ZipName.display(name.array)
        size = try zip64.resolve(fixed.u32(24), name: shown)
        compressedSize = try zip64.resolve(fixed.u32(20), name: shown)
        localOffset = try zip64.resolve(fixed.u32(42), name: shown)
    }

    /// Refused: traditional PKWARE encryption (bit 0), strong encryption (bit 6), an
    /// encrypted central directory (bit 13), or WinZip AES (method 99).
    var isEncrypted: Bool { flags & 0x2041 != 0 || method == 99 }

    /// Sizes and CRC come after the data (bit 3), so the local header may hold zeros.
    var hasDataDescriptor: Bool { flags & 0x0008 != 0 }

    /// The Unix mode, when the archive was made on Unix or macOS (whose `st_mode` is in the
    /// high half of the external attributes); 0 when made elsewhere.
    var unixMode: UInt32 {
        let host = versionMadeBy >> 8
        return host == 3 || host == 19 ? externalAttributes >> 16 : 0
    }

    /// MS-DOS attributes' directory bit, which zips made on Windows use.
    var isDOSDirectory: Bool { unixMode == 0 && externalAttributes & 0x10 != 0 }
}

/// The values of a zip64 extended-information extra field (id 1), handed out in order.
struct Zip64Values {
    private let values: [UInt64]
    private var next = 0

    init(extra: ByteWindow) {
        values = Self.find(in: extra)
    }

    /// `field` itself, or the next zip64 value if `field` is the all-ones placeholder.
    mutating func resolve(_ field: UInt32, name: String) throws(ZipError) -> Int {
        guard field == 0xFFFF_FFFF else { return Int(field) }
        guard next < values.count else { throw .directoryDamaged("entry '\(name)' lacks the zip64 sizes its header refers to") }
        next += 1
        return clampedInt(values[next - 1])
    }

    /// Extra fields are (id, size, data) records; malformed ones that hide no zip64 field are
    /// ignored, as other readers do (some writers pad with zeros). Each step moves on at
    /// least four bytes, so the walk ends.
    private static func find(in extra: ByteWindow) -> [UInt64] {
        var offset = 0
        while let header = extra.window(at: offset, count: 4) {
            let id = header.u16(0), length = Int(header.u16(2))
            guard let data = extra.window(at: offset + 4, count: length) else { return [] }
            if id == 1 {
                return (0..<length / 8).map { data.u64($0 * 8) }
            }
            offset += 4 + length
        }
        return []
    }
}
