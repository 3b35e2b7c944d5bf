import HearthServices
import ServiceLifecycle

/// What runs behind the API for the daemon's whole life, in the `ServiceGroup`: first the
/// recovery of a start (every runtime's pool back, then the executions accepted before a stop
/// or a crash queued again, once their runtimes are there), then the job scheduler. One
/// service, so that slots that came due while the daemon was down fire into runtimes the pool
/// knows. A graceful shutdown cancels it.
struct Recovery: Service {
    let hearth: Hearth

    func run() async {
        await cancelWhenGracefulShutdown {
            try? await hearth.runtimes.reconcileAll()
            try? await hearth.executions.requeuePending()
            await hearth.jobScheduler.run()
        }
    }
}
