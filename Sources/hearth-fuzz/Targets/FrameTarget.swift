import HearthCore
import HearthPool

/// The worker frame decoder: the bytes a function's process writes to fd 3. The first byte
/// chooses how the rest arrives (in reads of 1 to 256 bytes, as a socket may split them);
/// the decoder must find the same frames, or the same violation, however the bytes are
/// split; refuse a frame declared over the limit as soon as its length is in, rather than
/// after buffering it; never hold more than one frame's worth; and give back every frame
/// it decoded when that frame is encoded again.
///
/// Drives `FrameDecoder` exactly as `WorkerChannel` does: feed what a read returned, then
/// take frames until there is none.
enum FrameTarget: FuzzTarget {
    static let name = "frame"
    static let summary = "FrameDecoder: split-independent, refuses oversized frames at the header, bounded buffer"
    /// Small, so that the fuzzer reaches the limit with inputs it can afford.
    static let limit = 4096
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
            let encoded = frame.encoded()
            var decoder = FrameDecoder(maximumSize: limit)
            let again: WorkerFrame?
            do {
                if let violation = feed(&decoder, encoded[...]) { throw violation }
                again = try decoder.next()
            } catch {
                throw PropertyFailure("an encoded frame is refused (\(error)): \(shown(encoded))")
            }
            try require(again == frame && decoder.bufferedCount == 0, "a frame encoded and decoded again differs: \(frame) vs \(String(describing: again))")
        }
    }

    /// Feeds `stream` in reads of `readSize`, taking frames after each as the channel does.
    static func decode(_ stream: [UInt8], readSize: Int) throws(PropertyFailure) -> Outcome {
        var decoder = FrameDecoder(maximumSize: limit)
        var frames: [WorkerFrame] = []
        var offset = 0
        while offset < stream.count {
            let end = min(offset + readSize, stream.count)
            if feed(&decoder, stream[offset..<end]) != nil { return .violation(frames) }
            do {
                while let frame = try decoder.next() { frames.append(frame) }
            } catch {
                return .violation(frames)
            }
            offset = end
            // Nothing whole is left behind, so what is held is less than one frame's worth.
            try require(decoder.bufferedCount < 4 + limit, "\(decoder.bufferedCount) bytes held after taking every frame")
        }
        return .frames(frames)
    }

    /// One read's bytes into the decoder; the violation, if they make one.
    static func feed(_ decoder: inout FrameDecoder, _ bytes: ArraySlice<UInt8>) -> ProtocolViolation? {
        bytes.withUnsafeBytes { raw -> ProtocolViolation? in
            do throws(ProtocolViolation) {
                try decoder.feed(raw)
                return nil
            } catch {
                return error
            }
        }
    }
}
