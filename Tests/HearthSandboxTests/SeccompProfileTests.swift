import Foundation
@testable import HearthSandbox
import XCTest

final class SeccompProfileTests: XCTestCase {
    var directory: URL!

    override func setUp() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("profiles-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
    }

    func load(_ text: String) throws(SandboxError) -> SeccompProfile {
        let file = directory.appendingPathComponent("p.json")
        try? Data(text.utf8).write(to: file)
        return try SeccompProfile.load(file: file)
    }

    func assertRefused(_ text: String, saying expected: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try load(text)
            XCTFail("accepted: \(text)", file: file, line: line)
        } catch {
            XCTAssertTrue(error.description.contains(expected), "\(error.description) lacks \(expected)", file: file, line: line)
            XCTAssertTrue(error.description.contains("p.json"), file: file, line: line)
        }
    }

    func testTheShippedProfilesCompile() throws {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../sandbox-profiles")
        let profiles = try SeccompProfile.loadAll(directory: shipped)
        XCTAssertEqual(Set(profiles.keys), ["default", "untrusted"])
        for profile in profiles.values { XCTAssertGreaterThan(profile.instructionCount, 50) }
    }

    func testAMinimalProfileCompiles() throws {
        let profile = try load(#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "comment": "io"}, {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}]}]}"#)
        XCTAssertGreaterThan(profile.instructionCount, 3)
        XCTAssertEqual(profile.name, "p")
    }

    func testNetworkIsNoneUnlessTheProfileSaysHost() throws {
        let minimal = #""defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]"#
        XCTAssertFalse(try load("{\(minimal)}").network)
        XCTAssertFalse(try load(#"{\#(minimal), "network": "none"}"#).network)
        XCTAssertTrue(try load(#"{\#(minimal), "network": "host"}"#).network)
        assertRefused(#"{\#(minimal), "network": true}"#, saying: #"network: must be "none" or "host""#)
    }

    func testARuleWithTheDefaultActionIsRedundantNotAnError() throws {
        XCTAssertNoThrow(try load(#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "syscalls": [{"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}"#))
    }

    func testMistakesAreNamedWithTheirPath() {
        assertRefused("{nope", saying: "not valid JSON")
        assertRefused(#"{"defaultAction": "SCMP_ACT_MAYBE", "syscalls": []}"#, saying: "\"defaultAction\" must be one of")
        assertRefused(#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read", "frobnicate"], "action": "SCMP_ACT_ALLOW"}]}"#,
                      saying: #"syscalls[0].names[1]: unknown syscall "frobnicate""#)
        assertRefused(#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}"#,
                      saying: #"syscalls[0]: unknown key "includes""#)
        assertRefused(#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 9, "op": "SCMP_CMP_EQ"}]}]}"#,
                      saying: "syscalls[0].args[0].index must be 0 to 5")
        assertRefused(#"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_Z80"], "syscalls": []}"#, saying: "unknown architecture")
        assertRefused(#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": -1}]}"#,
                      saying: "errnoRet must be an errno number")
        assertRefused(#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": {}}"#, saying: "\"syscalls\" must be an array")
        assertRefused(#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [], "extra": 1}"#, saying: "unknown key \"extra\"")
    }
}

final class SandboxPartsTests: XCTestCase {
    func testHostIdentitiesAreUniqueAndComeBack() throws {
        let identities = HostIdentities(range: 1000...1002)
        let taken = try (0..<3).map { _ in try identities.acquire() }
        XCTAssertEqual(Set(taken), [1000, 1001, 1002])
        XCTAssertThrowsError(try identities.acquire())
        identities.release(1001)
        XCTAssertEqual(try identities.acquire(), 1001)
    }

    func testUidRangeComesFromSubuid() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("subuid-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("alice:100000:65536\nroot:300000:1000\n".utf8).write(to: file)
        XCTAssertEqual(HostIdentities.defaultRange(subuidFile: file.path), 300_000...300_999)
        XCTAssertEqual(HostIdentities.defaultRange(subuidFile: "/nonexistent"), 524_288...589_823)
    }

    func testCpuQuotaIsQinlingsFormula() {
        XCTAssertEqual(CgroupLimits(memory: 1, pids: 1, millicpu: 100).quotaMicroseconds, 10_000)
        XCTAssertEqual(CgroupLimits(memory: 1, pids: 1, millicpu: 1000).quotaMicroseconds, 100_000)
    }

    func testWorldTraversal() throws {
        let top = FileManager.default.temporaryDirectory.appendingPathComponent("trav-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: top) }
        try FileManager.default.createDirectory(at: top.appendingPathComponent("a/b"), withIntermediateDirectories: true)
        chmod(top.path, 0o755)
        chmod(top.appendingPathComponent("a").path, 0o700)
        XCTAssertFalse(Sandbox.isWorldTraversable(top.appendingPathComponent("a/b/c").path))
        chmod(top.appendingPathComponent("a").path, 0o711)
        XCTAssertTrue(Sandbox.isWorldTraversable(top.appendingPathComponent("a/b/c").path))
    }
}
