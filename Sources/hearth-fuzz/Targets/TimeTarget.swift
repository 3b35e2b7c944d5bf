import Foundation
import HearthWire

/// FunctionGraph query times (`FunctionGraphTime.parse`: `query_begin_time`, `query_end_time`
/// of async invocations), which are lenient about fractions and offsets but not about the
/// calendar: a plain `YYYY-MM-DD[T ]HH:MM:SS` (or a date alone) that parses is that very
/// time, not a normalised neighbour (February 30th is not March 2nd); and the times Hearth
/// writes itself parse back to themselves.
enum TimeTarget: FuzzTarget {
    static let name = "time"
    static let summary = "FunctionGraphTime.parse: strict calendar, record → parse round trip"
    static let maximumLength = 128

    static func run(_ bytes: [UInt8]) throws(PropertyFailure) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let date = FunctionGraphTime.parse(text) else { return }
        try require(date.timeIntervalSince1970.isFinite, "'\(shown(text))' parses to a time that is not finite")

        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if matches(trimmed, "dddd-dd-dd") {
            try require(FunctionGraphTime.record(date) == trimmed + "T00:00:00", "'\(shown(text))' is read as \(FunctionGraphTime.record(date))")
        } else if matches(trimmed, "dddd-dd-ddTdd:dd:dd") || matches(trimmed, "dddd-dd-dd dd:dd:dd") {
            let written = FunctionGraphTime.record(date)
            try require(written == trimmed.replacingOccurrences(of: " ", with: "T"), "'\(shown(text))' is read as \(written)")
        }

        // Hearth writes four-digit years; an offset can carry a time past 9999 or before 0000.
        let whole = Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
        guard (-62_167_219_200..<253_402_300_800).contains(whole.timeIntervalSince1970) else { return }
        for written in [FunctionGraphTime.record(whole), FunctionGraphTime.modified(whole)] {
            try require(FunctionGraphTime.parse(written) == whole, "'\(written)', as Hearth writes it, does not parse back to itself")
        }
    }

    /// Whether `text` has the shape of `pattern`, where `d` is any ASCII digit.
    static func matches(_ text: String, _ pattern: String) -> Bool {
        let (t, p) = (Array(text.utf8), Array(pattern.utf8))
        return t.count == p.count && zip(t, p).allSatisfy { $1 == UInt8(ascii: "d") ? (0x30...0x39).contains($0) : $0 == $1 }
    }
}
