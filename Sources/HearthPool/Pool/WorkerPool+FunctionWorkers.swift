import Foundation
import HearthCore
import HearthSandbox
import Logging

/// A function version's workers as the API sees them: listed, scaled, detached, expired,
/// and expired.
extension WorkerPool {
    public func workers(functionID: String, version: Int?) -> [WorkerInfo] {
        functions.filter { $0.key.functionID == functionID && (version == nil || $0.key.version == version) }
            .sorted { $0.key.version < $1.key.version }
            .flatMap { key, state in state.workers.map { WorkerInfo(functionID: key.functionID, version: key.version, workerName: $0.id) } }
    }

    /// Specialises up to `count` more generic workers for a version ahead of its calls.
    public func scaleUp(_ request: InvocationRequest, count: Int) async -> Int {
        var added = 0
        for _ in 0..<count {
            guard let worker = takeGeneric(for: request.key, runtimeID: request.runtimeID) else { break }
            if await load(worker, request, log: LogCapture(limit: settings.logLimit)) == nil {
                release(worker, key: request.key, healthy: true)
                added += 1
            }
        }
        return added
    }

    /// Retires up to `count` idle workers of a version, always keeping one.
    public func scaleDown(_ key: FunctionKey, count: Int) {
        guard var state = functions[key] else { return }
        var removable = min(count, state.workers.count - 1)
        while removable > 0, let worker = state.idle.popLast() {
            state.workers.removeAll { $0 === worker }
            retire([worker])
            removable -= 1
        }
        functions[key] = state
    }

    /// Retires every worker of a version (busy ones once their call ends).
    public func detach(functionID: String, version: Int?) {
        for (key, state) in functions where key.functionID == functionID && (version == nil || key.version == version) {
            retire(state.idle)
            functions[key]?.idle = []
            // Busy workers are no longer listed, so `release` retires them.
            functions[key]?.workers = []
            if functions[key]?.waiters.isEmpty == true { functions[key] = nil }
        }
    }

    /// Retires specialised workers idle longer than the TTL. Called periodically.
    public func retireIdle(now: ContinuousClock.Instant = .now) {
        for (key, state) in functions {
            let expired = state.idle.filter { now - $0.lastUsed > .seconds(settings.idleTTL) }
            guard !expired.isEmpty else { continue }
            for worker in expired { forget(worker, key: key) }
            retire(expired)
            logger.info("idle workers retired", metadata: ["function": "\(key)", "count": "\(expired.count)"])
        }
    }
}
