/// The paths of the entries read so far, as a tree of components, so that a duplicate, or a
/// path that one entry makes a file and another a directory, is found in time linear in the
/// names' length (comparing every entry's prefixes as whole strings would be quadratic).
struct ZipTree {
    private enum Node {
        /// A directory only because an entry lies inside it.
        case implied
        case directory
        case file
    }

    private struct Key: Hashable {
        let parent: Int
        let component: Substring
    }

    private var nodes: [Node] = [.directory]
    private var children: [Key: Int] = [:]

    /// Adds a checked path (relative, no empty, `.` or `..` components).
    mutating func insert(_ path: String, kind: ZipEntry.Kind) throws(ZipError) {
        let components = path.split(separator: "/")
        var parent = 0
        for (position, component) in components.enumerated() {
            let isLast = position == components.count - 1
            let key = Key(parent: parent, component: component)
            guard let node = children[key] else {
                let node = nodes.count
                nodes.append(!isLast ? .implied : kind == .file ? .file : .directory)
                children[key] = node
                parent = node
                continue
            }
            switch (nodes[node], isLast, kind) {
            case (.file, false, _):
                throw .fileAndDirectory(name: ZipName.display(Array(components[...position].joined(separator: "/").utf8)))
            case (.file, true, .file), (.directory, true, .directory):
                throw .duplicate(name: ZipName.display(Array(path.utf8)))
            case (.file, true, .directory), (.directory, true, .file), (.implied, true, .file):
                throw .fileAndDirectory(name: ZipName.display(Array(path.utf8)))
            case (.implied, true, .directory):
                nodes[node] = .directory
            case (.implied, false, _), (.directory, false, _):
                parent = node
            }
        }
    }
}
