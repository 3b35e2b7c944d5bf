import HearthCore
import HearthPool
import XCTest

final class FrameDecoderTests: XCTestCase {
    let limit = WorkerFrame.maximumFromWorker

    func frame(_ type: String, blob: [UInt8] = []) -> WorkerFrame {
        WorkerFrame(header: .object(["type": .string(type), "ok": .bool(true)]), blob: blob)
    }

    func feed(_ decoder: inout FrameDecoder, _ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in try decoder.feed(raw) }
    }

    func bigEndian(_ value: UInt32) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32($0))) }
    }

    func lengths(_ total: UInt32, _ header: UInt32) -> [UInt8] {
        bigEndian(total) + bigEndian(header)
    }

    func testFramesSplitAnywhereComeOutWhole() throws {
        let frames = [frame("hello"), frame("result", blob: [1, 2, 3]), frame("loaded")]
        let bytes = frames.flatMap { $0.encoded() }
        for cut in [1, 3, 4, 7, 8, 9, 50] {
            var decoder = FrameDecoder(maximumSize: limit)
            var out: [WorkerFrame] = []
            var offset = 0
            while offset < bytes.count {
                let end = min(offset + cut, bytes.count)
                try feed(&decoder, Array(bytes[offset..<end]))
                while let next = try decoder.next() { out.append(next) }
                offset = end
            }
            XCTAssertEqual(out, frames, "fed \(cut) bytes at a time")
            XCTAssertEqual(decoder.bufferedCount, 0)
        }
    }

    func testAnUnfinishedFrameIsNotAFrame() throws {
        var decoder = FrameDecoder(maximumSize: limit)
        let bytes = frame("result").encoded()
        try feed(&decoder, Array(bytes.dropLast()))
        XCTAssertFalse(decoder.hasFrame)
        XCTAssertNil(try decoder.next())
        try feed(&decoder, [bytes.last!])
        XCTAssertTrue(decoder.hasFrame)
        XCTAssertEqual(try decoder.next(), frame("result"))
    }

    func testAnOversizedFrameIsRefusedAtItsFirstFourBytes() throws {
        var decoder = FrameDecoder(maximumSize: limit)
        try feed(&decoder, [0x04, 0x00])
        XCTAssertThrowsError(try feed(&decoder, [0x00, 0x00])) { error in
            XCTAssertTrue("\(error)".contains("frame of 67108864 bytes"), "\(error)")
        }
        XCTAssertEqual(decoder.bufferedCount, 0, "nothing of a refused frame is kept")
        XCTAssertTrue(decoder.hasFrame, "the violation is there to be taken")
        XCTAssertThrowsError(try decoder.next())
        XCTAssertThrowsError(try feed(&decoder, frame("result").encoded()), "a decoder that refused stays refused")
    }

    func testTheLimitItselfIsAllowed() throws {
        var decoder = FrameDecoder(maximumSize: 16)
        try feed(&decoder, lengths(16, 2))
        var over = FrameDecoder(maximumSize: 16)
        XCTAssertThrowsError(try feed(&over, lengths(17, 2)))
    }

    func testImpossibleLengthsAreRefusedAtTheirEighthByte() throws {
        for (total, header) in [(UInt32(10), UInt32(7)), (3, 0), (0, 0), (4, 1), (UInt32.max, 0)] {
            var decoder = FrameDecoder(maximumSize: limit)
            XCTAssertThrowsError(try feed(&decoder, lengths(total, header)), "\(total)/\(header)")
        }
    }

    func testAHeaderThatIsNotATypedObjectIsRefused() throws {
        for header in ["[1]", "{\"ok\": true}", "{\"type\": 3}", "{nope", "\"type\""] {
            var decoder = FrameDecoder(maximumSize: limit)
            let text = Array(header.utf8)
            try feed(&decoder, lengths(UInt32(4 + text.count), UInt32(text.count)) + text)
            XCTAssertThrowsError(try decoder.next(), header)
            XCTAssertEqual(decoder.bufferedCount, 0)
        }
    }

    func testAHeaderNestedTooDeepIsAViolationNotACrash() throws {
        var decoder = FrameDecoder(maximumSize: limit)
        let text = Array(("{\"type\": \"result\", \"output\": " + String(repeating: "[", count: 100_000)).utf8)
        try feed(&decoder, lengths(UInt32(4 + text.count), UInt32(text.count)) + text)
        XCTAssertThrowsError(try decoder.next()) { error in
            XCTAssertTrue("\(error)".contains("nested deeper"), "\(error)")
        }
    }

    func testOnlyTheBytesThatArrivedAreBuffered() throws {
        var decoder = FrameDecoder(maximumSize: limit)
        try feed(&decoder, lengths(UInt32(limit), 2) + Array("{}".utf8))
        XCTAssertEqual(decoder.bufferedCount, 10)
        try feed(&decoder, [UInt8](repeating: 0x78, count: 1000))
        XCTAssertEqual(decoder.bufferedCount, 1010)
        decoder.reset()
        XCTAssertEqual(decoder.bufferedCount, 0)
        XCTAssertFalse(decoder.hasFrame)
        try feed(&decoder, frame("hello").encoded())
        XCTAssertEqual(try decoder.next(), frame("hello"), "a reset decoder starts afresh")
    }

    func testAFrameAfterAFrameHasItsLengthsCheckedToo() throws {
        // In one read or two, the good frame comes out first, then the violation; the bytes
        // of the oversized frame are not kept.
        for split in [false, true] {
            var decoder = FrameDecoder(maximumSize: limit)
            let good = frame("result").encoded()
            if split {
                try feed(&decoder, good)
                XCTAssertEqual(try decoder.next(), frame("result"))
                XCTAssertThrowsError(try feed(&decoder, lengths(UInt32(limit + 1), 0)))
            } else {
                try feed(&decoder, good + lengths(UInt32(limit + 1), 0))
                XCTAssertEqual(decoder.bufferedCount, good.count)
                XCTAssertEqual(try decoder.next(), frame("result"))
                XCTAssertTrue(decoder.hasFrame, "the violation is still to come")
            }
            XCTAssertThrowsError(try decoder.next())
        }
    }
}
