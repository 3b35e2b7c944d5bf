import Foundation
import HearthCore
import HearthStore
import XCTest

final class StoreTests: XCTestCase {
    func testReopenKeepsRowsAndTheSchemaMigratesOnce() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let runtime = Runtime(id: Identifier.make(), name: "r", image: "python3", description: nil, isPublic: false, trusted: true,
                              status: .available, projectID: "p", createdAt: Date(timeIntervalSince1970: 1000))
        do {
            let store = try Store(directory: directory)
            try await store.insertRuntime(runtime)
            try store.close()
        }
        let store = try Store(directory: directory)
        let reread = try await store.runtime(id: runtime.id)
        XCTAssertEqual(reread, runtime)
        let visible = try await store.runtimes(ListQuery(scope: .projectOrPublic("other")))
        XCTAssertTrue(visible.isEmpty)
        let own = try await store.runtimes(ListQuery(scope: .projectOrPublic("p")))
        XCTAssertEqual(own, [runtime])
        try store.close()
    }

    func testDuplicateIdsAndDanglingReferencesAreStoreErrors() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try Store(directory: directory)
        let runtime = Runtime(id: Identifier.make(), name: nil, image: "python3", description: nil, isPublic: true, trusted: true,
                              status: .available, projectID: "p", createdAt: Date())
        try await store.insertRuntime(runtime)
        do {
            try await store.insertRuntime(runtime)
            XCTFail("duplicate accepted")
        } catch StoreError.duplicate(let table, _) {
            XCTAssertEqual(table, "runtimes")
        }
        let orphan = Function(id: Identifier.make(), name: nil, description: nil, runtimeID: Identifier.make(), entry: "a.b",
                              cpu: 100, memorySize: 1, timeout: 1, packageMD5: "x", projectID: "p", createdAt: Date())
        do {
            try await store.insertFunction(orphan)
            XCTFail("function on a missing runtime accepted")
        } catch StoreError.stillReferenced {}
        var function = orphan
        function.runtimeID = runtime.id
        try await store.insertFunction(function)
        do {
            try await store.deleteRuntime(id: runtime.id)
            XCTFail("runtime in use deleted")
        } catch StoreError.stillReferenced {}
        try store.close()
    }

    func testFilterOperators() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try Store(directory: directory)
        for (i, name) in ["alpha", "beta", "gam%ma"].enumerated() {
            try await store.insertRuntime(Runtime(id: Identifier.make(), name: name, image: "python3", description: nil, isPublic: true,
                                                  trusted: i == 0, status: .available, projectID: "p", createdAt: Date()))
        }
        func names(_ filter: ListFilter) async throws -> [String] {
            try await store.runtimes(ListQuery(scope: .all, filters: [filter])).compactMap(\.name)
        }
        var result = try await names(ListFilter(field: "name", expression: "in:alpha,gam%ma"))
        XCTAssertEqual(result, ["alpha", "gam%ma"])
        result = try await names(ListFilter(field: "name", expression: "nin:alpha"))
        XCTAssertEqual(result, ["beta", "gam%ma"])
        result = try await names(ListFilter(field: "name", expression: "has:%"))
        XCTAssertEqual(result, ["gam%ma"])
        result = try await names(ListFilter(field: "name", expression: "gt:alpha"))
        XCTAssertEqual(result, ["beta", "gam%ma"])
        result = try await names(ListFilter(field: "trusted", expression: "1"))
        XCTAssertEqual(result, ["alpha"])
        try store.close()
    }
}
