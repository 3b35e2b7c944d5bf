import Foundation
import HearthStore

/// Packages being unpacked for calls, one unpacking per package at a time: the calls that
/// find a package not yet unpacked (its unpacking at upload failed, or the data directory
/// predates it) wait for the one that unpacks it, instead of each reading the whole zip and
/// inflating it on a thread of its own.
actor PackageUnpacking {
    private var inFlight: [String: Task<URL, any Error>] = [:]

    /// The package's directory, unpacked first if it is not yet. A package already unpacked
    /// (every call but the first few) costs a lookup, without a hop onto this actor.
    nonisolated func unpacked(packages: PackageStore, functionID: String, md5: String, limit: Int) async throws -> URL {
        if let directory = packages.existingUnpackedURL(functionID: functionID, md5: md5) { return directory }
        return try await unpackOnce(packages: packages, functionID: functionID, md5: md5, limit: limit)
    }

    private func unpackOnce(packages: PackageStore, functionID: String, md5: String, limit: Int) async throws -> URL {
        let key = "\(functionID)/\(md5)"
        if let unpacking = inFlight[key] { return try await unpacking.value }
        let unpacking = Task.detached {
            try FunctionCode.unpacked(packages: packages, functionID: functionID, md5: md5, limit: limit)
        }
        inFlight[key] = unpacking
        defer { inFlight[key] = nil }
        return try await unpacking.value
    }
}
