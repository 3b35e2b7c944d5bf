import Foundation
import HearthCore
import HearthServices
import XCTest

final class FunctionServiceTests: XCTestCase {
    var fixture: Fixture!

    override func setUp() async throws {
        fixture = try Fixture()
    }

    override func tearDown() async throws {
        fixture.cleanUp()
    }

    func draft(runtime: Runtime, package: [UInt8]? = nil, code: JSONValue = .object(["source": .string("package")])) throws -> FunctionDraft {
        FunctionDraft(runtimeID: runtime.id, entry: "hello.main", code: code, package: try package ?? makeZip([("hello.py", "def main(): pass")]))
    }

    func testCreateStoresThePackageAndDefaults() async throws {
        let runtime = try await fixture.availableRuntime()
        let bytes = try makeZip([("hello.py", "def main(): pass")])
        let function = try await fixture.hearth.functions.create(try draft(runtime: runtime, package: bytes), by: Fixture.admin)
        XCTAssertEqual(function.cpu, 100)
        XCTAssertEqual(function.memorySize, 33_554_432)
        XCTAssertEqual(function.timeout, 5)
        let stored = try await fixture.hearth.functions.package(id: function.id, by: Fixture.admin)
        XCTAssertEqual(Array(stored), bytes)
    }

    func testPackageChecks() async throws {
        let runtime = try await fixture.availableRuntime()
        let cases: [([UInt8], String)] = [
            (Array("plain text".utf8), "not a valid ZIP"),
            (try makeZip([("../up.py", "x")]), "points outside"),
            (try makeZip([("/abs.py", "x")]), "points outside"),
            (try makeZip([("ok.py", "x")], symlink: "link.py"), "symbolic link"),
            (try makeZip([("big.txt", String(repeating: "a", count: 5 << 20))]), "expands to more than"),
        ]
        for (bytes, message) in cases {
            do {
                _ = try await fixture.hearth.functions.create(try draft(runtime: runtime, package: bytes), by: Fixture.admin)
                XCTFail("accepted: \(message)")
            } catch let error as ServiceError {
                XCTAssertTrue(error.description.contains(message), "\(error) lacks \(message)")
            }
        }
    }

    func testOversizedPackageIsTooLarge() async throws {
        let runtime = try await fixture.availableRuntime()
        let big = try makeZip([("noise.bin", (0..<(1 << 21)).map { _ in String(UInt8.random(in: 0...255), radix: 36) }.joined())])
        do {
            _ = try await fixture.hearth.functions.create(try draft(runtime: runtime, package: big), by: Fixture.admin)
            XCTFail("accepted")
        } catch ServiceError.tooLarge(let message) {
            XCTAssertTrue(message.contains("max_package_size"))
        }
    }

    func testUpdateKeepsOnlyPackagesInUse() async throws {
        let runtime = try await fixture.availableRuntime()
        let function = try await fixture.hearth.functions.create(try draft(runtime: runtime), by: Fixture.admin)
        let second = try makeZip([("hello.py", "def main(): return 2")])
        let updated = try await fixture.hearth.functions.update(id: function.id, FunctionPatch(package: second), by: Fixture.admin)
        XCTAssertNotEqual(updated.packageMD5, function.packageMD5)
        let folder = fixture.store.packages.url(functionID: function.id, md5: updated.packageMD5).deletingLastPathComponent()
        // The package in use and its unpacked copy (made when it was stored); the old one's are gone.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), [updated.packageMD5, "\(updated.packageMD5).zip"])
        try await fixture.hearth.functions.delete(id: function.id, by: Fixture.admin)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.path))
    }

    func testOtherProjectsSeeNothing() async throws {
        let runtime = try await fixture.availableRuntime()
        let function = try await fixture.hearth.functions.create(try draft(runtime: runtime), by: Fixture.admin)
        await XCTAssertThrowsServiceError(.notFound("Function not found [id=\(function.id)]")) {
            _ = try await self.fixture.hearth.functions.show(id: function.id, by: Fixture.member)
        }
        let listed = try await fixture.hearth.functions.list(by: Fixture.member, filters: [], allProjects: false)
        XCTAssertTrue(listed.isEmpty)
        await XCTAssertThrowsServiceError(.notAllowed("Operation not allowed")) {
            _ = try await self.fixture.hearth.functions.list(by: Fixture.member, filters: [], allProjects: true)
        }
    }

    func testRuntimeInUseCannotBeDeleted() async throws {
        let runtime = try await fixture.availableRuntime()
        _ = try await fixture.hearth.functions.create(try draft(runtime: runtime), by: Fixture.admin)
        do {
            try await fixture.hearth.runtimes.delete(id: runtime.id, by: Fixture.admin)
            XCTFail("deleted a runtime in use")
        } catch ServiceError.notAllowed(let message) {
            XCTAssertTrue(message.contains("still in use by 1 function"))
        }
    }

    func testFiltersAreVetted() async throws {
        _ = try await fixture.availableRuntime()
        await XCTAssertThrowsServiceError(.invalidInput("")) {
            _ = try await self.fixture.hearth.runtimes.list(by: Fixture.admin, filters: [ListFilter(field: "nope", expression: "x")], allProjects: false)
        }
        let available = try await fixture.hearth.runtimes.list(by: Fixture.admin, filters: [ListFilter(field: "status", expression: "available")], allProjects: false)
        XCTAssertEqual(available.count, 1)
        let publicOnes = try await fixture.hearth.runtimes.list(by: Fixture.admin, filters: [ListFilter(field: "is_public", expression: "false")], allProjects: false)
        XCTAssertEqual(publicOnes.count, 0)
    }
}

/// Asserts that `body` throws a `ServiceError` of the same case (an empty expected message matches any).
func XCTAssertThrowsServiceError(_ expected: ServiceError, file: StaticString = #filePath, line: UInt = #line, _ body: () async throws -> Void) async {
    do {
        try await body()
        XCTFail("no error thrown", file: file, line: line)
    } catch let error as ServiceError {
        let caseName = { (e: ServiceError) in Mirror(reflecting: e).children.first?.label }
        XCTAssertEqual(caseName(error), caseName(expected), "\(error)", file: file, line: line)
        if !expected.description.isEmpty {
            XCTAssertEqual(error.description, expected.description, file: file, line: line)
        }
    } catch {
        XCTFail("unexpected \(error)", file: file, line: line)
    }
}
