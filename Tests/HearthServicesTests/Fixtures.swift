import Foundation
import HearthCore
import HearthServices
import HearthStore
import Logging
import ZipFixtures

/// A scratch data directory with a real store and a runtimes directory holding `python3`.
struct Fixture {
    let directory: URL
    let store: Store
    let hearth: Hearth

    static let admin = Caller(projectID: "default", isAdmin: true)
    static let member = Caller(projectID: "member", isAdmin: false)

    init(maxPackageSize: Int = 1 << 20) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hearth-unit-\(UUID().uuidString)")
        let runtimes = directory.appendingPathComponent("runtimes")
        try Self.writeManifest(in: runtimes, name: "python3", extra: #", "images": ["openstackqinling/python3-runtime"]"#)
        store = try Store(directory: directory.appendingPathComponent("data"))
        hearth = Hearth(
            store: store, settings: ServiceSettings(maxPackageSize: maxPackageSize, maxUnpackedSize: 1 << 22, runtimesDirectory: runtimes),
            pool: nil, logger: Logger(label: "test")
        )
    }

    static func writeManifest(in runtimes: URL, name: String, extra: String = "", body: String? = nil) throws {
        let folder = runtimes.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let text = body ?? #"{"name": "\#(name)", "command": ["/bin/true"]\#(extra)}"#
        try Data(text.utf8).write(to: folder.appendingPathComponent("manifest.json"))
    }

    func cleanUp() {
        try? store.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// An available runtime, as the API would leave it once provisioned.
    func availableRuntime(image: String = "python3", isPublic: Bool = true) async throws -> Runtime {
        let runtime = try await hearth.runtimes.create(RuntimeDraft(image: image, isPublic: isPublic), by: Self.admin)
        for _ in 0..<200 {
            let current = try await hearth.runtimes.show(id: runtime.id, by: Self.admin)
            if current.status != .creating { return current }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw CocoaError(.coderInvalidValue)
    }
}

extension Fixture {
    /// A function with a trivial `hello.main` on a fresh available runtime.
    func function() async throws -> Function {
        let runtime = try await availableRuntime()
        let draft = FunctionDraft(runtimeID: runtime.id, entry: "hello.main", code: .object(["source": .string("package")]),
                                  package: try makeZip([("hello.py", "def main(): pass")]))
        return try await hearth.functions.create(draft, by: Self.admin)
    }

    /// A job on a fresh function, created at `now`.
    func job(pattern: String?, count: Int? = nil, first: String? = nil, input: String? = nil, now: Date) async throws -> Job {
        let function = try await function()
        return try await hearth.jobs.create(
            JobDraft(name: nil, functionID: function.id, functionAlias: nil, functionVersion: nil, functionInput: input,
                     pattern: pattern, count: count, firstExecutionTime: first),
            by: Self.admin, now: now
        )
    }

    /// 2026-11-23T12:44:10Z: the clock of the job tests.
    static let jobClock = Date(timeIntervalSince1970: 1_795_437_850)
}

/// A zip in memory with the given entries (path → contents), deflated, and a symbolic link
/// to /etc/shadow if `symlink` names one.
func makeZip(_ entries: [(String, String)], symlink: String? = nil) throws -> [UInt8] {
    ZipWriter.zip(entries.map { ZipEntrySpec($0.0, $0.1) } + (symlink.map { [.symlink($0, to: "/etc/shadow")] } ?? []))
}
