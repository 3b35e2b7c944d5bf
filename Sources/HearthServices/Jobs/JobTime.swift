import Foundation
import HearthCore

/// The times a job request carries (`first_execution_time`, `next_execution_time`).
///
/// Accepted: `YYYY-MM-DD`, optionally followed by `T` or a space and `HH:MM[:SS[.fraction]]`,
/// optionally followed by `Z` or an offset `±HH:MM`/`±HHMM`. Without an offset the time is UTC.
/// (Qinling parsed with dateutil and then dropped any offset; an offset given here is honoured.)
enum JobTime {
    static func parse(_ text: String, field: String) throws -> Date {
        let pattern = #"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$"#
        let regex = try! NSRegularExpression(pattern: pattern)
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let whole = NSRange(trimmed.startIndex..., in: trimmed)
        guard let match = regex.firstMatch(in: trimmed, range: whole) else { throw unreadable(text, field) }
        func group(_ i: Int) -> String? {
            Range(match.range(at: i), in: trimmed).map { String(trimmed[$0]) }
        }
        let numbers = (1...6).map { group($0).flatMap { Int($0) } ?? 0 }
        let (year, month, day, hour, minute, second) = (numbers[0], numbers[1], numbers[2], numbers[3], numbers[4], numbers[5])
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day), hour < 24, minute < 60, second < 60 else {
            throw unreadable(text, field)
        }
        var seconds = Timestamp.daysSinceEpoch(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        if let zone = group(7), zone != "Z" {
            let digits = zone.dropFirst().filter(\.isNumber)
            let offset = (Int(digits.prefix(2)) ?? 0) * 3600 + (Int(digits.suffix(2)) ?? 0) * 60
            seconds -= zone.hasPrefix("-") ? -offset : offset
        }
        return Date(timeIntervalSince1970: Double(seconds))
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func unreadable(_ text: String, _ field: String) -> ServiceError {
        .invalidInput("Unknown string format: \(text). Give \(field) as YYYY-MM-DD HH:MM:SS in UTC (an offset such as +02:00 may follow).")
    }

    /// Qinling's rule: a time given for a job must be at least a minute away.
    static func checkFuture(_ date: Date, now: Date) throws {
        guard date >= now.addingTimeInterval(60) else {
            throw ServiceError.invalidInput(
                "Execution time must be at least 1 minute in the future (now is \(Timestamp.format(now)), got \(Timestamp.format(date)))."
            )
        }
    }
}
