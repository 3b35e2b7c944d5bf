/// A part of an archive's bytes that is known to lie inside them: a record's fixed fields, a
/// name, an extra field. Made only by `window(at:count:)`, which checks the bounds, so reading
/// a field at a fixed offset of a record of fixed size can never fall outside the array.
struct ByteWindow {
    let bytes: [UInt8]
    let start: Int
    let count: Int

    /// `count` bytes at `offset` of `bytes`, or nil if they are not all there.
    init?(_ bytes: [UInt8], at offset: Int, count: Int) {
        guard fits(offset, count, within: bytes.count) else { return nil }
        self.bytes = bytes
        self.start = offset
        self.count = count
    }

    /// A window inside this one, or nil if it would reach outside it.
    func window(at offset: Int, count: Int) -> ByteWindow? {
        guard fits(offset, count, within: self.count) else { return nil }
        return ByteWindow(bytes, at: start + offset, count: count)
    }

    func u16(_ offset: Int) -> UInt16 {
        UInt16(bytes[start + offset]) | UInt16(bytes[start + offset + 1]) << 8
    }

    func u32(_ offset: Int) -> UInt32 {
        UInt32(u16(offset)) | UInt32(u16(offset + 2)) << 16
    }

    func u64(_ offset: Int) -> UInt64 {
        UInt64(u32(offset)) | UInt64(u32(offset + 4)) << 32
    }

    var array: [UInt8] { Array(bytes[start..<start + count]) }

    func sameBytes(as other: ByteWindow) -> Bool {
        count == other.count && bytes[start..<start + count].elementsEqual(other.bytes[other.start..<other.start + other.count])
    }
}

/// Whether `[offset, offset + length)` lies inside `0..<bound`, decided without an addition
/// that could overflow (offsets and sizes come from the archive and may be anything).
func fits(_ offset: Int, _ length: Int, within bound: Int) -> Bool {
    offset >= 0 && length >= 0 && offset <= bound && length <= bound - offset
}

/// A 64-bit field of the archive as an Int; one past Int.max never fits anywhere.
func clampedInt(_ value: UInt64) -> Int {
    value > UInt64(Int.max) ? Int.max : Int(value)
}
