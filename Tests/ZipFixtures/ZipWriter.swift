import CZlib

/// Zips for tests, written as common tools write them (stored or deflate, Unix modes in the
/// external attributes), and bytes helpers to make them wrong afterwards. Test-only: the
/// daemon never writes zips.
public struct ZipEntrySpec {
    public var name: [UInt8]
    public var data: [UInt8]
    public var deflate: Bool
    /// `st_mode`, type bits included; written in the high half of the external attributes.
    public var mode: UInt32

    public init(_ name: String, _ data: [UInt8], deflate: Bool = true, mode: UInt32 = 0o100644) {
        self.init(name: Array(name.utf8), data: data, deflate: deflate, mode: mode)
    }

    public init(_ name: String, _ text: String, deflate: Bool = true, mode: UInt32 = 0o100644) {
        self.init(name: Array(name.utf8), data: Array(text.utf8), deflate: deflate, mode: mode)
    }

    public init(name: [UInt8], data: [UInt8], deflate: Bool = true, mode: UInt32 = 0o100644) {
        self.name = name
        self.data = data
        self.deflate = deflate
        self.mode = mode
    }

    public static func directory(_ name: String) -> ZipEntrySpec {
        ZipEntrySpec(name, [], deflate: false, mode: 0o040755)
    }

    public static func symlink(_ name: String, to target: String) -> ZipEntrySpec {
        ZipEntrySpec(name, Array(target.utf8), deflate: false, mode: 0o120777)
    }
}

public enum ZipWriter {
    /// A zip of `entries` in order, with the central directory and end record after them.
    public static func zip(_ entries: [ZipEntrySpec]) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for entry in entries {
            let compressed = entry.deflate ? deflate(entry.data) : entry.data
            let crc = UInt32(crc32(0, entry.data, UInt32(entry.data.count)))
            let offset = UInt32(out.count)
            let method: UInt16 = entry.deflate ? 8 : 0
            // Local header.
            out.put32(0x0403_4b50); out.put16(20); out.put16(0x0800); out.put16(method); out.put16(0); out.put16(0x5a21)
            out.put32(crc); out.put32(UInt32(compressed.count)); out.put32(UInt32(entry.data.count))
            out.put16(UInt16(entry.name.count)); out.put16(0)
            out += entry.name
            out += compressed
            // Central record: made by Unix (3), version 2.0.
            central.put32(0x0201_4b50); central.put16(0x0314); central.put16(20); central.put16(0x0800); central.put16(method)
            central.put16(0); central.put16(0x5a21)
            central.put32(crc); central.put32(UInt32(compressed.count)); central.put32(UInt32(entry.data.count))
            central.put16(UInt16(entry.name.count)); central.put16(0); central.put16(0); central.put16(0); central.put16(0)
            central.put32(entry.mode << 16 | (entry.mode & 0o170000 == 0o040000 ? 0x10 : 0))
            central.put32(offset)
            central += entry.name
        }
        let directoryOffset = UInt32(out.count)
        out += central
        out.put32(0x0605_4b50); out.put16(0); out.put16(0)
        out.put16(UInt16(truncatingIfNeeded: entries.count)); out.put16(UInt16(truncatingIfNeeded: entries.count))
        out.put32(UInt32(central.count)); out.put32(directoryOffset); out.put16(0)
        return out
    }

    /// Raw deflate (no zlib header), as zip entries hold it.
    public static func deflate(_ data: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        precondition(czlib_deflate_init_raw(&stream, Z_DEFAULT_COMPRESSION) == Z_OK)
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(data.count))) + 16)
        var input = data
        let written = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                precondition(CZlib.deflate(&stream, Z_FINISH) == Z_STREAM_END)
                return target.count - Int(stream.avail_out)
            }
        }
        return Array(output[0..<written])
    }
}

extension [UInt8] {
    public mutating func put16(_ value: UInt16) {
        append(UInt8(value & 0xFF)); append(UInt8(value >> 8))
    }

    public mutating func put32(_ value: UInt32) {
        put16(UInt16(value & 0xFFFF)); put16(UInt16(value >> 16))
    }

    public mutating func set16(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(value & 0xFF); self[offset + 1] = UInt8(value >> 8)
    }

    public mutating func set32(_ value: UInt32, at offset: Int) {
        set16(UInt16(value & 0xFFFF), at: offset); set16(UInt16(value >> 16), at: offset + 2)
    }

    public func get32(at offset: Int) -> UInt32 {
        UInt32(self[offset]) | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2]) << 16 | UInt32(self[offset + 3]) << 24
    }

    /// Where each record with this signature starts (local 0x04034b50, central 0x02014b50, end 0x06054b50).
    public func offsets(of signature: UInt32) -> [Int] {
        guard count >= 4 else { return [] }
        return (0...(count - 4)).filter { get32(at: $0) == signature }
    }
}
