import HearthCore

/// Turns the bytes a worker writes to its control socket into frames (`WorkerFrame`), with no
/// I/O of its own, so that it can be tested and fuzzed with nothing but bytes.
///
/// What it prevents: a worker is the function's code, so everything it sends is hostile. A
/// frame's lengths are checked as soon as they are in (the first 4 bytes for the frame length,
/// 8 for the header length), before any of its body is kept: a frame declared over
/// `maximumSize`, or a header longer than its frame, is a violation at once rather than after
/// megabytes have been buffered. Storage grows with the bytes that actually arrived, never
/// with what a frame declares, and is handed back to the allocator as soon as it is consumed
/// (`next()` taking the last buffered frame, or `reset()`): nothing a worker sent is kept
/// beyond the exchange it belongs to. After a violation the decoder refuses everything.
public struct FrameDecoder: Sendable {
    public let maximumSize: Int
    private var buffer: [UInt8] = []
    /// Where the next frame starts in `buffer` (bytes before it are consumed).
    private var start = 0
    /// Where the first frame not yet wholly buffered starts; everything from `start` up to
    /// here is complete frames whose lengths were checked.
    private var checked = 0
    private var violation: ProtocolViolation?

    /// `maximumSize` bounds a frame's length field: the bytes after the first four.
    public init(maximumSize: Int) {
        self.maximumSize = maximumSize
    }

    /// Bytes buffered and not yet taken as frames.
    public var bufferedCount: Int { buffer.count - start }

    /// Whether `next()` has a whole frame to return (or a violation to throw).
    public var hasFrame: Bool { checked > start || violation != nil }

    /// Appends what the worker wrote; throws as soon as a frame's lengths are out of bounds.
    ///
    /// Whole frames that came before the bad one are still given by `next()` first, and only
    /// then the violation: so the frames are the same however the worker's bytes were split
    /// into reads (in one read or in many, the first frame arrives before the broken one).
    /// Nothing after the bad lengths is kept.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(ProtocolViolation) {
        if let violation {
            if checked > start { return }
            throw violation
        }
        buffer.append(contentsOf: bytes)
        do {
            try checkLengths()
        } catch {
            guard checked > start else {
                refuse(error)
                throw error
            }
            buffer.removeSubrange(checked...)
            violation = error
        }
    }

    /// The first whole frame, or nil until one is in; the violation once the frames before it
    /// have been taken.
    public mutating func next() throws(ProtocolViolation) -> WorkerFrame? {
        guard checked > start else {
            if let violation { throw violation }
            return nil
        }
        let total = Self.length(buffer, at: start)
        let headerLength = Self.length(buffer, at: start + 4)
        let headerStart = start + 8
        let end = start + 4 + total
        let header: JSONValue
        do {
            header = try JSONValue.parse(buffer[headerStart..<(headerStart + headerLength)])
        } catch {
            throw refuse(ProtocolViolation("header is not JSON: \(error)"))
        }
        guard header.objectMembers != nil, header["type"]?.stringValue != nil else {
            throw refuse(ProtocolViolation("header without a type"))
        }
        let frame = WorkerFrame(header: header, blob: Array(buffer[(headerStart + headerLength)..<end]))
        start = end
        compact()
        return frame
    }

    /// Forgets everything buffered, and the storage that held it.
    public mutating func reset() {
        self = FrameDecoder(maximumSize: maximumSize)
    }

    /// Walks the frames whose lengths are in, checking each.
    private mutating func checkLengths() throws(ProtocolViolation) {
        while buffer.count - checked >= 4 {
            let total = Self.length(buffer, at: checked)
            guard total >= 4 else { throw ProtocolViolation("frame of \(total) bytes: too short to hold its header length") }
            guard total <= maximumSize else {
                throw ProtocolViolation("frame of \(total) bytes; a worker's frames may be at most \(maximumSize) bytes")
            }
            guard buffer.count - checked >= 8 else { return }
            let headerLength = Self.length(buffer, at: checked + 4)
            guard headerLength <= total - 4 else {
                throw ProtocolViolation("header of \(headerLength) bytes in a \(total)-byte frame")
            }
            guard buffer.count - checked >= 4 + total else { return }
            checked += 4 + total
        }
    }

    /// Drops consumed bytes: all of the storage once everything is consumed, else a copy of
    /// the rest once the consumed part is the larger (amortised linear).
    private mutating func compact() {
        if start == buffer.count {
            buffer = []
            (start, checked) = (0, 0)
        } else if start >= buffer.count - start {
            buffer = Array(buffer[start...])
            checked -= start
            start = 0
        }
    }

    @discardableResult
    private mutating func refuse(_ error: ProtocolViolation) -> ProtocolViolation {
        self = FrameDecoder(maximumSize: maximumSize)
        violation = error
        return error
    }

    private static func length(_ bytes: [UInt8], at i: Int) -> Int {
        Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
    }
}
