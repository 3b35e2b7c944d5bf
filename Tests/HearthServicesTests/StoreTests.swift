import Foundation
import HearthCore
@testable import HearthStore
import Synchronization
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

    /// A store in `directory` holding one public runtime of project p and one function on it.
    func storeWithFunction(in directory: URL, gathering: DispatchTimeInterval = .milliseconds(2)) async throws -> (Store, Runtime, Function) {
        let store = try Store(directory: directory, gathering: gathering)
        let runtime = Runtime(id: Identifier.make(), name: nil, image: "python3", description: nil, isPublic: true, trusted: true,
                              status: .available, projectID: "p", createdAt: Date())
        try await store.insertRuntime(runtime)
        let function = Function(id: Identifier.make(), name: nil, description: nil, runtimeID: runtime.id, entry: "a.b",
                                cpu: 100, memorySize: 1, timeout: 1, packageMD5: "x", projectID: "p", createdAt: Date())
        try await store.insertFunction(function)
        return (store, runtime, function)
    }

    /// The execution insert on the call path is hand-written SQL: it must store what the
    /// Codable record reads back, and count the execution against its function.
    func testExecutionInsertStoresEveryField() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (store, runtime, function) = try await storeWithFunction(in: directory)
        let execution = Execution(
            id: Identifier.make(), functionID: function.id, functionVersion: 0, functionAlias: "alias", description: "d é",
            status: .running, sync: false, input: "{\"a\": 1}", result: "{}", projectID: "p",
            createdAt: Date(timeIntervalSince1970: 1_795_437_840.5), updatedAt: Date(timeIntervalSince1970: -86_399.25),
            startedAt: Date(timeIntervalSince1970: 951_782_400), destinationChain: ["f1", "f2"]
        )
        try store.insertExecution(execution, runtimeID: runtime.id) { read in XCTAssertEqual(read?.id, runtime.id) }
        let stored = try await store.execution(id: execution.id)
        XCTAssertEqual(stored, execution)
        let counted = try await store.function(id: function.id)
        XCTAssertEqual(counted?.count, 1)
        var refused = execution
        refused.id = Identifier.make()
        XCTAssertThrowsError(try store.insertExecution(refused, runtimeID: runtime.id) { _ in throw CocoaError(.featureUnsupported) })
        let notStored = try await store.execution(id: refused.id)
        XCTAssertNil(notStored)
        try store.close()
    }

    /// A sync execution is stored once, when it ends; while it runs a list merges it in from
    /// memory, filtered by the same SQL as the stored rows, and lists it once if it was
    /// stored meanwhile. A deleted one is counted and not stored.
    func testLiveExecutionsAreFilteredLikeStoredOnesAndStoredOnceWhenTheyEnd() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (store, runtime, function) = try await storeWithFunction(in: directory)
        func execution(_ description: String, sync: Bool, at second: Double) -> Execution {
            Execution(id: Identifier.make(), functionID: function.id, functionVersion: 0, functionAlias: nil, description: description,
                      status: .running, sync: sync, input: nil, projectID: "p", createdAt: Date(timeIntervalSince1970: 1_795_437_840 + second))
        }
        let queued = execution("queued", sync: false, at: 0)
        try store.insertExecution(queued, runtimeID: runtime.id) { _ in }
        let live = [execution("live one", sync: true, at: 1), execution("live two", sync: true, at: 2)]
        func listed(_ filters: [String: String], scope: ListQuery.Scope = .project("p")) async throws -> [String?] {
            let query = ListQuery(scope: scope, filters: filters.map { ListFilter(field: $0.key, expression: $0.value) })
            return try await store.executions(query, including: live).map(\.description)
        }
        var all = try await listed([:])
        XCTAssertEqual(all, ["queued", "live one", "live two"])
        all = try await listed([:], scope: .project("other"))
        XCTAssertEqual(all, [])
        var some = try await listed(["sync": "1", "function_version": "0"])
        XCTAssertEqual(some, ["live one", "live two"])
        some = try await listed(["function_version": "gt:0"])
        XCTAssertEqual(some, [])
        some = try await listed(["description": "has:two", "status": "running"])
        XCTAssertEqual(some, ["live two"])

        var ended = live[1]
        ended.status = .success
        ended.result = "{\"output\": null}"
        ended.updatedAt = Date()
        try await store.storeFinished(ended, log: "printed\n") { false }
        let both = try await store.executions(ListQuery(scope: .all), including: live)
        XCTAssertEqual(both.map(\.description), ["queued", "live one", "live two"])
        XCTAssertEqual(both.last?.status, .success)
        let log = try await store.executionLog(id: ended.id)
        XCTAssertEqual(log, "printed\n")

        try await store.storeFinished(live[0], log: "gone\n") { true }
        let deleted = try await store.execution(id: live[0].id)
        XCTAssertNil(deleted)
        let counted = try await store.function(id: function.id)
        XCTAssertEqual(counted?.count, 3)
        try store.close()
    }

    /// What a call reads of its function and runtime comes from memory, and every committed
    /// change but the per-call count is seen by the next call.
    func testCallsSeeEveryCommittedChangeToTheirFunctionAndRuntime() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (store, runtime, function) = try await storeWithFunction(in: directory)
        XCTAssertEqual(try store.functionToRun(id: function.id)?.entry, "a.b")
        XCTAssertEqual(try store.runtimeStatusNow(id: runtime.id), .available)
        var changed = function
        changed.entry = "c.d"
        changed.memorySize = 2
        try await store.updateFunction(changed)
        XCTAssertEqual(try store.functionToRun(id: function.id)?.entry, "c.d")
        XCTAssertEqual(try store.functionToRun(id: function.id)?.memorySize, 2)
        _ = try await store.setRuntimeStatus(id: runtime.id, .error, reason: "test")
        XCTAssertEqual(try store.runtimeStatusNow(id: runtime.id), .error)
        // Counting calls changes nothing a call runs.
        let ended = Execution(id: Identifier.make(), functionID: function.id, functionVersion: 0, functionAlias: nil, description: nil,
                              status: .success, sync: true, input: nil, projectID: "p", createdAt: Date())
        try await store.storeFinished(ended, log: nil) { false }
        XCTAssertEqual(try store.functionToRun(id: function.id)?.entry, "c.d")
        let counted = try await store.function(id: function.id)
        XCTAssertEqual(counted?.count, 1)
        // A function a call has seen is gone for the next one once deleted, and a new one
        // is found at once.
        try await store.deleteExecution(id: ended.id)
        let removed = try await store.deleteFunction(id: function.id)
        XCTAssertTrue(removed)
        XCTAssertNil(try store.functionToRun(id: function.id))
        var other = function
        other.id = Identifier.make()
        XCTAssertNil(try store.functionToRun(id: other.id))
        try await store.insertFunction(other)
        XCTAssertEqual(try store.functionToRun(id: other.id)?.id, other.id)
        try store.close()
    }

    /// The code a call hands the pool follows every commit to the function, its versions and
    /// its FunctionGraph settings and names, although it is read from memory in between.
    func testCallsRunTheCodeOfTheirVersionAsCommitted() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (store, _, function) = try await storeWithFunction(in: directory)
        XCTAssertEqual(try store.codeToRun(of: function, version: 0), VersionCode(packageMD5: "x"))
        XCTAssertNil(try store.codeToRun(of: function, version: 1))
        guard case .created = try await store.createVersion(functionID: function.id, description: nil, maxVersions: 10) else {
            return XCTFail("version 1 was not created")
        }
        var updated = function
        updated.packageMD5 = "y"
        try await store.updateFunction(updated)
        // Version 0 runs the function's package now, version 1 the one it was made with.
        XCTAssertEqual(try store.codeToRun(of: updated, version: 0)?.packageMD5, "y")
        XCTAssertEqual(try store.codeToRun(of: updated, version: 1)?.packageMD5, "x")
        let settings = FunctionGraphSettings(functionID: function.id, package: "default", runtime: "Python3.9", userData: "{\"A\": \"1\"}",
                                             codeType: "zip", codeFilename: nil, concurrency: nil, updatedAt: Date())
        try await store.saveFunctionGraphSettings(settings)
        XCTAssertEqual(try store.codeToRun(of: updated, version: 0)?.functionGraph?.userData, settings.userData)
        XCTAssertNil(try store.codeToRun(of: updated, version: 1)?.versionName)
        try await store.insertVersionName(FunctionGraphVersionName(functionID: function.id, versionNumber: 1, name: "v1"))
        XCTAssertEqual(try store.codeToRun(of: updated, version: 1)?.versionName, "v1")
        var changed = settings
        changed.userData = "{}"
        try await store.saveFunctionGraphSettings(changed)
        XCTAssertEqual(try store.codeToRun(of: updated, version: 1)?.functionGraph?.userData, "{}")
        // Counting calls of the function and of a version empties nothing: every call counts.
        let generation = store.definitions.generation
        for version in [0, 1] {
            let ended = Execution(id: Identifier.make(), functionID: function.id, functionVersion: version, functionAlias: nil, description: nil,
                                  status: .success, sync: true, input: nil, projectID: "p", createdAt: Date())
            try await store.storeFinished(ended, log: nil) { false }
            try await store.deleteExecution(id: ended.id)
        }
        XCTAssertEqual(store.definitions.generation, generation)
        let deleted = try await store.deleteVersion(functionID: function.id, number: 1)
        XCTAssertTrue(deleted)
        XCTAssertNil(try store.codeToRun(of: updated, version: 1))
        try store.close()
    }

    /// Executions ending together are stored together; one that cannot be stored fails alone.
    func testExecutionsEndingTogetherAreAllStoredAndAFailureStaysWithItsCaller() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (store, _, function) = try await storeWithFunction(in: directory)
        let count = 200
        func ended(_ id: String) -> Execution {
            Execution(id: id, functionID: function.id, functionVersion: 0, functionAlias: nil,
                      description: nil, status: .success, sync: true, input: nil, projectID: "p", createdAt: Date())
        }
        try await store.storeFinished(ended("taken"), log: nil) { false }
        let failures = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<count {
                group.addTask {
                    // Every tenth has an id already stored.
                    do {
                        try await store.storeFinished(ended(i % 10 == 0 ? "taken" : "e\(i)"), log: "log \(i)\n") { false }
                        return false
                    } catch StoreError.duplicate(let table, _) {
                        XCTAssertEqual(table, "executions")
                        XCTAssertEqual(i % 10, 0)
                        return true
                    }
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        XCTAssertEqual(failures, count / 10)
        let stored = try await store.executions(ListQuery(scope: .all))
        XCTAssertEqual(stored.count, 1 + count - count / 10)
        for i in [1, 55, 199] {
            let log = try await store.executionLog(id: "e\(i)")
            XCTAssertEqual(log, "log \(i)\n")
        }
        let counted = try await store.function(id: function.id)
        XCTAssertEqual(counted?.count, 1 + count - count / 10)
        try store.close()
    }

    /// A sync execution's record is stored a moment after its caller has the answer; a read
    /// of counts waits for it, and a stop in that moment still stores it.
    func testFinishedExecutionsQueuedAtCloseAreStoredAndCounted() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (store, _, function) = try await storeWithFunction(in: directory, gathering: .seconds(600))
        let stored = Mutex(0)
        func finish(_ range: Range<Int>) async {
            for i in range {
                let ended = Execution(id: "q\(i)", functionID: function.id, functionVersion: 0, functionAlias: nil, description: nil,
                                      status: .success, sync: true, input: nil, projectID: "p", createdAt: Date())
                await store.storeFinishedExecution(ended, log: "log \(i)\n", deleted: { i == 7 }) { error in
                    XCTAssertNil(error)
                    stored.withLock { $0 += 1 }
                }
            }
        }
        await finish(0..<10)
        // Not yet written: the first waits ten minutes for others; a read of counts does not.
        XCTAssertEqual(stored.withLock { $0 }, 0)
        await store.finishedExecutionsStored()
        XCTAssertEqual(stored.withLock { $0 }, 10)
        let early = try await store.function(id: function.id)
        XCTAssertEqual(early?.count, 10)
        await finish(10..<30)
        XCTAssertEqual(stored.withLock { $0 }, 10)
        try store.close()
        XCTAssertEqual(stored.withLock { $0 }, 30)
        let reopened = try Store(directory: directory)
        let rows = try await reopened.executions(ListQuery(scope: .all))
        XCTAssertEqual(rows.count, 29)
        XCTAssertFalse(rows.contains { $0.id == "q7" })
        let log = try await reopened.executionLog(id: "q29")
        XCTAssertEqual(log, "log 29\n")
        let counted = try await reopened.function(id: function.id)
        XCTAssertEqual(counted?.count, 30)
        try reopened.close()
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

extension Store {
    /// Stores a finished sync execution and waits for its commit, with its error if it had one.
    func storeFinished(_ execution: Execution, log: String?, deleted: @escaping @Sendable () -> Bool) async throws {
        let outcome = Mutex<(any Error)??>(nil)
        await storeFinishedExecution(execution, log: log, deleted: deleted) { error in outcome.withLock { $0 = .some(error) } }
        await finishedExecutionsStored()
        let stored = outcome.withLock { $0 }
        guard let stored else { return XCTFail("not stored after the flush") }
        if let error = stored { throw error }
    }
}
