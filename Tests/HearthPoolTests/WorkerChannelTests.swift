import Foundation
import HearthCore
@testable import HearthPool
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// WorkerChannel on the shared I/O loop, against a worker played by the test: a socketpair
/// and pipes, no sandbox and no process.
final class WorkerChannelTests: XCTestCase {
    /// The worker's ends: its control socket and the write end of its own output pipe.
    struct FakeWorker {
        let control: Int32
        let output: Int32

        func send(_ frame: WorkerFrame) {
            let bytes = frame.encoded()
            XCTAssertEqual(bytes.withUnsafeBytes { write(control, $0.baseAddress, $0.count) }, bytes.count)
        }

        /// Blocks until one whole frame from the daemon is in, and returns its bytes.
        func receive() -> [UInt8] {
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while bytes.count < 4 || bytes.count < 4 + Self.length(bytes) {
                let n = read(control, &chunk, chunk.count)
                guard n > 0 else { break }
                bytes += chunk[..<n]
            }
            return bytes
        }

        static func length(_ b: [UInt8]) -> Int { Int(b[0]) << 24 | Int(b[1]) << 16 | Int(b[2]) << 8 | Int(b[3]) }

        func print(_ text: String, to fd: Int32? = nil) {
            let bytes = Array(text.utf8)
            _ = write(fd ?? output, bytes, bytes.count)
        }
    }

    static func frame(_ type: String) -> WorkerFrame {
        WorkerFrame(header: .object(["type": .string(type)]))
    }

    func makeChannel() throws -> (WorkerChannel, FakeWorker) {
        var pair: [Int32] = [-1, -1]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair), 0)
        let output = try closedOnExecPipe()
        return (try WorkerChannel(control: pair[0], output: output.read), FakeWorker(control: pair[1], output: output.write))
    }

    func greeted() async throws -> (WorkerChannel, FakeWorker) {
        let (channel, worker) = try makeChannel()
        // Once the exchange is under way: what the worker prints before it counts for it (a
        // runtime without descriptors prints on its own pipe); earlier, it is dropped.
        Thread.detachNewThread {
            usleep(20_000)
            worker.print("starting\n")
            worker.send(Self.frame("hello"))
        }
        let log = LogCapture(limit: 1024)
        guard case .frame(let hello) = await channel.exchange(nil, deadline: .now + .seconds(5), log: log) else {
            XCTFail("no hello")
            throw CancellationError()
        }
        XCTAssertEqual(hello.type, "hello")
        XCTAssertEqual(log.text, "starting\n")
        return (channel, worker)
    }

    func testACallsOutputIsItsOwnAndTheAnswerWaitsForIt() async throws {
        let (channel, worker) = try await greeted()
        let call = try closedOnExecPipe()
        let ours = dup(call.write)
        Thread.detachNewThread {
            let request = worker.receive()
            XCTAssertGreaterThan(request.count, 8)
            worker.print("not the call's\n")
            worker.print(String(repeating: "x", count: 100_000), to: ours)
            worker.print("\nlast line\n", to: ours)
            close(ours)
            worker.send(Self.frame("result"))
        }
        let log = LogCapture(limit: 1 << 20)
        let outcome = await channel.exchange(Self.frame("invoke"), attachments: [call.write], callOutput: call.read, deadline: .now + .seconds(5), log: log)
        guard case .frame(let result) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(result.type, "result")
        XCTAssertEqual(log.text, String(repeating: "x", count: 100_000) + "\nlast line\n")
        channel.close()
    }

    func testNoAnswerInTimeIsATimeout() async throws {
        let (channel, _) = try await greeted()
        let started = ContinuousClock.now
        let outcome = await channel.exchange(Self.frame("invoke"), deadline: .now + .milliseconds(50), log: nil)
        guard case .timedOut = outcome else { return XCTFail("\(outcome)") }
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - started, .milliseconds(50))
        channel.close()
    }

    func testCloseEndsThePendingExchangeAndEveryLaterOne() async throws {
        let (channel, _) = try await greeted()
        async let pending = channel.exchange(Self.frame("invoke"), deadline: nil, log: nil)
        try await Task.sleep(for: .milliseconds(20))
        channel.close()
        channel.close()
        guard case .closed = await pending else { return XCTFail("pending exchange not closed") }
        guard case .closed = await channel.exchange(Self.frame("invoke"), deadline: nil, log: nil) else { return XCTFail("later exchange not closed") }
    }

    func testAWorkerThatSpeaksUnaskedIsClosedWhileIdle() async throws {
        let (channel, worker) = try await greeted()
        let closed = expectation(description: "closed while idle")
        channel.whenClosedWhileIdle { closed.fulfill() }
        worker.send(Self.frame("result"))
        await fulfillment(of: [closed], timeout: 5)
        guard case .closed = await channel.exchange(Self.frame("invoke"), deadline: .now + .seconds(5), log: nil) else { return XCTFail("not closed") }
        channel.close()
    }

    func testAWorkerThatDiesWhileIdleIsReported() async throws {
        let (channel, worker) = try await greeted()
        let closed = expectation(description: "closed while idle")
        channel.whenClosedWhileIdle { closed.fulfill() }
        close(worker.control)
        await fulfillment(of: [closed], timeout: 5)
        // Registered after the fact: runs at once.
        let again = expectation(description: "already closed")
        channel.whenClosedWhileIdle { again.fulfill() }
        await fulfillment(of: [again], timeout: 1)
        channel.close()
    }

    func testOutputBetweenCallsIsReadAndDropped() async throws {
        let (channel, worker) = try await greeted()
        // More than a pipe holds: a writer left behind must never block.
        let flood = [UInt8](repeating: 0x41, count: 1 << 20)
        let wrote = expectation(description: "wrote it all")
        Thread.detachNewThread {
            var done = 0
            while done < flood.count {
                let n = flood[done...].withUnsafeBytes { write(worker.output, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                done += n
            }
            XCTAssertEqual(done, flood.count)
            wrote.fulfill()
        }
        await fulfillment(of: [wrote], timeout: 10)
        channel.close()
    }

    func testManyChannelsShareOneThread() async throws {
        func threads() -> Int {
            let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
            return Int(status.split(separator: "\n").first { $0.hasPrefix("Threads:") }?.split(separator: "\t").last ?? "") ?? 0
        }
        _ = try await greeted()  // the loop's thread is there
        let before = threads()
        var channels: [(WorkerChannel, FakeWorker)] = []
        for _ in 0..<64 { channels.append(try await greeted()) }
        XCTAssertLessThanOrEqual(threads(), before + 1)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (channel, worker) in channels {
                group.addTask {
                    Thread.detachNewThread {
                        _ = worker.receive()
                        worker.send(Self.frame("result"))
                    }
                    let outcome = await channel.exchange(Self.frame("invoke"), deadline: .now + .seconds(10), log: nil)
                    guard case .frame(let result) = outcome, result.type == "result" else { return XCTFail("\(outcome)") }
                }
            }
            try await group.waitForAll()
        }
        for (channel, worker) in channels {
            channel.close()
            close(worker.control)
            close(worker.output)
        }
    }
}
