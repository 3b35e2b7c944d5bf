import Foundation
import GRDB
import HearthCore

extension Store {
    public func insertJob(_ job: Job) async throws {
        try await write { db in try job.insert(db) }
    }

    public func job(id: String) async throws -> Job? {
        try await db.read { db in try Job.fetchOne(db, key: id) }
    }

    /// Jobs in creation order.
    public func jobs(_ query: ListQuery) async throws -> [Job] {
        let (condition, arguments) = query.sqlCondition()
        return try await db.read { db in
            try Job.fetchAll(db, sql: "SELECT * FROM jobs WHERE \(condition) ORDER BY created_at, rowid", arguments: arguments)
        }
    }

    /// Reads a job, lets `change` edit it and saves it, in one transaction: the scheduler and
    /// API updates never overwrite each other. `change` returns false to leave the row alone.
    /// Returns the job as stored afterwards, or nil if there is none.
    public func modifyJob(id: String, _ change: @escaping @Sendable (inout Job) throws -> Bool) async throws -> (job: Job, changed: Bool)? {
        try await write { db in
            guard var job = try Job.fetchOne(db, key: id) else { return nil }
            guard try change(&job) else { return (job, false) }
            try job.update(db)
            return (job, true)
        }
    }

    @discardableResult
    public func deleteJob(id: String) async throws -> Bool {
        try await write { db in try Job.deleteOne(db, key: id) }
    }

    /// Running jobs whose next firing is at or before `now`, earliest first.
    public func dueJobs(now: Date) async throws -> [Job] {
        try await db.read { db in
            try Job.filter(Column("status") == Job.Status.running.rawValue && Column("next_execution_time") <= now)
                .order(Column("next_execution_time")).fetchAll(db)
        }
    }

    /// When the earliest running job fires next.
    public func nextJobTime() async throws -> Date? {
        try await db.read { db in
            try Date.fetchOne(db, sql: "SELECT MIN(next_execution_time) FROM jobs WHERE status = ?", arguments: [Job.Status.running.rawValue])
        }
    }
}
