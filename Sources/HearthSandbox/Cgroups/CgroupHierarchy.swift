import Foundation

/// Where the daemon can create cgroups: a delegated cgroup v2 tree, or the v1 memory, pids
/// and cpu controllers (this project's CI machines have v1 controllers and a v2 hierarchy
/// without controllers). Detected once at start-up; `hearth/` is created under it.
public enum CgroupHierarchy: Sendable, Equatable {
    case v2(root: String)
    case v1(memory: String, pids: String, cpu: String)

    /// Finds a usable hierarchy or says why there is none.
    public static func detect(base: String = "/sys/fs/cgroup") throws(SandboxError) -> CgroupHierarchy {
        let fm = FileManager.default
        let controllersFile = base + "/cgroup.controllers"
        if let text = try? String(contentsOfFile: controllersFile, encoding: .utf8) {
            let available = Set(text.split(whereSeparator: \.isWhitespace).map(String.init))
            let needed: Set = ["memory", "pids", "cpu"]
            if needed.isSubset(of: available) {
                return .v2(root: base + "/hearth")
            }
            throw .cgroup(path: base, problem: "cgroup v2 without the \(needed.subtracting(available).sorted().joined(separator: ", ")) controller(s)")
        }
        let memory = base + "/memory", pids = base + "/pids"
        let cpu = fm.fileExists(atPath: base + "/cpu/cpu.cfs_quota_us") ? base + "/cpu" : base + "/cpu,cpuacct"
        for path in [memory, pids, cpu] where !fm.isWritableFile(atPath: path) {
            throw .cgroup(path: path, problem: "no writable cgroup v1 controller here (hearthd needs root and the memory, pids and cpu controllers)")
        }
        return .v1(memory: memory + "/hearth", pids: pids + "/hearth", cpu: cpu + "/hearth")
    }

    /// Creates the daemon's own `hearth` parent groups, enabling v2 controllers for children.
    public func prepare() throws(SandboxError) {
        switch self {
        case .v2(let root):
            let base = (root as NSString).deletingLastPathComponent
            try Cgroup.write("+memory +pids +cpu", to: base + "/cgroup.subtree_control")
            try Cgroup.makeDirectory(root)
            try Cgroup.write("+memory +pids +cpu", to: root + "/cgroup.subtree_control")
        case let .v1(memory, pids, cpu):
            for path in [memory, pids, cpu] { try Cgroup.makeDirectory(path) }
        }
    }

    /// The controller directories a cgroup named `name` has.
    func directories(for name: String) -> [String] {
        switch self {
        case .v2(let root): return [root + "/" + name]
        case let .v1(memory, pids, cpu): return [memory + "/" + name, pids + "/" + name, cpu + "/" + name]
        }
    }
}
