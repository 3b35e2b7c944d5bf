import Foundation
import HearthCore

/// Cron patterns (`POST /v1/jobs`). The input is a pattern, then a newline and up to four
/// bytes choosing the time to start from (1970 to about 2106). A pattern that parses always
/// has a next slot, strictly later, within the 30 years `next(after:)` searches, on a whole
/// minute unless it has a seconds field; that slot is a slot from just before it too; and
/// the pattern means the same with its fields re-spaced or upper-cased.
enum CronTarget: FuzzTarget {
    static let name = "cron"
    static let summary = "CronSchedule: a pattern that parses has a next fire time after any given time"
    static let maximumLength = 256

    static func run(_ bytes: [UInt8]) throws(PropertyFailure) {
        let split = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
        let pattern = String(decoding: bytes[..<split], as: UTF8.self)
        let timeBytes = bytes[split...].dropFirst().prefix(4)
        let seconds = timeBytes.reduce(0) { $0 << 8 | Int64($1) }
        let start = Date(timeIntervalSince1970: Double(seconds) + (timeBytes.count > 1 ? Double(timeBytes.last!) / 256 : 0))
        guard let schedule = try? CronSchedule(pattern) else { return }

        guard let next = schedule.next(after: start) else {
            throw PropertyFailure("'\(shown(pattern))' parsed but has no slot after \(Timestamp.format(start))")
        }
        try require(next > start, "'\(shown(pattern))': next(after: \(start.timeIntervalSince1970)) is \(next.timeIntervalSince1970), not later")
        try require(next.timeIntervalSince(start) <= 30 * 366 * 86_400 + 60, "'\(shown(pattern))': a slot more than 30 years away")
        let step: TimeInterval = schedule.hasSeconds ? 1 : 60
        try require(next.timeIntervalSince1970.truncatingRemainder(dividingBy: step) == 0, "'\(shown(pattern))': \(next.timeIntervalSince1970) is not on a whole \(step == 1 ? "second" : "minute")")
        try require(schedule.next(after: next.addingTimeInterval(-step)) == next, "'\(shown(pattern))': \(Timestamp.format(next)) is not a slot when starting just before it")
        if let later = schedule.next(after: next) {
            try require(later > next, "'\(shown(pattern))': the slot after \(Timestamp.format(next)) is not later")
        }

        let fields = pattern.split(whereSeparator: { $0 == " " || $0 == "\t" })
        for variant in [fields.joined(separator: "\t"), "  " + fields.joined(separator: "   ") + " ", pattern.uppercased()] {
            let other: CronSchedule
            do {
                other = try CronSchedule(variant)
            } catch {
                throw PropertyFailure("'\(shown(pattern))' parses but '\(shown(variant))' does not: \(error)")
            }
            try require(other.next(after: start) == next, "'\(shown(pattern))' and '\(shown(variant))' give different slots")
        }
    }
}
