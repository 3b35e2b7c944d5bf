import Foundation
import HearthCore
import HearthPool
import HearthStore
import Logging

/// Functions: a zip package, a runtime, an entry point and limits, owned by one project.
public struct FunctionService: Sendable {
    let store: Store
    let settings: ServiceSettings
    let pool: WorkerPool?
    let logger: Logger
    let unpacking = PackageUnpacking()

    public init(store: Store, settings: ServiceSettings, pool: WorkerPool?, logger: Logger) {
        self.store = store
        self.settings = settings
        self.pool = pool
        self.logger = logger
    }

    public static let filterableFields: [String: FilterField] = [
        "name": .text, "description": .text, "runtime_id": .text, "entry": .text,
        "cpu": .int, "memory_size": .int, "timeout": .int, "project_id": .text,
    ]

    public func create(_ draft: FunctionDraft, by caller: Caller) async throws -> Function {
        guard let code = draft.code else {
            throw ServiceError.invalidInput(
                "Required param is missing. Required: {'code'}. Send code={\"source\": \"package\"} with the zip as multipart field 'package'."
            )
        }
        let claimedMD5 = try CodeSource.checkPackageSource(code)
        let limits = try checkedLimits(cpu: draft.cpu, memorySize: draft.memorySize, timeout: draft.timeout, current: nil)
        let entry = try Self.checkEntry(draft.entry ?? "main.main")
        try Limits.checkLength(draft.name, field: "name", max: 255)
        try Limits.checkLength(draft.description, field: "description", max: 255)
        guard let runtimeID = draft.runtimeID, !runtimeID.isEmpty else {
            throw ServiceError.invalidInput("\"runtime_id\" must be specified.")
        }
        guard let runtime = try await store.runtime(id: runtimeID), runtime.isPublic || caller.canRead(project: runtime.projectID) else {
            throw ServiceError.notFound("Runtime not found [id=\(runtimeID)]")
        }
        guard runtime.status == .available else {
            throw ServiceError.invalidInput("Runtime \(runtimeID) is not available.")
        }
        guard let bytes = draft.package else {
            throw ServiceError.invalidInput("A package is required for code source 'package': send the zip as multipart field 'package'.")
        }
        let package = try FunctionPackage(bytes: bytes, settings: settings)
        try CodeSource.checkMD5(claimed: claimedMD5, package: package)

        let function = Function(
            id: Identifier.make(), name: draft.name, description: draft.description, runtimeID: runtime.id,
            entry: entry, cpu: limits.cpu, memorySize: limits.memorySize, timeout: limits.timeout,
            packageMD5: package.md5, projectID: caller.projectID, createdAt: Date()
        )
        try store.packages.save(package.bytes, functionID: function.id, md5: package.md5)
        unpackAhead(functionID: function.id, md5: package.md5)
        do {
            try await store.insertFunction(function)
        } catch StoreError.stillReferenced {
            store.packages.prune(functionID: function.id, keep: [])
            throw ServiceError.notFound("Runtime not found [id=\(runtimeID)]")
        }
        logger.info("function created", metadata: ["function_id": "\(function.id)", "runtime": "\(runtime.id)"])
        return function
    }

    /// Functions and versions are read after the sync executions that ended before (whose
    /// records are stored a moment after their answers): their counts include them.
    public func list(by caller: Caller, filters: [ListFilter], allProjects: Bool) async throws -> [Function] {
        await store.finishedExecutionsStored()
        return try await store.functions(.projectScoped(for: caller, filters: filters, allowed: Self.filterableFields, allProjects: allProjects))
    }

    /// A function the caller may read: its own project's, or any for an admin.
    public func show(id: String, by caller: Caller) async throws -> Function {
        await store.finishedExecutionsStored()
        guard let function = try await store.function(id: id), caller.canRead(project: function.projectID) else {
            throw Self.notFound(id: id)
        }
        return function
    }

    /// Unpacks a new package now rather than in its first call, which a caller waits for
    /// (the first call of a function is meant to take a few milliseconds). A package that
    /// cannot be unpacked is left for that call to report.
    func unpackAhead(functionID: String, md5: String) {
        _ = try? FunctionCode.unpacked(packages: store.packages, functionID: functionID, md5: md5, limit: settings.maxUnpackedSize)
    }

    static func notFound(id: String) -> ServiceError {
        .notFound("Function not found [id=\(id)]")
    }

    /// The current package of a function, for `?download=true`.
    public func package(id: String, by caller: Caller) async throws -> Data {
        let function = try await show(id: id, by: caller)
        do {
            return try store.packages.read(functionID: function.id, md5: function.packageMD5)
        } catch {
            logger.error("package file missing", metadata: ["function_id": "\(id)", "error": "\(error)"])
            throw ServiceError.notFound("Storage file not found for function \(id).")
        }
    }

    public func update(id: String, _ patch: FunctionPatch, by caller: Caller) async throws -> Function {
        var function = try await owned(id: id, by: caller)
        let before = function
        try Limits.checkLength(patch.name, field: "name", max: 255)
        try Limits.checkLength(patch.description, field: "description", max: 255)
        let limits = try checkedLimits(cpu: patch.cpu, memorySize: patch.memorySize, timeout: patch.timeout, current: function)
        if let name = patch.name { function.name = name }
        if let description = patch.description { function.description = description }
        function.timeout = limits.timeout

        var newPackage: FunctionPackage?
        if !patch.isMetadataOnly {
            if try await store.references(toFunction: id).activeJobs > 0 {
                throw ServiceError.notAllowed("The function is still associated with running job(s).")
            }
            let claimedMD5 = try patch.code.flatMap { try CodeSource.checkPackageSource($0) }
            if let bytes = patch.package {
                if let claimedMD5, claimedMD5 == function.packageMD5 {
                    throw ServiceError.invalidInput("The function code checksum is not changed.")
                }
                let package = try FunctionPackage(bytes: bytes, settings: settings)
                try CodeSource.checkMD5(claimed: claimedMD5, package: package)
                if package.md5 != function.packageMD5 { newPackage = package }
            }
            if let entry = patch.entry { function.entry = try Self.checkEntry(entry) }
            function.cpu = limits.cpu
            function.memorySize = limits.memorySize
        }
        if let package = newPackage {
            try store.packages.save(package.bytes, functionID: id, md5: package.md5)
            unpackAhead(functionID: id, md5: package.md5)
            function.packageMD5 = package.md5
        }
        function.updatedAt = Date()
        try await store.updateFunction(function)
        // At once, before anything else can fail: workers of the old code must not outlive it.
        if !patch.isMetadataOnly {
            // Version 0 is the current package: its workers run the old code or limits. Numbered
            // versions keep their package but share the entry, which their workers have loaded.
            await pool?.detach(functionID: id, version: function.entry != before.entry ? nil : 0)
        } else if function.name != before.name || function.timeout != before.timeout,
                  (try? store.codeToRun(of: function, version: 0))??.functionGraph != nil {
            // A FunctionGraph function's workers have its name and timeout in their environment.
            await pool?.detach(functionID: id, version: nil)
        }
        if newPackage != nil {
            store.packages.prune(functionID: id, keep: try await store.packageMD5sInUse(functionID: id))
        }
        logger.info("function updated", metadata: ["function_id": "\(id)", "new_package": "\(newPackage != nil)"])
        return function
    }

    public func delete(id: String, by caller: Caller) async throws {
        let function = try await show(id: id, by: caller)
        guard function.projectID == caller.projectID else {
            throw ServiceError.notAllowed("Function can only be deleted by its owner.")
        }
        let references = try await store.references(toFunction: id)
        if references.activeJobs > 0 { throw ServiceError.notAllowed("The function is still associated with running job(s).") }
        if references.webhooks > 0 { throw ServiceError.notAllowed("The function is still associated with webhook(s).") }
        if references.aliases > 0 { throw ServiceError.notAllowed("The function is still associated with function alias(es).") }
        do {
            try await store.deleteFunction(id: id)
        } catch StoreError.stillReferenced {
            throw ServiceError.notAllowed("The function is still referenced by an alias or webhook created meanwhile; delete those first.")
        }
        store.packages.prune(functionID: id, keep: [])
        await pool?.detach(functionID: id, version: nil)
        logger.info("function deleted", metadata: ["function_id": "\(id)"])
    }

    /// A function the caller's project owns; others' are invisible for changes (404), even to admins.
    func owned(id: String, by caller: Caller) async throws -> Function {
        await store.finishedExecutionsStored()
        guard let function = try await store.function(id: id), function.projectID == caller.projectID else {
            throw Self.notFound(id: id)
        }
        return function
    }

    func checkedLimits(cpu: Int?, memorySize: Int?, timeout: Int?, current: Function?) throws -> (cpu: Int, memorySize: Int, timeout: Int) {
        let bounds = settings.limits
        return (
            try Limits.checkRange(cpu ?? current?.cpu, name: "cpu", bound: bounds.cpu, unit: "millicpu"),
            try Limits.checkRange(memorySize ?? current?.memorySize, name: "memory", bound: bounds.memorySize, unit: "bytes"),
            try Limits.checkRange(timeout ?? current?.timeout, name: "timeout", bound: bounds.timeout, unit: "seconds")
        )
    }

    /// `module.path.function`: at most 80 characters of letters, digits, `_`, `-` and dots.
    static func checkEntry(_ entry: String) throws -> String {
        let parts = entry.split(separator: ".", omittingEmptySubsequences: false)
        let valid = entry.count <= 80 && parts.count >= 2 && parts.allSatisfy { part in
            !part.isEmpty && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
        }
        guard valid else {
            throw ServiceError.invalidInput("Invalid entry '\(entry)': use module.function (for example main.main), at most 80 characters.")
        }
        return entry
    }
}
