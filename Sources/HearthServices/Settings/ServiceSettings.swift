import Foundation
import HearthCore

/// What the operator configures that the services enforce.
public struct ServiceSettings: Sendable {
    /// Bounds and defaults of function cpu, memory and timeout.
    public var limits: ResourceLimits
    /// Largest function package accepted, in bytes (the Qinling client refuses > 50 MiB).
    public var maxPackageSize: Int
    /// Largest total a package may expand to (counted while inflating, so a zip bomb is
    /// refused at upload). It matches the workers' code directory, where it is unpacked.
    public var maxUnpackedSize: Int
    /// Where runtime directories (`python3/`, `nodejs/`, …) live.
    public var runtimesDirectory: URL
    /// Processes and threads one function's sandbox may have.
    public var pidsLimit: Int = 128
    /// Versions one function may have at once (Qinling: 10).
    public var maxVersions: Int = 10
    /// The base URL callers reach this daemon at, for `webhook_url`; nil means the request's own host.
    public var publicURL: String?

    public init(limits: ResourceLimits = .qinling, maxPackageSize: Int = 52_428_800, maxUnpackedSize: Int = 134_217_728, runtimesDirectory: URL) {
        self.limits = limits
        self.maxPackageSize = maxPackageSize
        self.maxUnpackedSize = maxUnpackedSize
        self.runtimesDirectory = runtimesDirectory
    }
}
