import NIOCore

/// FunctionGraph's request size limits: sync invocations 6 MB, async 256 KB; function create
/// and code updates carry the zip as base64 (4/3 of the operator's package limit).
enum FunctionGraphLimits {
    static let syncBody = 6 << 20
    static let asyncBody = 256 << 10

    static func body(forPath path: String, maxPackageSize: Int) -> Int {
        if path.hasSuffix("/invocations") { return syncBody }
        if path.hasSuffix("/invocations-async") { return asyncBody }
        return maxPackageSize / 3 * 4 + 4 + APILimits.smallBody
    }
}
