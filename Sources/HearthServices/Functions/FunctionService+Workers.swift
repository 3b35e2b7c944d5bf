import Foundation
import HearthCore
import HearthPool

extension FunctionService {
    /// The call a function version makes on the pool: its runtime, limits and code.
    func invocation(of function: Function, version: Int, executionID: String, input: JSONValue?, positional: Bool) -> InvocationRequest {
        let (packages, store) = (store.packages, store)
        let (functionID, md5, entry, limit) = (function.id, function.packageMD5, function.entry, settings.maxUnpackedSize)
        return InvocationRequest(
            key: FunctionKey(projectID: function.projectID, functionID: function.id, version: version),
            runtimeID: function.runtimeID, executionID: executionID,
            limits: CgroupLimits(memory: function.memorySize, pids: settings.pidsLimit, millicpu: function.cpu),
            timeout: Double(function.timeout), input: input, positional: positional,
            code: { [store] in
                // A numbered version runs its own snapshot, whatever the function's package is now.
                let versionMD5 = version == 0 ? md5 : try store.versionPackageMD5(functionID: functionID, number: version)
                guard let versionMD5 else { throw PoolError.codeUnavailable("version \(version) of function \(functionID) was deleted") }
                var bundle = try FunctionCode.bundle(packages: packages, functionID: functionID, md5: versionMD5, entry: entry, limit: limit)
                if let face = try store.functionGraphSettingsNow(functionID: functionID) {
                    let name = version == 0 ? "latest" : try store.versionNameNow(functionID: functionID, number: version) ?? String(version)
                    FunctionGraphCode.apply(face, function: function, versionName: name, to: &bundle)
                }
                return bundle
            }
        )
    }

    public func workers(id: String, version: Int?, by caller: Caller) async throws -> [WorkerInfo] {
        guard caller.isAdmin else { throw ServiceError.operationNotAllowed }
        return await pool?.workers(functionID: id, version: version) ?? []
    }

    /// Specialises `count` more workers for a version ahead of its calls (admin).
    public func scaleUp(id: String, version: Int = 0, count: Int, by caller: Caller) async throws {
        guard caller.isAdmin else { throw ServiceError.operationNotAllowed }
        try Self.checkCount(count)
        let function = try await show(id: id, by: caller)
        try await checkVersion(version, of: function)
        guard let pool else { return }
        let request = invocation(of: function, version: version, executionID: "scale-up", input: nil, positional: false)
        let added = await pool.scaleUp(request, count: count)
        logger.info("function scaled up", metadata: ["function_id": "\(id)", "requested": "\(count)", "added": "\(added)"])
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
