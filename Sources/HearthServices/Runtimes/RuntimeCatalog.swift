import Foundation

/// The runtimes installed under the runtimes directory, and which one an API `image` names.
public struct RuntimeCatalog: Sendable {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// Every runtime directory with a manifest, by name. Broken manifests are reported, not skipped silently.
    public func manifests() -> (found: [RuntimeManifest], broken: [ManifestError]) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path))?.sorted() ?? []
        var found: [RuntimeManifest] = []
        var broken: [ManifestError] = []
        for name in names {
            let folder = directory.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            // The daemon runs as its own user (`hearth`), not root: a runtime it cannot read is
            // named as such, not passed over as if it were not there.
            guard access(folder.path, R_OK | X_OK) == 0 else {
                broken.append(ManifestError(file: folder.appendingPathComponent("manifest.json").path,
                                            problem: "cannot be read by the daemon's user (every directory on the path needs o+x, the runtime's files o+r)"))
                continue
            }
            guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("manifest.json").path) else { continue }
            do { found.append(try RuntimeManifest.load(directory: folder)) } catch { broken.append(error) }
        }
        return (found, broken)
    }

    /// The runtime an image names: a runtime's own name, or one of its image aliases, with or
    /// without a `:tag` (`openstackqinling/python3-runtime:0.0.2` is `python3`).
    public func resolve(image: String) -> Result<RuntimeManifest, ResolveError> {
        let untagged = Self.stripTag(image)
        let (found, broken) = manifests()
        if let match = found.first(where: { $0.name == untagged || $0.images.contains(untagged) || $0.images.contains(image) }) {
            return .success(match)
        }
        if let problem = broken.first(where: { $0.file.contains("/\(untagged)/") }) {
            return .failure(ResolveError(message: "runtime manifest is broken: \(problem)"))
        }
        let known = found.map(\.name).joined(separator: ", ")
        return .failure(ResolveError(message: "no runtime named '\(image)' under \(directory.path) (installed: \(known.isEmpty ? "none" : known))"))
    }

    static func stripTag(_ image: String) -> String {
        let lastSlash = image.lastIndex(of: "/") ?? image.startIndex
        guard let colon = image[lastSlash...].lastIndex(of: ":") else { return image }
        return String(image[..<colon])
    }

    public struct ResolveError: Error, Sendable {
        public var message: String
    }
}

#if canImport(Glibc)
import Glibc
#endif
