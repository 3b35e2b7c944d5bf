import CSandbox
import Foundation
@testable import HearthSandbox
import XCTest

/// The Swift side of hearth-launcher's wire format (Sources/hearth-launcher/PROTOCOL.md); the
/// launcher's own checks are driven from Tests/integration/test_launcher.py.
final class LauncherRecordTests: XCTestCase {
    func testAPacketIsItsHeaderThenItsBodyLittleEndian() throws {
        var body = LauncherRecord()
        body.u64(0x0102_0304_0506_0708)
        try body.string("/usr")
        let packet = LauncherRecord.packet(type: Int32(HL_KILL.rawValue), tag: 7, body: body.bytes)
        XCTAssertEqual(Array(packet.prefix(16)), [0x48, 0x54, 0x48, 0x4C, 4, 0, 0, 0, 30, 0, 0, 0, 7, 0, 0, 0])
        XCTAssertEqual(Array(packet[16..<24]), [8, 7, 6, 5, 4, 3, 2, 1])
        XCTAssertEqual(Array(packet[24...]), [4, 0] + Array("/usr".utf8))
    }

    func testAStringWithANulIsRefusedBeforeItIsSent() {
        var body = LauncherRecord()
        XCTAssertThrowsError(try body.string("a\u{0}b"))
        XCTAssertTrue(body.bytes.isEmpty)
    }

    func testAnswersAndExitEventsAreRead() {
        var answer = LauncherRecord()
        answer.u32(UInt32(HL_MAGIC)); answer.u16(UInt16(HL_ANSWER.rawValue)); answer.u16(0); answer.u32(46); answer.u32(9)
        answer.u32(13); answer.u32(0); answer.u64(5); answer.u32(1234); answer.u32(524_288)
        answer.u16(4); answer.append(Array("nope".utf8))
        guard case .answer(let a)? = answer.bytes.withUnsafeBytes({ LauncherReply($0, fds: []) }) else { return XCTFail("not an answer") }
        XCTAssertEqual([a.tag, UInt32(a.error), UInt32(a.id), UInt32(a.pid), a.uid], [9, 13, 5, 1234, 524_288])
        XCTAssertEqual(a.reason, "nope")

        var exit = LauncherRecord()
        exit.u32(UInt32(HL_MAGIC)); exit.u16(UInt16(HL_EXIT.rawValue)); exit.u16(0); exit.u32(48); exit.u32(0)
        exit.u64(5); exit.u32(0); exit.u32(9); exit.u32(1); exit.u32(0); exit.u64(4096)
        guard case .ended(let e)? = exit.bytes.withUnsafeBytes({ LauncherReply($0, fds: []) }) else { return XCTFail("not an exit") }
        XCTAssertEqual(e.id, 5)
        XCTAssertFalse(e.exited)
        XCTAssertEqual(e.status, 9)
        XCTAssertTrue(e.outOfMemory)
        XCTAssertEqual(e.peakMemory, 4096)

        XCTAssertNil([UInt8](repeating: 0, count: 48).withUnsafeBytes { LauncherReply($0, fds: []) })
    }

    func testTmpfsSizesAreReadFromTheOptions() throws {
        XCTAssertEqual(try Launcher.tmpfsSize("size=64m,mode=1777"), 64 << 20)
        XCTAssertEqual(try Launcher.tmpfsSize("mode=0755,size=4096"), 4096)
        XCTAssertEqual(try Launcher.tmpfsSize("size=2g"), 2 << 30)
        XCTAssertThrowsError(try Launcher.tmpfsSize("mode=1777"))
    }
}
