import Foundation
import HearthCore
import HearthPool

extension ExecutionService {
    /// Installs the policy for async executions (once, at start-up).
    public func setAttemptHook(_ hook: any ExecutionAttemptHook) {
        attemptHook.set(hook)
    }

    /// Runs an async execution as often as the hook wants, recording only its final ending.
    /// A retry runs the function as it is then, not as `first` found it.
    func runAttempts(_ execution: Execution, _ first: InvocationRequest, hook: any ExecutionAttemptHook) async throws -> Execution {
        var attempt = 1
        var attempts = 0
        while true {
            let verdict: AttemptVerdict
            if let early = await hook.beforeAttempt(execution, attempt: attempt) {
                verdict = early
            } else {
                let ending: AttemptEnding
                if attempt == 1 {
                    ending = try await self.attempt(execution, first)
                } else if var current = try await currentRequest(for: execution, input: first.input, positional: first.positional) {
                    (current.background, current.onStart, current.log) = (first.background, first.onStart, first.log)
                    ending = try await self.attempt(execution, current)
                } else {
                    ending = Self.functionGone(execution)
                }
                attempts = attempt
                verdict = await hook.afterAttempt(execution, attempt: attempt, ending: ending)
                if case .retry = verdict {
                    logger.info("execution retried", metadata: ["execution_id": "\(execution.id)", "function_id": "\(execution.functionID)", "attempt": "\(attempt)", "failure": "\(ending.failure?.rawValue ?? "-")"])
                    attempt += 1
                }
            }
            switch verdict {
            case .finish(let final):
                let recorded = try await record(execution, final)
                await hook.ended(recorded, attempts: attempts, ending: final)
                return recorded
            case .retry(let pause):
                try? await Task.sleep(for: pause)
            case .leave:
                return try await store.execution(id: execution.id) ?? execution
            }
        }
    }
}
