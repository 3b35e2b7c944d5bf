import Foundation

/// A function: a zip package, the runtime it runs on, its entry point and its limits.
///
/// Version 0 of a function is its current package; numbered versions are snapshots
/// (`FunctionVersion`).
public struct Function: Codable, Sendable, Equatable {
    public var id: String
    public var name: String?
    public var description: String?
    public var runtimeID: String
    /// `module.path.function`, as Qinling splits it with `rsplit('.', 1)`.
    public var entry: String
    /// CPU share in millicpu (100 = a tenth of a core).
    public var cpu: Int
    /// Memory limit in bytes.
    public var memorySize: Int
    /// Timeout in seconds.
    public var timeout: Int
    /// md5 of the current package; the package itself is a file in the package store.
    public var packageMD5: String
    /// Executions created against version 0.
    public var count: Int
    /// Highest version number that currently exists (0 when none).
    public var latestVersion: Int
    /// Highest version number ever issued, so that numbers are never reused.
    public var versionsIssued: Int
    public var projectID: String
    public var createdAt: Date
    public var updatedAt: Date?

    public init(
        id: String, name: String?, description: String?, runtimeID: String, entry: String,
        cpu: Int, memorySize: Int, timeout: Int, packageMD5: String, count: Int = 0,
        latestVersion: Int = 0, versionsIssued: Int = 0, projectID: String, createdAt: Date, updatedAt: Date? = nil
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.runtimeID = runtimeID
        self.entry = entry
        self.cpu = cpu
        self.memorySize = memorySize
        self.timeout = timeout
        self.packageMD5 = packageMD5
        self.count = count
        self.latestVersion = latestVersion
        self.versionsIssued = versionsIssued
        self.projectID = projectID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, description, entry, cpu, timeout, count
        case runtimeID = "runtime_id"
        case memorySize = "memory_size"
        case packageMD5 = "package_md5"
        case latestVersion = "latest_version"
        case versionsIssued = "versions_issued"
        case projectID = "project_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}
