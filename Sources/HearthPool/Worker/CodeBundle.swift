import Foundation
import HearthSandbox

#if canImport(Glibc)
import Glibc
#endif

/// A function version's code as a worker loads it: a directory of unpacked files, read-only
/// and shared by every worker of that version, the entry point and the calling convention.
///
/// A runtime that takes descriptors is handed a detached read-only mount of the directory
/// (an fd it reaches through `/proc/self/fd`; `..` at its root stays there, so its sandbox
/// sees this code and nothing else of the host); one that does not gets the files' contents
/// in the `load` frame.
public struct CodeBundle: Sendable {
    public struct File: Sendable {
        public var path: String
        public var mode: Int
        public var bytes: [UInt8]
    }

    public var directory: URL
    public var entry: String
    /// `qinling` or `functiongraph`.
    public var convention: String
    /// Variables the worker adds to its environment before importing the code (FunctionGraph
    /// `user_data`), in order.
    public var environment: [(name: String, value: String)] = []

    public init(directory: URL, entry: String, convention: String = "qinling") {
        self.directory = directory
        self.entry = entry
        self.convention = convention
    }

    /// The directory as a detached read-only mount, to be sent; the caller owns the fd.
    func mount() async throws -> Int32 {
        do {
            return try await CodeTree.clone(directory.path)
        } catch {
            throw PoolError.codeUnavailable(error.description)
        }
    }

    /// Every regular file under the directory, with paths relative to it.
    func files() throws -> [File] {
        let root = directory.standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(atPath: root) else {
            throw PoolError.codeUnavailable("\(root) cannot be read")
        }
        var files: [File] = []
        for case let relative as String in walker {
            let path = root + "/" + relative
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw PoolError.codeUnavailable("\(path) cannot be read")
            }
            files.append(File(path: relative, mode: Int(info.st_mode & 0o777), bytes: [UInt8](data)))
        }
        return files
    }
}
