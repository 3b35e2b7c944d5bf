import CLibFuzzer
import Foundation

/// `hearth-fuzz TARGET [libFuzzer options] [CORPUS_DIR…]` fuzzes one parser (built with
/// `-sanitize=fuzzer,address`, see `make fuzz`); in a normal build, `hearth-fuzz TARGET
/// FILE_OR_DIR…` runs the target's checks over those inputs once. `hearth-fuzz replay ROOT`
/// does that for every target over `ROOT/<target>/` (what `make test` runs over
/// Tests/Fuzz/corpus); `hearth-fuzz list` names the targets.
@main
enum HearthFuzz {
    static func main() {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2 else { usage() }
        switch arguments[1] {
        case "list":
            for target in targets { print("\(target.name)\t\(target.summary)") }
            exit(0)
        case "replay":
            guard arguments.count == 3 else { usage() }
            exit(Replay.corpus(root: arguments[2]))
        case let option where option.hasPrefix("-"):
            // libFuzzer running itself again (-merge, -fork, -jobs) with its own options only:
            // the target is the one it was started for.
            guard hearth_libfuzzer_linked() != 0, let name = ProcessInfo.processInfo.environment[LibFuzzer.targetVariable],
                let target = targets.first(where: { $0.name == name })
            else { usage() }
            exit(LibFuzzer.run(target, arguments: Array(arguments.dropFirst())))
        default:
            guard let target = targets.first(where: { $0.name == arguments[1] }) else {
                FileHandle.standardError.write(Data("hearth-fuzz: no target '\(arguments[1])'; `hearth-fuzz list` names them\n".utf8))
                exit(2)
            }
            if hearth_libfuzzer_linked() != 0 {
                exit(LibFuzzer.run(target, arguments: Array(arguments.dropFirst(2))))
            }
            exit(Replay.run(target, paths: Array(arguments.dropFirst(2))))
        }
    }

    static func usage() -> Never {
        FileHandle.standardError.write(Data("""
            usage: hearth-fuzz list
                   hearth-fuzz replay CORPUS_ROOT          run each target over CORPUS_ROOT/<target>/
                   hearth-fuzz TARGET FILE_OR_DIR…         run TARGET over those inputs
                   hearth-fuzz TARGET [libFuzzer options]  fuzz (in a -sanitize=fuzzer build)

            """.utf8))
        exit(2)
    }
}
