import Foundation

/// What one invocation printed (stdout and stderr share one pipe, so they interleave in the
/// order they were written), capped with a visible marker. Readable while it is being filled.
public final class LogCapture: @unchecked Sendable {
    public let limit: Int
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    private var truncated = false

    public static let marker = "\n[hearth: log truncated: the output exceeded the log limit]\n"

    public init(limit: Int) {
        self.limit = limit
    }

    func append(_ chunk: UnsafeRawBufferPointer) {
        lock.lock()
        defer { lock.unlock() }
        guard !truncated else { return }
        let room = limit - bytes.count
        if chunk.count <= room {
            bytes.append(contentsOf: chunk)
        } else {
            bytes.append(contentsOf: chunk.prefix(max(room, 0)))
            truncated = true
        }
    }

    /// The text so far (invalid UTF-8 replaced), with the marker if output was cut.
    public var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: bytes, as: UTF8.self) + (truncated ? Self.marker : "")
    }

    public var isEmpty: Bool {
        lock.lock()
        defer { lock.unlock() }
        return bytes.isEmpty
    }
}
