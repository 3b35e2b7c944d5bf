import Foundation
import HearthCore
import HearthSandbox
import Logging

/// A function version's workers as the API sees them: listed, scaled, detached, expired.
extension WorkerPool {
    public func workers(functionID: String, version: Int?) -> [WorkerInfo] {
        state.functions.filter { $0.key.functionID == functionID && (version == nil || $0.key.version == version) }
            .sorted { $0.key.version < $1.key.version }
            .flatMap { key, function in
                function.workers.compactMap { live[$0] }.map { WorkerInfo(functionID: key.functionID, version: key.version, workerName: $0.id) }
            }
    }

    /// Specialises up to `count` more generic workers for a version ahead of its calls; nil
    /// if the request is stale (its function was detached since it was read): read it again.
    public func scaleUp(_ request: InvocationRequest, count: Int) async -> Int? {
        // It would list workers of the old code.
        if state.detaches.isStale(functionID: request.key.functionID, seen: request.detachesSeen) { return nil }
        var added = 0
        for case .load(let number, _) in perform(.scaleUp(key: request.key, runtimeID: request.runtimeID, count: count)) {
            guard let worker = live[number] else { continue }
            let acquired = Acquired(worker: worker, number: number, cold: true)
            if await load(acquired, request, log: LogCapture(limit: settings.logLimit)) == nil {
                release(acquired, healthy: true)
                added += 1
            }
        }
        return added
    }

    /// Retires up to `count` idle workers of a version, always keeping one.
    public func scaleDown(_ key: FunctionKey, count: Int) {
        perform(.scaleDown(key: key, count: count))
    }

    /// Retires specialised workers idle longer than the TTL. Called periodically.
    public func retireIdle(now: ContinuousClock.Instant = .now) {
        let actions = perform(.expireIdle(now: now, ttl: .milliseconds(Int(settings.idleTTL * 1000))))
        let retired = actions.count { if case .retire = $0 { true } else { false } }
        if retired > 0 { logger.info("idle workers retired", metadata: ["count": "\(retired)"]) }
    }
}
