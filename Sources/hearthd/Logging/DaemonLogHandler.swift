import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// hearthd's log lines on stderr. Under systemd, whose journal reads that stream, a line is
/// `<N>message key=value …`: N is the syslog priority the journal files it under (so that
/// `journalctl -p err` finds errors), and the journal adds its own timestamp. Anywhere else it
/// is swift-log's stream format, timestamp first.
struct DaemonLogHandler: LogHandler {
    private enum Output {
        case stream(StreamLogHandler)
        case journal
    }

    private var output: Output
    private let label: String
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .info

    init(label: String, level: Logger.Level, journal: Bool) {
        self.label = label
        output = journal ? .journal : .stream(StreamLogHandler.standardError(label: label))
        logLevel = level
    }

    /// True when stderr is the journal's stream: systemd sets `JOURNAL_STREAM` to its
    /// `device:inode`, which a redirected stderr (`hearthd 2>file` in the unit) no longer has.
    static var stderrIsJournal: Bool {
        guard let value = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":")
        var info = stat()
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]), fstat(2, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        switch output {
        case .stream(var stream):
            stream.metadata = metadata
            stream.metadataProvider = metadataProvider
            stream.logLevel = logLevel
            stream.log(event: event)
        case .journal:
            var all = metadata
            if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
            if let explicit = event.metadata { all.merge(explicit) { $1 } }
            if let error = event.error { all["error"] = "\(error)" }
            var line = "<\(Self.priority(event.level))>\(Self.oneLine("\(event.message)"))"
            for (key, value) in all.sorted(by: { $0.key < $1.key }) {
                line += " \(key)=\(Self.quoted(Self.oneLine("\(value)")))"
            }
            line += "\n"
            // One write per line: lines from several threads never interleave.
            _ = line.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
        }
    }

    /// syslog(3) priorities: the journal's `-p` levels.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// The journal ends an entry at a newline; one event must stay one entry.
    static func oneLine(_ text: String) -> String {
        text.contains("\n") ? text.replacingOccurrences(of: "\n", with: "\\n") : text
    }

    static func quoted(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
