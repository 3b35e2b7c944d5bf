import CLibFuzzer
import Foundation

/// Runs libFuzzer's loop over one target. A broken property aborts the process, which
/// libFuzzer reports as a crash, saving the input as `crash-<sha1>` under `-artifact_prefix`.
enum LibFuzzer {
    /// The target the C callback runs: libFuzzer's callback takes no context.
    nonisolated(unsafe) static var target: (any FuzzTarget.Type)?

    /// Names the target for the copies of this process libFuzzer starts (-merge, -fork,
    /// -jobs), which get libFuzzer's options but not the target name before them.
    static let targetVariable = "HEARTH_FUZZ_TARGET"

    static func run(_ target: any FuzzTarget.Type, arguments: [String]) -> Int32 {
        self.target = target
        setenv(targetVariable, target.name, 1)
        var options = arguments
        if !options.contains(where: { $0.hasPrefix("-max_len=") }) { options.insert("-max_len=\(target.maximumLength)", at: 0) }
        // libFuzzer parses argv as a program's own: the program name first.
        let argv = ([CommandLine.arguments[0]] + options).map { strdup($0) } + [nil]
        var argc = Int32(argv.count - 1)
        return argv.withUnsafeBufferPointer { buffer in
            var pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = UnsafeMutablePointer(mutating: buffer.baseAddress)
            return hearth_libfuzzer_run(&argc, &pointer, LLVMFuzzerTestOneInput)
        }
    }

    static func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        do {
            try target!.run(bytes)
        } catch {
            FileHandle.standardError.write(Data("\nhearth-fuzz: \(target!.name): property failed: \(error)\n".utf8))
            abort()
        }
        return 0
    }
}

/// libFuzzer's callback by its well-known name: the callback we hand `LLVMFuzzerRunDriver`,
/// and also what libFuzzer's own (unused) `main` refers to, which the fuzzer build links in
/// whole and so must find.
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    LibFuzzer.testOneInput(data, size)
}
