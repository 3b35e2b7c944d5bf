import CSandbox
import Foundation
import HearthCore

/// A seccomp profile in the OCI/Docker JSON format, compiled once to BPF at start-up.
///
/// Supported keys: `defaultAction`, `defaultErrnoRet`, `architectures`, and `syscalls[]`
/// with `names` (or `name`), `action`, `errnoRet`, `args[]` (`index`, `value`, `valueTwo`,
/// `op`) and `comment`; and Hearth's one addition, `network`: `"none"` (the default, an empty
/// network namespace) or `"host"` (the host's network). Anything else — a typo, Docker's capability conditions — is refused
/// with the file and the JSON path of the problem, so a broken profile stops start-up rather
/// than silently protecting less.
public final class SeccompProfile: Sendable {
    public let name: String
    public let file: String
    /// Whether sandboxes under this profile keep the host's network (`"network": "host"`).
    public let network: Bool
    /// The exported BPF; installed by every spawn with one prctl.
    let program: CompiledProgram

    public static func load(file: URL) throws(SandboxError) -> SeccompProfile {
        let path = file.path
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw .profile(file: path, problem: "cannot read the profile")
        }
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch { throw .profile(file: path, problem: "not valid JSON: \(error)") }
        let program = try ProfileCompiler(file: path).compile(json)
        let network: Bool
        switch json["network"] {
        case nil, .string("none")?: network = false
        case .string("host")?: network = true
        default: throw .profile(file: path, problem: "network: must be \"none\" or \"host\"")
        }
        return SeccompProfile(name: file.deletingPathExtension().lastPathComponent, file: path, network: network, program: program)
    }

    /// Every `*.json` profile in a directory, by name.
    public static func loadAll(directory: URL) throws(SandboxError) -> [String: SeccompProfile] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var profiles: [String: SeccompProfile] = [:]
        for name in names.sorted() where name.hasSuffix(".json") {
            let profile = try load(file: directory.appendingPathComponent(name))
            profiles[profile.name] = profile
        }
        return profiles
    }

    init(name: String, file: String, network: Bool = false, program: CompiledProgram) {
        self.name = name
        self.file = file
        self.network = network
        self.program = program
    }

    public var instructionCount: Int { Int(program.filter.count) }
}

/// BPF instructions owned by Swift, freed with the profile.
final class CompiledProgram: @unchecked Sendable {
    // Immutable after init; the C side only reads it.
    var filter: hearth_filter

    init(filter: hearth_filter) {
        self.filter = filter
    }

    deinit {
        hearth_filter_free_program(&filter)
    }

    /// The program as hearth-launcher registers it: u32 count, then the instructions.
    var registration: [UInt8] {
        var record = LauncherRecord()
        record.u32(UInt32(filter.count))
        if let instructions = filter.instructions {
            record.append(Array(UnsafeRawBufferPointer(start: instructions, count: Int(filter.count) * 8)))
        }
        return record.bytes
    }
}

/// Turns the profile's JSON into libseccomp calls, naming the path of anything it refuses.
struct ProfileCompiler {
    let file: String

    static let actions: [String: hearth_action_kind] = [
        "SCMP_ACT_ALLOW": HEARTH_ACTION_ALLOW, "SCMP_ACT_ERRNO": HEARTH_ACTION_ERRNO,
        "SCMP_ACT_KILL_PROCESS": HEARTH_ACTION_KILL_PROCESS, "SCMP_ACT_KILL": HEARTH_ACTION_KILL_PROCESS,
    ]
    static let operators: [String: Int32] = [
        "SCMP_CMP_NE": 1, "SCMP_CMP_LT": 2, "SCMP_CMP_LE": 3, "SCMP_CMP_EQ": 4,
        "SCMP_CMP_GE": 5, "SCMP_CMP_GT": 6, "SCMP_CMP_MASKED_EQ": 7,
    ]

    func problem(_ text: String) -> SandboxError { .profile(file: file, problem: text) }

    func compile(_ json: JSONValue) throws(SandboxError) -> CompiledProgram {
        guard let top = json.objectMembers else { throw problem("the profile must be a JSON object") }
        for member in top where !["defaultAction", "defaultErrnoRet", "architectures", "syscalls", "comment", "network"].contains(member.key) {
            throw problem("unknown key \"\(member.key)\"")
        }
        guard case .string(let defaultName)? = json["defaultAction"], let defaultAction = Self.actions[defaultName] else {
            throw problem("\"defaultAction\" must be one of \(Self.actions.keys.sorted().joined(separator: ", "))")
        }
        let defaultErrno = try errnoValue(json["defaultErrnoRet"], at: "defaultErrnoRet", action: defaultAction) ?? 1
        var error: Int32 = 0
        guard let builder = hearth_filter_new(defaultAction, defaultErrno, &error) else {
            throw problem("libseccomp could not start a filter (\(error))")
        }
        defer { hearth_filter_free(builder) }

        if let architectures = json["architectures"] {
            guard case .array(let items) = architectures else { throw problem("\"architectures\" must be an array") }
            for (i, item) in items.enumerated() {
                guard let arch = item.stringValue else { throw problem("architectures[\(i)] must be a string") }
                let name = arch.hasPrefix("SCMP_ARCH_") ? String(arch.dropFirst(10)).lowercased() : arch.lowercased()
                if hearth_filter_add_arch(builder, name) < 0 { throw problem("architectures[\(i)]: unknown architecture \"\(arch)\"") }
            }
        }

        guard case .array(let rules)? = json["syscalls"] else { throw problem("\"syscalls\" must be an array of rules") }
        for (r, rule) in rules.enumerated() {
            try addRule(rule, at: "syscalls[\(r)]", to: builder)
        }
        var filter = hearth_filter()
        let rc = hearth_filter_export(builder, &filter)
        guard rc == 0 else { throw problem("libseccomp could not export the filter: \(String(cString: strerror(-rc)))") }
        return CompiledProgram(filter: filter)
    }

    func addRule(_ rule: JSONValue, at path: String, to builder: OpaquePointer) throws(SandboxError) {
        guard let members = rule.objectMembers else { throw problem("\(path) must be an object") }
        for member in members where !["names", "name", "action", "errnoRet", "args", "comment"].contains(member.key) {
            throw problem("\(path): unknown key \"\(member.key)\" (conditions such as includes/excludes are not supported)")
        }
        var names: [String] = []
        if case .array(let items)? = rule["names"] {
            for (i, item) in items.enumerated() {
                guard let name = item.stringValue else { throw problem("\(path).names[\(i)] must be a string") }
                names.append(name)
            }
        } else if case .string(let name)? = rule["name"] {
            names = [name]
        } else {
            throw problem("\(path) needs \"names\", an array of syscall names")
        }
        guard case .string(let actionName)? = rule["action"], let action = Self.actions[actionName] else {
            throw problem("\(path).action must be one of \(Self.actions.keys.sorted().joined(separator: ", "))")
        }
        let errnoRet = try errnoValue(rule["errnoRet"], at: "\(path).errnoRet", action: action) ?? 1
        let args = try arguments(rule["args"], at: "\(path).args")
        for (i, name) in names.enumerated() {
            let rc = args.withUnsafeBufferPointer { buffer in
                hearth_filter_add_rule(builder, name, action, errnoRet, buffer.baseAddress, UInt32(buffer.count))
            }
            if rc == -ENOENT { throw problem("\(path).names[\(i)]: unknown syscall \"\(name)\"") }
            if rc < 0 { throw problem("\(path).names[\(i)] (\(name)): libseccomp refused the rule: \(String(cString: strerror(-rc)))") }
        }
    }

    func errnoValue(_ value: JSONValue?, at path: String, action: hearth_action_kind) throws(SandboxError) -> Int32? {
        switch value {
        case nil, .null?: return nil
        case .int(let n)? where (0...4095).contains(n): return Int32(n)
        default: throw problem("\(path) must be an errno number between 0 and 4095")
        }
    }

    func arguments(_ value: JSONValue?, at path: String) throws(SandboxError) -> [hearth_arg_rule] {
        guard let value, !value.isNull else { return [] }
        guard case .array(let items) = value, items.count <= 6 else { throw problem("\(path) must be an array of at most 6 comparisons") }
        return try items.enumerated().map { (i, item) throws(SandboxError) in
            guard item.objectMembers != nil else { throw problem("\(path)[\(i)] must be an object") }
            guard case .int(let index)? = item["index"], (0...5).contains(index) else { throw problem("\(path)[\(i)].index must be 0 to 5") }
            guard case .string(let opName)? = item["op"], let op = Self.operators[opName] else {
                throw problem("\(path)[\(i)].op must be one of \(Self.operators.keys.sorted().joined(separator: ", "))")
            }
            func number(_ key: String) throws(SandboxError) -> UInt64 {
                switch item[key] {
                case nil, .null?: return 0
                case .int(let n)?: return UInt64(bitPattern: n)
                default: throw problem("\(path)[\(i)].\(key) must be an integer")
                }
            }
            return hearth_arg_rule(index: UInt32(index), op: op, value: try number("value"), value_two: try number("valueTwo"))
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
