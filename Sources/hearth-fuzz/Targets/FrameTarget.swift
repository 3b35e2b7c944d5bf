import HearthCore
import HearthPool

/// The worker frame decoder: the bytes a function's process writes to fd 3. The first byte
/// chooses how the rest arrives (in reads of 1 to 256 bytes, as a socket may split them);
/// the decoder must find the same frames, or the same violation, however the bytes are
/// split; refuse a frame declared over the limit as soon as its length is in, rather than
/// after buffering it; never hold more than one frame's worth; and give back every frame
/// it decoded when that frame is encoded again.
///
/// Written against today's `WorkerFrame.take(from:)`; the pure `FrameDecoder` replacing it
/// takes its place here (same properties: feed, then next() until nil).
enum FrameTarget: FuzzTarget {
    static let name = "frame"
    static let summary = "WorkerFrame.take: split-independent, refuses oversized frames at the header, bounded buffer"
    static let maximumLength = 8192

    enum Outcome: Equatable {
        case frames([WorkerFrame])
        case violation([WorkerFrame])
    }

    static func run(_ bytes: [UInt8]) throws(PropertyFailure) {
        guard let first = bytes.first else { return }
        let stream = Array(bytes.dropFirst())
        let chunked = try decode(stream, readSize: Int(first) + 1)
        let whole = try decode(stream, readSize: max(stream.count, 1))
        try require(chunked == whole, "reads of \(Int(first) + 1) bytes decode otherwise than one read of all \(stream.count): \(chunked) vs \(whole)")

        let frames: [WorkerFrame]
        switch whole {
        case .frames(let all), .violation(let all): frames = all
        }
        for frame in frames {
            var buffer = frame.encoded()
            let again: WorkerFrame?
            do {
                again = try WorkerFrame.take(from: &buffer)
            } catch {
                throw PropertyFailure("an encoded frame is refused (\(error)): \(shown(frame.encoded()))")
            }
            try require(again == frame && buffer.isEmpty, "a frame encoded and decoded again differs: \(frame) vs \(String(describing: again))")
        }
    }

    /// Feeds `stream` in reads of `readSize`, taking frames after each as the channel does.
    static func decode(_ stream: [UInt8], readSize: Int) throws(PropertyFailure) -> Outcome {
        var buffer: [UInt8] = []
        var frames: [WorkerFrame] = []
        var offset = 0
        while offset < stream.count {
            let end = min(offset + readSize, stream.count)
            buffer += stream[offset..<end]
            offset = end
            while true {
                let frame: WorkerFrame?
                do {
                    frame = try WorkerFrame.take(from: &buffer)
                } catch {
                    return .violation(frames)
                }
                guard let frame else { break }
                frames.append(frame)
            }
            // Nothing whole is left behind, so what is held is less than one frame.
            try require(buffer.count < 4 + WorkerFrame.maximumSize, "\(buffer.count) bytes held after taking every frame")
            if buffer.count >= 4 {
                let declared = Int(buffer[0]) << 24 | Int(buffer[1]) << 16 | Int(buffer[2]) << 8 | Int(buffer[3])
                try require(declared >= 4 && declared <= WorkerFrame.maximumSize, "a frame declaring \(declared) bytes is being buffered, not refused")
            }
        }
        return .frames(frames)
    }
}
