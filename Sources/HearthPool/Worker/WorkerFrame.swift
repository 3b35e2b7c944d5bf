import HearthCore

/// One message of the worker protocol (`runtimes/PROTOCOL.md`): a JSON header and an
/// optional binary blob, framed as `u32 total | u32 header length | header | blob`.
public struct WorkerFrame: Sendable, Equatable {
    public var header: JSONValue
    public var blob: [UInt8]

    public init(header: JSONValue, blob: [UInt8] = []) {
        self.header = header
        self.blob = blob
    }

    public var type: String? { header["type"]?.stringValue }

    /// Frames larger than this are a protocol error (a worker cannot make the daemon allocate
    /// without bound).
    public static let maximumSize = 64 << 20

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

    static func readBigEndian(_ bytes: ArraySlice<UInt8>) -> Int {
        let i = bytes.startIndex
        return Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
    }

    /// Takes one complete frame off the front of `buffer`, or returns nil if it needs more bytes.
    public static func take(from buffer: inout [UInt8]) throws(ProtocolViolation) -> WorkerFrame? {
        guard buffer.count >= 4 else { return nil }
        let total = readBigEndian(buffer[0..<4])
        guard total >= 4, total <= maximumSize else { throw ProtocolViolation("frame of \(total) bytes") }
        guard buffer.count >= 4 + total else { return nil }
        let headerLength = readBigEndian(buffer[4..<8])
        guard headerLength <= total - 4 else { throw ProtocolViolation("header of \(headerLength) bytes in a \(total)-byte frame") }
        let header: JSONValue
        do {
            header = try JSONValue.parse(buffer[8..<(8 + headerLength)])
        } catch {
            throw ProtocolViolation("header is not JSON: \(error)")
        }
        guard header.objectMembers != nil, header["type"]?.stringValue != nil else { throw ProtocolViolation("header without a type") }
        let blob = Array(buffer[(8 + headerLength)..<(4 + total)])
        buffer.removeFirst(4 + total)
        return WorkerFrame(header: header, blob: blob)
    }
}

/// The worker said something the protocol does not allow.
public struct ProtocolViolation: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
