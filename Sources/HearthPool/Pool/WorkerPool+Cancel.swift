/// Cancelling a call in progress.
extension WorkerPool {
    /// Kills the worker running `executionID`, if one is; its call then ends as `crashed`
    /// and the worker is replaced like any other that died. Returns whether one was found.
    public func cancel(executionID: String) -> Bool {
        for state in functions.values {
            if let worker = state.workers.first(where: { $0.busy && $0.executionID == executionID }) {
                Task { await worker.stop() }
                return true
            }
        }
        return false
    }
}
