import Foundation
import HearthCore

/// `runtimes/<name>/manifest.json`: what a runtime is called and how its worker starts.
public struct RuntimeManifest: Sendable, Equatable {
    public var name: String
    public var description: String
    /// Image names accepted as this runtime (Qinling's, e.g. `openstackqinling/python3-runtime`).
    public var images: [String]
    /// The worker command, relative paths resolved against the runtime directory.
    public var command: [String]
    /// The worker takes its code directory and each call's output as descriptors
    /// (runtimes/PROTOCOL.md); false for one that cannot receive them (Node has no API).
    public var descriptors: Bool = false
    public var directory: URL

    /// Reads and checks a manifest; the error says which file and what is wrong with it.
    public static func load(directory: URL) throws(ManifestError) -> RuntimeManifest {
        let file = directory.appendingPathComponent("manifest.json")
        guard let bytes = FileManager.default.contents(atPath: file.path) else {
            throw ManifestError(file: file.path, problem: "missing or unreadable")
        }
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch { throw ManifestError(file: file.path, problem: "not valid JSON: \(error)") }
        guard let name = json["name"]?.stringValue, !name.isEmpty else {
            throw ManifestError(file: file.path, problem: "\"name\" must be a non-empty string")
        }
        guard case .array(let commandValues)? = json["command"], !commandValues.isEmpty,
            let command = Optional(commandValues.compactMap(\.stringValue)), command.count == commandValues.count
        else {
            throw ManifestError(file: file.path, problem: "\"command\" must be a non-empty array of strings")
        }
        var images: [String] = []
        if let value = json["images"] {
            guard case .array(let items) = value, items.allSatisfy({ $0.stringValue != nil }) else {
                throw ManifestError(file: file.path, problem: "\"images\" must be an array of strings")
            }
            images = items.compactMap(\.stringValue)
        }
        var descriptors = false
        if let value = json["descriptors"] {
            guard case .bool(let flag) = value else { throw ManifestError(file: file.path, problem: "\"descriptors\" must be true or false") }
            descriptors = flag
        }
        return RuntimeManifest(
            name: name, description: json["description"]?.stringValue ?? "", images: images,
            command: command, descriptors: descriptors, directory: directory
        )
    }
}

public struct ManifestError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var problem: String
    public var description: String { "\(file): \(problem)" }
}
