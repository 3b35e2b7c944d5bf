import CSandbox

/// hearth-launcher's records as bytes (Sources/hearth-launcher/PROTOCOL.md): little-endian
/// fixed-width integers, u16-counted strings, one record per packet.
struct LauncherRecord {
    private(set) var bytes: [UInt8] = []

    mutating func u16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }

    /// A string as the launcher reads it; one it would refuse (a NUL, over 65535 bytes) is
    /// refused here first with the same words.
    mutating func string(_ text: String) throws(SandboxError) {
        let utf8 = Array(text.utf8)
        guard utf8.count <= Int(UInt16.max), !utf8.contains(0) else {
            throw .launcherRefused(request: "spawn", errno: EINVAL, reason: "a string holds a NUL or is longer than 65535 bytes")
        }
        u16(UInt16(utf8.count))
        bytes += utf8
    }

    mutating func append(_ other: [UInt8]) { bytes += other }

    /// The header and `body` as one packet.
    static func packet(type: Int32, tag: UInt32, body: [UInt8]) -> [UInt8] {
        var record = LauncherRecord()
        record.u32(UInt32(HL_MAGIC))
        record.u16(UInt16(type))
        record.u16(0)
        record.u32(UInt32(Int(HL_HEADER_SIZE) + body.count))
        record.u32(tag)
        record.append(body)
        return record.bytes
    }
}

/// What the launcher sends back: an answer to a request, or a sandbox's end.
enum LauncherReply {
    struct Answer {
        var tag: UInt32
        var error: Int32
        var step: UInt32
        var id: UInt64
        var pid: Int32
        var uid: UInt32
        var reason: String
        var fds: [Int32]
    }

    struct Ended {
        var id: UInt64
        var exited: Bool
        var status: Int32
        var outOfMemory: Bool
        var peakMemory: Int64
    }

    case answer(Answer)
    case ended(Ended)

    /// Nil for a packet that is neither (which the launcher never sends).
    init?(_ bytes: UnsafeRawBufferPointer, fds: [Int32]) {
        func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } }
        func u64(_ at: Int) -> UInt64 { UInt64(u32(at)) | UInt64(u32(at + 4)) << 32 }
        guard bytes.count >= Int(HL_HEADER_SIZE), u32(0) == UInt32(HL_MAGIC) else { return nil }
        switch Int32(u16(4)) {
        case Int32(HL_ANSWER.rawValue) where bytes.count >= Int(HL_ANSWER_FIXED) + 2:
            let length = Int(u16(40))
            guard bytes.count >= 42 + length else { return nil }
            let reason = String(decoding: bytes[42..<(42 + length)], as: UTF8.self)
            self = .answer(Answer(tag: u32(12), error: Int32(bitPattern: u32(16)), step: u32(20), id: u64(24),
                                  pid: Int32(bitPattern: u32(32)), uid: u32(36), reason: reason, fds: fds))
        case Int32(HL_EXIT.rawValue) where bytes.count >= Int(HL_EXIT_SIZE):
            self = .ended(Ended(id: u64(16), exited: u32(24) == 1, status: Int32(bitPattern: u32(28)), outOfMemory: u32(32) != 0,
                                peakMemory: Int64(bitPattern: u64(40))))
        default:
            return nil
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
