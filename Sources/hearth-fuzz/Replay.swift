import Foundation

/// Runs a target's checks once over given inputs, in any build: the committed corpus is a
/// regression test (`make test`), and a saved crash can be replayed without the sanitizer.
/// Every input must also finish within a time budget (`HEARTH_FUZZ_INPUT_SECONDS`, default
/// 5 s in an unoptimised build), which is how a big committed input catches superlinear work.
enum Replay {
    static func corpus(root: String) -> Int32 {
        var status: Int32 = 0
        for target in targets {
            let directory = (root as NSString).appendingPathComponent(target.name)
            guard FileManager.default.fileExists(atPath: directory) else {
                print("\(target.name): no corpus at \(directory)")
                status = 1
                continue
            }
            status |= run(target, paths: [directory])
        }
        return status
    }

    static func run(_ target: any FuzzTarget.Type, paths: [String]) -> Int32 {
        let budget = ProcessInfo.processInfo.environment["HEARTH_FUZZ_INPUT_SECONDS"].flatMap(Double.init) ?? 5
        let files = paths.flatMap(inputs(under:))
        var failures = 0
        var slowest = (seconds: 0.0, path: "")
        let started = Date()
        CrashNote.install()
        for path in files {
            guard let data = FileManager.default.contents(atPath: path) else {
                print("\(target.name): cannot read \(path)")
                failures += 1
                continue
            }
            CrashNote.set("\nhearth-fuzz: \(target.name) crashed on \(path)\n")
            let start = Date()
            do {
                try target.run(Array(data))
            } catch {
                print("\(target.name): FAILED on \(path): \(error)")
                failures += 1
            }
            let seconds = Date().timeIntervalSince(start)
            if seconds > slowest.seconds { slowest = (seconds, path) }
            if seconds > budget {
                print("\(target.name): FAILED on \(path): took \(String(format: "%.2f", seconds)) s, over the \(budget) s budget (superlinear work?)")
                failures += 1
            }
        }
        CrashNote.set("")
        let total = String(format: "%.2f", Date().timeIntervalSince(started))
        let slow = files.isEmpty ? "" : String(format: ", slowest %.3f s", slowest.seconds)
        print("\(target.name): \(files.count) inputs in \(total) s\(slow): \(failures == 0 ? "ok" : "\(failures) FAILED")")
        return failures == 0 ? 0 : 1
    }

    /// A file, or every file under a directory (sorted, dot files skipped).
    static func inputs(under path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            print("hearth-fuzz: no such file or directory: \(path)")
            return []
        }
        guard isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.subpathsOfDirectory(atPath: path)) ?? []
        return names.sorted().filter { !$0.split(separator: "/").contains(where: { $0.hasPrefix(".") }) }
            .map { (path as NSString).appendingPathComponent($0) }
            .filter { FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) && !isDirectory.boolValue }
    }
}

/// What to print if an input traps (a Swift runtime trap is SIGILL or SIGTRAP): the
/// reproducer's path, written from the signal handler with a plain `write`.
enum CrashNote {
    static let capacity = 4096
    nonisolated(unsafe) static let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    nonisolated(unsafe) static var length = 0

    static func set(_ note: String) {
        let bytes = Array(note.utf8.prefix(capacity))
        length = 0
        for (i, byte) in bytes.enumerated() { buffer[i] = byte }
        length = bytes.count
    }

    static func install() {
        for signal in [SIGILL, SIGTRAP, SIGABRT, SIGSEGV, SIGBUS, SIGFPE] {
            _ = Glibc.signal(signal) { number in
                _ = write(2, CrashNote.buffer, CrashNote.length)
                // Die of the same signal, so the exit status says what happened.
                _ = Glibc.signal(number, SIG_DFL)
                _ = raise(number)
            }
        }
    }
}
