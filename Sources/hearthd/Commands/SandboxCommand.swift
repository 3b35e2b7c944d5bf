import ArgumentParser
import Foundation
import HearthSandbox

#if canImport(Glibc)
import Glibc
#endif

/// `hearthd sandbox run`: any command in a sandbox exactly as workers get one, for tests
/// and for seeing what a profile allows.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run commands in a sandbox, as function workers are run.",
        subcommands: [Run.self]
    )

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a command in a sandbox; exits with its status (128 + signal when killed).",
            discussion: "Example: hearthd sandbox run --profile untrusted -- /bin/sh -c 'id; ls /'"
        )
        @ParentCommand var hearthd: Hearthd

        @Option(help: "Seccomp profile name in the --profiles-dir directory.") var profile = "default"
        @Option(help: "Memory limit in bytes.") var memory = 134_217_728
        @Option(help: "Limit on processes and threads.") var pids = 64
        @Option(help: "CPU share in millicpu (1000 = one core).") var cpu = 1000
        @Option(help: "Open files limit.") var nofile: UInt64 = 1024
        @Flag(help: "Keep the host's network whatever the profile says (profiles default to none).") var network = false
        @Option(help: ArgumentHelp("Read-only bind SOURCE[:TARGET]; repeatable.", valueName: "source[:target]")) var bind: [String] = []
        @Argument(parsing: .captureForPassthrough, help: "The command and its arguments, after --.") var command: [String]

        func run() async throws {
            let arguments = command.first == "--" ? Array(command.dropFirst()) : command
            guard let executable = arguments.first else { throw ValidationError("give a command after --") }
            let profiles = DaemonConfig.installedDirectory("sandbox-profiles", given: hearthd.options.profilesDir)
            let seccomp: SeccompProfile
            do {
                seccomp = try SeccompProfile.load(file: profiles.appendingPathComponent("\(profile).json"))
            } catch {
                throw ValidationError(error.description)
            }
            let sandbox = try Sandbox()
            var (binds, symlinks) = SandboxSpec.systemBinds()
            for item in bind {
                let parts = item.split(separator: ":", maxSplits: 1).map(String.init)
                binds.append(.init(source: parts[0], target: parts.count > 1 ? parts[1] : nil))
            }
            var spec = SandboxSpec(
                executable: executable, arguments: Array(arguments.dropFirst()),
                environment: SandboxSpec.baseEnvironment,
                binds: binds, symlinks: symlinks,
                rlimits: [(Int32(RLIMIT_NOFILE.rawValue), nofile, nofile), (Int32(RLIMIT_CORE.rawValue), 0, 0)],
                cgroup: CgroupLimits(memory: memory, pids: pids, millicpu: cpu), profile: seccomp
            )
            spec.network = network || seccomp.network
            spec.codeDirectory = "/code"
            let process = try sandbox.spawn(spec, stdin: 0, stdout: 1, stderr: 2)
            let exit = await process.reap()
            switch exit.termination {
            case .exited(let code):
                throw ExitCode(code)
            case .signalled(let signal):
                FileHandle.standardError.write(Data("hearthd: sandboxed command \(exit.termination.description)\(exit.outOfMemory ? " (out of memory)" : "")\n".utf8))
                throw ExitCode(128 + signal)
            }
        }
    }
}
