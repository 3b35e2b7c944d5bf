import Foundation
import HearthCore
import HearthStore
import Logging

/// Fires due jobs: a service of the daemon that runs from start-up to shutdown.
///
/// Each firing first stores the job's next slot (or `done` when its count is spent), in one
/// transaction that only succeeds if the slot is still the one being fired, and only then
/// creates the execution. So a slot is never fired twice — not by a second pass, nor after a
/// restart; a crash between the two steps loses that one firing rather than repeating it.
///
/// After downtime (or whenever the scheduler falls behind) a job whose slot has passed fires
/// once, at once, and its next slot is the first one after *now*: missed slots collapse into
/// that single firing, then the schedule continues.
public struct JobScheduler: Sendable {
    let store: Store
    let executions: ExecutionService
    let logger: Logger

    public init(store: Store, executions: ExecutionService, logger: Logger) {
        self.store = store
        self.executions = executions
        self.logger = logger
    }

    /// Polls at most once a second, sooner when a slot is closer.
    public func run() async {
        while !Task.isCancelled {
            do {
                try await fireDue(now: Date())
            } catch {
                logger.error("job scheduler pass failed", metadata: ["error": "\(error)"])
            }
            let next = (try? await store.nextJobTime())?.timeIntervalSinceNow ?? 1
            try? await Task.sleep(for: .seconds(min(1, max(0.02, next))))
        }
    }

    /// Fires every job whose slot is at or before `now`.
    public func fireDue(now: Date) async throws {
        for due in try await store.dueJobs(now: now) {
            guard let claimed = try await store.modifyJob(id: due.id, { job in
                guard job.status == .running, job.nextExecutionTime == due.nextExecutionTime else { return false }
                Self.advance(&job, now: now)
                return true
            }), claimed.changed else { continue }
            await fire(claimed.job)
        }
    }

    /// Moves a job past the slot being fired: one firing fewer, and the next slot after both
    /// that slot and `now`.
    static func advance(_ job: inout Job, now: Date) {
        if let count = job.count {
            job.count = count - 1
            if count - 1 <= 0 {
                job.status = .done
                return
            }
        }
        let slot = job.nextExecutionTime ?? now
        guard let pattern = job.pattern, let schedule = try? CronSchedule(pattern), let next = schedule.next(after: max(slot, now)) else {
            job.status = .done
            return
        }
        job.nextExecutionTime = next
    }

    /// Creates the job's execution as its owner would, through an alias if the job names one.
    func fire(_ job: Job) async {
        let draft = ExecutionDraft(
            functionID: job.functionID, functionAlias: job.functionAlias, functionVersion: job.functionAlias == nil ? job.functionVersion : nil,
            input: job.functionInput.map { .string($0) }, description: "Created by Job \(job.id)", sync: false
        )
        do {
            let execution = try await executions.create(draft, by: Caller(projectID: job.projectID, isAdmin: false))
            logger.info("job fired", metadata: ["job": "\(job.id)", "execution_id": "\(execution.id)"])
        } catch {
            logger.warning("job fired but its execution could not be created", metadata: ["job": "\(job.id)", "error": "\(error)"])
        }
    }
}
