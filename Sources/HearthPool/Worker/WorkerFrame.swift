import HearthCore

/// One message of the worker protocol (`runtimes/PROTOCOL.md`): a JSON header and an
/// optional binary blob, framed as `u32 total | u32 header length | header | blob`. A worker's
/// bytes become frames through `FrameDecoder`.
public struct WorkerFrame: Sendable, Equatable {
    public var header: JSONValue
    public var blob: [UInt8]

    public init(header: JSONValue, blob: [UInt8] = []) {
        self.header = header
        self.blob = blob
    }

    public var type: String? { header["type"]?.stringValue }

    /// The largest frame either side sends, as the length field counts it: a `load` carries
    /// a package's files. The workers refuse larger ones (PROTOCOL.md).
    public static let maximumSize = 64 << 20

    /// The largest frame a worker may send. Its frames are `hello`, `loaded` and `result`, and
    /// a result is the function's return value as JSON (the log travels separately): Qinling
    /// results are small, FunctionGraph caps a response at 6 MB, and 8 MiB leaves room for the
    /// rest of the header and for escapes. Anything larger is refused at its length field, so
    /// a worker can make the daemon hold at most this much, and only during its call.
    public static let maximumFromWorker = 8 << 20

    public func encoded() -> [UInt8] {
        let headerBytes = Array(header.serialized.utf8)
        let total = 4 + headerBytes.count + blob.count
        var out: [UInt8] = []
        out.reserveCapacity(4 + total)
        Self.appendBigEndian(UInt32(total), to: &out)
        Self.appendBigEndian(UInt32(headerBytes.count), to: &out)
        out += headerBytes
        out += blob
        return out
    }

    static func appendBigEndian(_ value: UInt32, to out: inout [UInt8]) {
        out += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}

/// The worker said something the protocol does not allow.
public struct ProtocolViolation: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
