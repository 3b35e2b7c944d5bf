import Foundation
import HearthCore
import HearthPool
import HearthStore

extension FunctionService {
    /// The call a function version makes on the pool: its runtime, limits and code.
    /// `detachesSeen`: the pool's `detaches`, read before `function` was.
    func invocation(of function: Function, version: Int, executionID: String, input: JSONValue?, positional: Bool, detachesSeen: Int) async -> InvocationRequest {
        let code: Result<CodeBundle, PoolError>
        do {
            code = .success(try await self.code(of: function, version: version))
        } catch {
            code = .failure(error)
        }
        return InvocationRequest(
            key: FunctionKey(projectID: function.projectID, functionID: function.id, version: version),
            runtimeID: function.runtimeID, executionID: executionID,
            limits: CgroupLimits(memory: function.memorySize, pids: settings.pidsLimit, millicpu: function.cpu),
            timeout: Double(function.timeout), input: input, positional: positional, code: code, detachesSeen: detachesSeen
        )
    }

    /// What the version's workers load: its unpacked package (unpacked now if it is not yet,
    /// as for a package whose unpacking at upload failed) and, for a function made through
    /// FunctionGraph, its calling convention and environment. A warm call pays for a stat and
    /// a look-up in memory; the pool uses the bundle only when it specialises a worker.
    func code(of function: Function, version: Int) async throws(PoolError) -> CodeBundle {
        let stored: VersionCode?
        do {
            stored = try store.codeToRun(of: function, version: version)
        } catch {
            throw .codeUnavailable("the store could not be read: \(error)")
        }
        guard let stored else { throw .codeUnavailable("version \(version) of function \(function.id) was deleted") }
        let directory: URL
        do {
            directory = try await unpacking.unpacked(packages: store.packages, functionID: function.id, md5: stored.packageMD5, limit: settings.maxUnpackedSize)
        } catch let error as PoolError {
            throw error
        } catch {
            throw .codeUnavailable("the package cannot be read: \(error)")
        }
        var bundle = CodeBundle(directory: directory, entry: function.entry)
        if let face = stored.functionGraph {
            FunctionGraphCode.apply(face, function: function, versionName: version == 0 ? "latest" : stored.versionName ?? String(version), to: &bundle)
        }
        return bundle
    }

    public func workers(id: String, version: Int?, by caller: Caller) async throws -> [WorkerInfo] {
        guard caller.isAdmin else { throw ServiceError.operationNotAllowed }
        return await pool?.workers(functionID: id, version: version) ?? []
    }

    /// Specialises `count` more workers for a version ahead of its calls (admin).
    public func scaleUp(id: String, version: Int = 0, count: Int, by caller: Caller) async throws {
        guard caller.isAdmin else { throw ServiceError.operationNotAllowed }
        try Self.checkCount(count)
        guard let pool else { return }
        var added: Int?
        // Read again if the function is updated meanwhile (it must scale the new code), but
        // not for ever while someone keeps updating it.
        for _ in 0..<3 where added == nil {
            let detachesSeen = pool.detaches
            let function = try await show(id: id, by: caller)
            try await checkVersion(version, of: function)
            let request = await invocation(of: function, version: version, executionID: "scale-up", input: nil, positional: false, detachesSeen: detachesSeen)
            added = await pool.scaleUp(request, count: count)
        }
        logger.info("function scaled up", metadata: ["function_id": "\(id)", "requested": "\(count)", "added": "\(added ?? 0)"])
    }

    /// Retires up to `count` idle workers of a version, always keeping one (admin).
    public func scaleDown(id: String, version: Int = 0, count: Int, by caller: Caller) async throws {
        guard caller.isAdmin else { throw ServiceError.operationNotAllowed }
        try Self.checkCount(count)
        let function = try await show(id: id, by: caller)
        try await checkVersion(version, of: function)
        await pool?.scaleDown(FunctionKey(projectID: function.projectID, functionID: id, version: version), count: count)
    }

    /// Retires every worker of a version (admin).
    public func detach(id: String, version: Int = 0, by caller: Caller) async throws {
        guard caller.isAdmin else { throw ServiceError.operationNotAllowed }
        let function = try await show(id: id, by: caller)
        try await checkVersion(version, of: function)
        await pool?.detach(functionID: id, version: version)
    }

    /// Version 0 is the function itself; numbered versions must exist.
    func checkVersion(_ version: Int, of function: Function) async throws {
        if version == 0 { return }
        guard try await store.version(functionID: function.id, number: version) != nil else {
            throw Self.versionNotFound(function.id, version)
        }
    }

    static func checkCount(_ count: Int) throws {
        guard count >= 1 else {
            throw ServiceError.invalidInput("Invalid input for field/attribute count. Value: '\(count)'. Value should be greater or equal to 1")
        }
    }
}
