import CZlib

/// zlib's raw inflate and CRC-32 over one entry's bytes, bounded by what the entry declares:
/// output stops one byte past the declared size, and a stream that ends short, runs on past
/// its end, or is cut off is refused.
enum Inflater {
    /// Output is handed on in chunks of this size; input is fed to zlib (whose counts are
    /// 32-bit) in chunks of at most `feed`.
    private static let chunk = 1 << 16
    private static let feed = 1 << 30

    /// A stored entry's bytes as they are; returns their CRC-32.
    static func copy(_ data: UnsafeBufferPointer<UInt8>, into sink: (UnsafeBufferPointer<UInt8>) -> Void) -> UInt32 {
        var crc = UInt32(truncatingIfNeeded: crc32(0, nil, 0))
        var start = 0
        while start < data.count {
            let piece = UnsafeBufferPointer(rebasing: data[start..<start + min(feed, data.count - start)])
            crc = UInt32(truncatingIfNeeded: crc32(UInt(crc), piece.baseAddress, UInt32(piece.count)))
            sink(piece)
            start += piece.count
        }
        return crc
    }

    /// Inflates a raw deflate stream that must produce exactly `size` bytes; returns their CRC-32.
    static func inflate(_ data: UnsafeBufferPointer<UInt8>, size: Int, name: String, into sink: (UnsafeBufferPointer<UInt8>) -> Void) throws(ZipError) -> UInt32 {
        var crc = UInt32(truncatingIfNeeded: crc32(0, nil, 0))
        // Some writers store an empty file as zero bytes rather than an empty deflate block.
        guard let base = data.baseAddress, !data.isEmpty else {
            if size == 0 { return crc }
            throw .truncated(name: name)
        }
        var stream = z_stream()
        guard czlib_inflate_init_raw(&stream) == Z_OK else { throw .corrupt(name: name, detail: "zlib could not start") }
        defer { inflateEnd(&stream) }
        let output = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: chunk)
        defer { output.deallocate() }
        var fed = 0, produced = 0
        // Every round but the last fills the output chunk or uses up the input fed so far,
        // so this many rounds are more than a good stream needs.
        let rounds = size / chunk + data.count / feed + data.count / 1024 + 16
        for _ in 0..<rounds {
            if stream.avail_in == 0, fed < data.count {
                let count = min(feed, data.count - fed)
                stream.next_in = UnsafeMutablePointer(mutating: base + fed)
                stream.avail_in = UInt32(count)
                fed += count
            }
            stream.next_out = output.baseAddress
            stream.avail_out = UInt32(chunk)
            let status = CZlib.inflate(&stream, Z_NO_FLUSH)
            let got = chunk - Int(stream.avail_out)
            if got > 0 {
                guard got <= size - produced else { throw .sizeMismatch(name: name, detail: "inflates to more than the \(size) bytes it declares") }
                crc = UInt32(truncatingIfNeeded: crc32(UInt(crc), output.baseAddress, UInt32(got)))
                sink(UnsafeBufferPointer(rebasing: output[0..<got]))
                produced += got
            }
            switch status {
            case Z_STREAM_END:
                guard stream.avail_in == 0, fed == data.count else { throw .corrupt(name: name, detail: "bytes follow the end of its deflate stream") }
                guard produced == size else { throw .sizeMismatch(name: name, detail: "inflates to \(produced) bytes, not the \(size) it declares") }
                return crc
            case Z_OK:
                continue
            case Z_BUF_ERROR where stream.avail_in == 0 && fed == data.count:
                throw .truncated(name: name)
            case Z_BUF_ERROR:
                continue
            default:
                let detail = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw .corrupt(name: name, detail: detail)
            }
        }
        throw .corrupt(name: name, detail: "its deflate stream does not end")
    }
}
