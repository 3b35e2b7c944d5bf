import Foundation
import HearthCore
import HearthPool
import HearthStore
import Logging

/// FunctionGraph function lifecycle, mapped onto Hearth functions: `handler` is the entry,
/// `memory_size` (MB) and `timeout` the limits, `func_code.file` the zip package, `user_data`
/// the workers' environment. The function is an ordinary Hearth function, visible to the
/// Qinling API too; what Qinling has no field for is kept in `functiongraph_settings`.
public struct FunctionGraphFunctions: Sendable {
    let store: Store
    let functions: FunctionService
    let settings: ServiceSettings
    let pool: WorkerPool?
    let logger: Logger
    let digests = PackageDigests()

    public init(store: Store, functions: FunctionService, settings: ServiceSettings, pool: WorkerPool?, logger: Logger) {
        self.store = store
        self.functions = functions
        self.settings = settings
        self.pool = pool
        self.logger = logger
    }

    // MARK: - Resolution

    /// The function and version a URN names in `project` (the path's project). A URN of
    /// another project, or a function of another package, is not found.
    public func resolve(_ urn: FunctionURN, project: String) async throws -> ResolvedFunction {
        if let other = urn.projectID, other != project { throw FunctionGraphError.functionNotFound() }
        for function in try await store.functions(projectID: project, name: urn.name) {
            let face = try await store.functionGraphSettings(functionID: function.id)
            guard (face?.package ?? "default") == urn.package else { continue }
            let head = ResolvedFunction(function: function, settings: face)
            switch urn.qualifier {
            case .latest:
                return head
            case .version(let name):
                if let resolved = try await version(named: name, of: head) { return resolved }
                // FunctionGraph also accepts an alias without its `!`.
                if let resolved = try await alias(named: name, of: head) { return resolved }
                throw FunctionGraphError.versionNotFound(name)
            case .alias(let name):
                guard let resolved = try await alias(named: name, of: head) else { throw FunctionGraphError.aliasNotFound(name) }
                return resolved
            }
        }
        throw FunctionGraphError.functionNotFound()
    }

    // MARK: - Lifecycle

    public func create(_ draft: FunctionGraphFunctionDraft, by caller: Caller) async throws -> FunctionGraphFunction {
        let limits = settings.limits
        let name = try FunctionGraphValidation.funcName(draft.funcName)
        let package = try FunctionGraphValidation.package(draft.package)
        guard let runtimeName = draft.runtime, let manifest = FunctionGraphRuntime.manifest(for: runtimeName) else {
            throw FunctionGraphError(.badRequest, "FSS.1005", "Invalid runtime '\(draft.runtime ?? "")'. \(FunctionGraphRuntime.unsupported)")
        }
        let handler = try FunctionGraphValidation.handler(draft.handler)
        let memory = try FunctionGraphValidation.memory(draft.memorySize, limits: limits)
        let timeout = try FunctionGraphValidation.timeout(draft.timeout, limits: limits)
        let codeType = try FunctionGraphValidation.codeType(draft.codeType)
        let userData = try checkedUserData(draft.userData)
        let concurrency = try FunctionGraphValidation.concurrency(draft.concurrency)
        try await FunctionGraphError.translating { try Limits.checkLength(draft.description, field: "description", max: 255) }
        let bytes = try FunctionGraphValidation.codeBytes(draft.codeFile, codeType: codeType)
        _ = try FunctionGraphValidation.package(bytes: bytes, settings: settings)
        let runtime = try await hearthRuntime(manifest: manifest, runtimeName: runtimeName, project: caller.projectID)
        if try await existing(name: name, package: package, project: caller.projectID) {
            throw FunctionGraphError(.conflict, "FSS.1061", "The function \(package):\(name) already exists.")
        }
        let function = try await FunctionGraphError.translating(badRequestCode: "FSS.1011") {
            try await functions.create(
                FunctionDraft(
                    name: name, description: draft.description, runtimeID: runtime.id, entry: handler,
                    cpu: FunctionGraphValidation.cpu(forMemory: memory, limits: limits), memorySize: memory, timeout: timeout,
                    code: .object(["source": .string("package")]), package: bytes
                ),
                by: caller
            )
        }
        let face = FunctionGraphSettings(
            functionID: function.id, package: package, runtime: runtimeName, userData: userData, codeType: codeType,
            codeFilename: draft.codeFilename, concurrency: concurrency, updatedAt: Date()
        )
        do {
            try await store.saveFunctionGraphSettings(face)
        } catch {
            try? await functions.delete(id: function.id, by: caller)
            throw error
        }
        return try await view(ResolvedFunction(function: function, settings: face))
    }

    /// A page of the project's functions (`marker` is an offset), optionally of one package or name.
    public func list(by caller: Caller, marker: Int, maxItems: Int, package: String?, name: String?) async throws -> (items: [FunctionGraphFunction], nextMarker: Int, count: Int) {
        var all: [FunctionGraphFunction] = []
        for function in try await store.functions(.init(scope: .project(caller.projectID))) {
            if let name, function.name != name { continue }
            let face = try await store.functionGraphSettings(functionID: function.id)
            if let package, (face?.package ?? "default") != package { continue }
            all.append(try await view(ResolvedFunction(function: function, settings: face)))
        }
        return page(all, marker: marker, maxItems: maxItems)
    }

    /// The function model of a resolved version.
    public func view(_ resolved: ResolvedFunction) async throws -> FunctionGraphFunction {
        let (codeSize, digest) = digests.entry(functionID: resolved.function.id, md5: resolved.packageMD5) {
            (try? store.packages.read(functionID: resolved.function.id, md5: resolved.packageMD5)) ?? Data()
        }
        let face = resolved.settings
        var runtimeName = face?.runtime
        if runtimeName == nil {
            let image = try await store.runtime(id: resolved.function.runtimeID)?.image ?? ""
            let manifest = (try? RuntimeCatalog(directory: settings.runtimesDirectory).resolve(image: image).get())?.name ?? image
            runtimeName = FunctionGraphRuntime.defaultName(forManifest: manifest)
        }
        return FunctionGraphFunction(
            function: resolved.function, package: resolved.package, runtime: runtimeName ?? "", userData: face?.userData,
            codeType: face?.codeType ?? "zip", codeFilename: face?.codeFilename, concurrency: face?.concurrency ?? -1,
            version: resolved.versionName, codeSize: codeSize, digest: digest, lastModified: resolved.modified
        )
    }

    /// The package, for `GET …/code`.
    public func package(of function: Function) throws -> Data {
        do {
            return try store.packages.read(functionID: function.id, md5: function.packageMD5)
        } catch {
            throw FunctionGraphError(.notFound, "FSS.0404", "The function's code package is missing from the data directory.")
        }
    }

    public func updateConfig(_ resolved: ResolvedFunction, _ draft: FunctionGraphFunctionDraft, by caller: Caller) async throws -> FunctionGraphFunction {
        try latestOnly(resolved, "config")
        let limits = settings.limits
        if let name = draft.funcName, name != (resolved.function.name ?? resolved.function.id) {
            throw FunctionGraphError(.badRequest, "FSS.1002", "func_name cannot be changed (it is '\(resolved.function.name ?? "")').")
        }
        let current = try await view(resolved)
        let runtimeName = draft.runtime ?? current.runtime
        let manifest = FunctionGraphRuntime.manifest(for: runtimeName)
        guard manifest != nil, manifest == FunctionGraphRuntime.manifest(for: current.runtime) else {
            throw FunctionGraphError(.badRequest, "FSS.1005", "Invalid runtime '\(runtimeName)': a function keeps its runtime family (\(current.runtime)). \(FunctionGraphRuntime.unsupported)")
        }
        let handler = try FunctionGraphValidation.handler(draft.handler ?? resolved.function.entry)
        let memory = try FunctionGraphValidation.memory(draft.memorySize ?? (resolved.function.memorySize >> 20), limits: limits)
        let timeout = try FunctionGraphValidation.timeout(draft.timeout ?? resolved.function.timeout, limits: limits)
        let userData = try draft.userData.map { try checkedUserData($0) } ?? current.userData
        let concurrency = try FunctionGraphValidation.concurrency(draft.concurrency) ?? resolved.settings?.concurrency
        let function = try await FunctionGraphError.translating {
            try await functions.update(
                id: resolved.function.id,
                FunctionPatch(
                    description: draft.description, entry: handler, cpu: FunctionGraphValidation.cpu(forMemory: memory, limits: limits),
                    memorySize: memory, timeout: timeout
                ),
                by: caller
            )
        }
        let face = FunctionGraphSettings(
            functionID: function.id, package: current.package, runtime: runtimeName, userData: userData, codeType: current.codeType,
            codeFilename: current.codeFilename, concurrency: concurrency, updatedAt: Date()
        )
        try await store.saveFunctionGraphSettings(face)
        // The environment is set when a worker loads the code: workers of the old one must go.
        await pool?.detach(functionID: function.id, version: nil)
        return try await view(ResolvedFunction(function: function, settings: face))
    }

    public func updateCode(_ resolved: ResolvedFunction, _ draft: FunctionGraphFunctionDraft, by caller: Caller) async throws -> FunctionGraphFunction {
        try latestOnly(resolved, "code")
        let codeType = try FunctionGraphValidation.codeType(draft.codeType)
        let bytes = try FunctionGraphValidation.codeBytes(draft.codeFile, codeType: codeType)
        _ = try FunctionGraphValidation.package(bytes: bytes, settings: settings)
        let function = try await FunctionGraphError.translating(badRequestCode: "FSS.1011") {
            try await functions.update(
                id: resolved.function.id, FunctionPatch(code: .object(["source": .string("package")]), package: bytes), by: caller
            )
        }
        var face = resolved.settings
        if var changed = face {
            changed.codeType = codeType
            changed.codeFilename = draft.codeFilename ?? changed.codeFilename
            changed.updatedAt = Date()
            try await store.saveFunctionGraphSettings(changed)
            face = changed
        }
        return try await view(ResolvedFunction(function: function, settings: face))
    }

    /// Deletes the whole function (with `latest` or no qualifier).
    public func delete(_ resolved: ResolvedFunction, by caller: Caller) async throws {
        try latestOnly(resolved, "delete")
        try await FunctionGraphError.translating { try await functions.delete(id: resolved.function.id, by: caller) }
    }

    // MARK: - Helpers

    func latestOnly(_ resolved: ResolvedFunction, _ what: String) throws(FunctionGraphError) {
        guard resolved.version == 0 else {
            throw FunctionGraphError.invalid("Only the latest version's \(what) can be changed; published versions are immutable.")
        }
    }

    func checkedUserData(_ text: String?) throws(FunctionGraphError) -> String? {
        guard let text, !text.isEmpty else { return nil }
        _ = try FunctionGraphUserData.parse(text)
        return text
    }

    /// Whether the project already has a function of that name in that package.
    func existing(name: String, package: String, project: String) async throws -> Bool {
        for function in try await store.functions(projectID: project, name: name) {
            if try await (store.functionGraphSettings(functionID: function.id)?.package ?? "default") == package { return true }
        }
        return false
    }

    /// The oldest available runtime visible to the project that runs this manifest.
    func hearthRuntime(manifest: String, runtimeName: String, project: String) async throws -> Runtime {
        let catalog = RuntimeCatalog(directory: settings.runtimesDirectory)
        for runtime in try await store.runtimes(.init(scope: .projectOrPublic(project))) where runtime.status == .available {
            if (try? catalog.resolve(image: runtime.image).get())?.name == manifest { return runtime }
        }
        throw FunctionGraphError(
            .badRequest, "FSS.1005",
            "No available Hearth runtime runs \(runtimeName) for this project: an operator creates one with POST /v1/runtimes {\"image\": \"\(manifest)\"}."
        )
    }
}
