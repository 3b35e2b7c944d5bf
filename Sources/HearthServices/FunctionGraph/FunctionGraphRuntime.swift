/// FunctionGraph runtime names and the Hearth runtime (manifest) each one runs on. Hearth runs
/// every `Python3.x` on the system Python 3 and every `Node.jsN` on the system Node.js.
enum FunctionGraphRuntime {
    /// The manifest name for a FunctionGraph runtime name, or nil if Hearth has no such runtime.
    static func manifest(for name: String) -> String? {
        if name.hasPrefix("Python3."), name.dropFirst(8).allSatisfy(\.isNumber), name.count > 8 { return "python3" }
        if name.hasPrefix("Node.js"), let first = name.dropFirst(7).first, first.isNumber,
            name.dropFirst(7).allSatisfy({ $0.isNumber || $0 == "." })
        {
            return "nodejs"
        }
        return nil
    }

    /// The name a function created through the Qinling API shows on this face.
    static func defaultName(forManifest manifest: String) -> String {
        switch manifest {
        case "python3": return "Python3.9"
        case "nodejs": return "Node.js18.15"
        default: return manifest
        }
    }

    static let unsupported = "Supported runtimes: Python3.x (for example Python3.9) and Node.jsN (for example Node.js18.15)."
}
