import Foundation
import HearthCore
import HearthStore
import Logging

/// Jobs: executions on a schedule, one-shot at a time or recurring on a cron pattern. The
/// `JobScheduler` fires them; this service creates, shows and changes them.
public struct JobService: Sendable {
    let store: Store
    let functions: FunctionService
    let logger: Logger

    public init(store: Store, functions: FunctionService, logger: Logger) {
        self.store = store
        self.functions = functions
        self.logger = logger
    }

    public static let filterableFields: [String: FilterField] = [
        "name": .text, "function_id": .text, "function_alias": .text, "function_version": .int, "status": .text,
        "pattern": .text, "project_id": .text,
    ]

    public func create(_ draft: JobDraft, by caller: Caller, now: Date = Date()) async throws -> Job {
        try Limits.checkLength(draft.name, field: "name", max: 255)
        try Limits.checkLength(draft.functionInput, field: "function_input", max: 255)
        let pattern = draft.pattern.flatMap { $0.isEmpty ? nil : $0 }
        let firstText = draft.firstExecutionTime.flatMap { $0.isEmpty ? nil : $0 }
        guard pattern != nil || firstText != nil else {
            throw ServiceError.invalidInput("pattern or first_execution_time must be specified.")
        }
        if let count = draft.count, count < 1 {
            throw ServiceError.invalidInput("Invalid input for field/attribute count. Value: '\(count)'. Value should be greater or equal to 1")
        }
        var first = try firstText.map { try JobTime.parse($0, field: "first_execution_time") }
        if let first { try JobTime.checkFuture(first, now: now) }
        let target = try await functions.resolveTarget(
            functionID: draft.functionID, alias: draft.functionAlias, version: draft.functionVersion, by: caller, ownedOnly: true
        )
        var count = draft.count
        let next: Date
        if let pattern {
            // The first slot at or after the requested time (Qinling could snap to a minute before it).
            guard let slot = try Self.schedule(pattern).next(after: first?.addingTimeInterval(-1) ?? now) else {
                throw ServiceError.invalidInput("The specified pattern is not valid: \(pattern): it has no slot in the next 30 years.")
            }
            next = slot
            first = slot
        } else {
            guard (count ?? 1) == 1 else { throw ServiceError.invalidInput("pattern must be provided if count is greater than 1.") }
            count = 1
            next = first!
        }
        let job = Job(
            id: Identifier.make(), name: draft.name,
            functionID: target.alias == nil ? target.function.id : nil, functionAlias: target.alias,
            functionVersion: target.alias == nil ? target.version : 0, functionInput: draft.functionInput,
            status: .running, pattern: pattern, count: count, firstExecutionTime: first, nextExecutionTime: next,
            projectID: caller.projectID, createdAt: now
        )
        do {
            try await store.insertJob(job)
        } catch StoreError.stillReferenced {
            throw ServiceError.notFound("Function not found [id=\(target.function.id)]")
        }
        logger.info("job created", metadata: ["job": "\(job.id)", "next": "\(Timestamp.format(next))"])
        return job
    }

    public func list(by caller: Caller, filters: [ListFilter], allProjects: Bool) async throws -> [Job] {
        try await store.jobs(.projectScoped(for: caller, filters: filters, allowed: Self.filterableFields, allProjects: allProjects))
    }

    public func show(id: String, by caller: Caller) async throws -> Job {
        guard let job = try await store.job(id: id), caller.canRead(project: job.projectID) else { throw Self.notFound(id) }
        return job
    }

    /// Renames, re-inputs, pauses, resumes, cancels or reschedules a job that has not finished.
    public func update(id: String, _ patch: JobPatch, by caller: Caller, now: Date = Date()) async throws -> Job {
        guard let current = try await store.job(id: id), current.projectID == caller.projectID else { throw Self.notFound(id) }
        try Limits.checkLength(patch.name, field: "name", max: 255)
        try Limits.checkLength(patch.functionInput, field: "function_input", max: 255)
        let status = try patch.status.map { text -> Job.Status in
            guard let status = Job.Status(rawValue: text), status != .done else {
                throw ServiceError.invalidInput("Invalid status '\(text)': a job can be set to running, paused or cancelled.")
            }
            return status
        }
        let explicitNext = try patch.nextExecutionTime.flatMap { $0.isEmpty ? nil : $0 }.map { text in
            let date = try JobTime.parse(text, field: "next_execution_time")
            try JobTime.checkFuture(date, now: now)
            return date
        }
        let newSchedule = try patch.pattern.flatMap { $0.isEmpty ? nil : $0 }.map { try Self.schedule($0) }
        guard let result = try await store.modifyJob(id: id, { job in
            guard job.status != .done, job.status != .cancelled else {
                throw ServiceError.invalidInput("Can not update a finished job.")
            }
            if let pattern = patch.pattern, (job.pattern == nil) != pattern.isEmpty {
                throw ServiceError.invalidInput("Can not change job type: a one-shot job cannot get a pattern, a recurring job cannot lose it.")
            }
            if let name = patch.name { job.name = name }
            if let input = patch.functionInput { job.functionInput = input }
            let resuming = job.status == .paused && status == .running
            if let status { job.status = status }
            if let newSchedule { job.pattern = newSchedule.pattern }
            if let explicitNext {
                job.nextExecutionTime = explicitNext
            } else if job.status == .running, resuming || newSchedule != nil {
                if let pattern = job.pattern {
                    // Slots that passed while the job was paused are skipped, not caught up.
                    job.nextExecutionTime = try Self.schedule(pattern).next(after: now)
                } else if let next = job.nextExecutionTime {
                    try JobTime.checkFuture(next, now: now)
                }
            }
            job.updatedAt = now
            return true
        }) else { throw Self.notFound(id) }
        logger.info("job updated", metadata: ["job": "\(id)", "status": "\(result.job.status.rawValue)"])
        return result.job
    }

    public func delete(id: String, by caller: Caller) async throws {
        guard let job = try await store.job(id: id), job.projectID == caller.projectID else { throw Self.notFound(id) }
        try await store.deleteJob(id: id)
        logger.info("job deleted", metadata: ["job": "\(id)"])
    }

    static func schedule(_ pattern: String) throws -> CronSchedule {
        try Limits.checkLength(pattern, field: "pattern", max: 255)
        do {
            return try CronSchedule(pattern)
        } catch {
            throw ServiceError.invalidInput("The specified pattern is not valid: \(pattern): \(error).")
        }
    }

    static func notFound(_ id: String) -> ServiceError {
        .notFound("Job not found [id=\(id)]")
    }
}
