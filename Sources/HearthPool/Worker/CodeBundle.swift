/// A function version's code as the `load` message carries it: unpacked files, the entry
/// point and the calling convention.
public struct CodeBundle: Sendable {
    public struct File: Sendable {
        public var path: String
        public var mode: Int
        public var bytes: [UInt8]

        public init(path: String, mode: Int, bytes: [UInt8]) {
            self.path = path
            self.mode = mode
            self.bytes = bytes
        }
    }

    public var files: [File]
    public var entry: String
    /// `qinling` or `functiongraph`.
    public var convention: String
    /// Variables the worker adds to its environment before importing the code (FunctionGraph
    /// `user_data`), in order.
    public var environment: [(name: String, value: String)] = []

    public init(files: [File], entry: String, convention: String = "qinling") {
        self.files = files
        self.entry = entry
        self.convention = convention
    }
}
