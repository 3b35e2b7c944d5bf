import Foundation

/// Where sandboxes made in this process (`hearthd sandbox run`, hearth-bench) get their cgroups:
/// the v1 memory, pids and cpu controllers' `hearth/` (this project's CI machines have v1
/// controllers and a v2 hierarchy without controllers), or on cgroup v2 the layout
/// hearth-launcher uses (its PROTOCOL.md, "Cgroups"): this process in `<own>/supervisor`,
/// the sandboxes in `<own>/workers`, only +memory +pids +cpu enabled, nothing above `<own>`
/// written; `/hearth` when the own cgroup is the root (no cgroup manager). Detected once.
public enum CgroupHierarchy: Sendable, Equatable {
    /// `base` holds `supervisor/` and `root` (`base/workers`), where the sandboxes' groups go.
    case v2(base: String, root: String, delegated: Bool)
    case v1(memory: String, pids: String, cpu: String)

    static let controllers = "+memory +pids +cpu"
    static let whatToDo = "run it under systemd with Delegate=yes, e.g. `systemd-run --scope -p Delegate=yes hearthd …`"

    /// Finds a usable hierarchy or says why there is none.
    public static func detect(base: String = "/sys/fs/cgroup") throws(SandboxError) -> CgroupHierarchy {
        let fm = FileManager.default
        let controllersFile = base + "/cgroup.controllers"
        if let text = try? String(contentsOfFile: controllersFile, encoding: .utf8) {
            let available = Set(text.split(whereSeparator: \.isWhitespace).map(String.init))
            let needed: Set = ["memory", "pids", "cpu"]
            guard needed.isSubset(of: available) else {
                throw .cgroup(path: base, problem: "cgroup v2 without the \(needed.subtracting(available).sorted().joined(separator: ", ")) controller(s)")
            }
            let own = try ownCgroup()
            let group = own == "/" ? base + "/hearth" : base + own
            if own != "/" && !fm.isWritableFile(atPath: group + "/cgroup.subtree_control") {
                throw .cgroup(path: group, problem: "this process's cgroup cannot be written, so it cannot hold the sandboxes' groups: \(whatToDo)")
            }
            return .v2(base: group, root: group + "/workers", delegated: own != "/")
        }
        let memory = base + "/memory", pids = base + "/pids"
        let cpu = fm.fileExists(atPath: base + "/cpu/cpu.cfs_quota_us") ? base + "/cpu" : base + "/cpu,cpuacct"
        for path in [memory, pids, cpu] where !fm.isWritableFile(atPath: path) {
            throw .cgroup(path: path, problem: "no writable cgroup v1 controller here (hearthd needs root and the memory, pids and cpu controllers)")
        }
        return .v1(memory: memory + "/hearth", pids: pids + "/hearth", cpu: cpu + "/hearth")
    }

    /// The "0::PATH" line of /proc/self/cgroup.
    static func ownCgroup() throws(SandboxError) -> String {
        let text = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else {
            throw .cgroup(path: "/proc/self/cgroup", problem: "cgroup v2, but no 0:: line")
        }
        return String(line.dropFirst(3))
    }

    /// Creates the parent groups: on v2, moves this process into `supervisor/` first (a group
    /// with processes cannot enable controllers for its children).
    public func prepare() throws(SandboxError) {
        switch self {
        case let .v2(base, root, delegated):
            if !delegated {
                try Cgroup.write(Self.controllers, to: (base as NSString).deletingLastPathComponent + "/cgroup.subtree_control")
                try Cgroup.makeDirectory(base)
            }
            try Cgroup.makeDirectory(base + "/supervisor")
            try Cgroup.write("0", to: base + "/supervisor/cgroup.procs")
            do {
                try Cgroup.write(Self.controllers, to: base + "/cgroup.subtree_control")
            } catch {
                throw .cgroup(path: base, problem: "cannot enable \(Self.controllers) for its children (another process shares the group?): \(Self.whatToDo)")
            }
            try Cgroup.makeDirectory(root)
            try Cgroup.write(Self.controllers, to: root + "/cgroup.subtree_control")
        case let .v1(memory, pids, cpu):
            for path in [memory, pids, cpu] { try Cgroup.makeDirectory(path) }
        }
    }

    /// The controller directories a cgroup named `name` has.
    func directories(for name: String) -> [String] {
        switch self {
        case .v2(_, let root, _): return [root + "/" + name]
        case let .v1(memory, pids, cpu): return [memory + "/" + name, pids + "/" + name, cpu + "/" + name]
        }
    }
}
