import Foundation

/// A cron pattern as croniter (which Qinling used) accepts it, evaluated in UTC.
///
/// Five fields `minute hour day-of-month month day-of-week`, or six with croniter's optional
/// seconds field *last* (`*/5 * * * * 30` = at second 30 of every fifth minute). Each field is
/// a list of items `*`, `N`, `A-B`, `*/S`, `A-B/S` or `A/S` (A to the field's end, every S);
/// months and weekdays also take English names (`jan`, `mon-fri`); weekday 7 is Sunday, as 0.
/// `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight` and `@hourly` stand for
/// their usual patterns.
///
/// Day of month and day of week combine as in cron and croniter: when both are restricted
/// (neither covers its whole range) a day matches if *either* matches; otherwise both must.
public struct CronSchedule: Sendable, Equatable {
    public let pattern: String
    /// Whether the pattern has a seconds field; otherwise every slot is at second 0.
    public let hasSeconds: Bool
    let seconds: UInt64
    let minutes: UInt64
    let hours: UInt64
    let daysOfMonth: UInt64
    let months: UInt64
    let daysOfWeek: UInt64
    let eitherDay: Bool

    static let aliases = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    struct Field {
        let name: String
        let range: ClosedRange<Int>
        let names: [String]
        /// Where the first name maps to (jan = 1, sun = 0).
        let nameBase: Int
    }

    static let minuteField = Field(name: "minute", range: 0...59, names: [], nameBase: 0)
    static let hourField = Field(name: "hour", range: 0...23, names: [], nameBase: 0)
    static let dayOfMonthField = Field(name: "day of month", range: 1...31, names: [], nameBase: 0)
    static let monthField = Field(
        name: "month", range: 1...12, names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], nameBase: 1
    )
    static let dayOfWeekField = Field(name: "day of week", range: 0...7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"], nameBase: 0)
    static let secondField = Field(name: "second", range: 0...59, names: [], nameBase: 0)

    public init(_ pattern: String) throws(CronError) {
        self.pattern = pattern
        let trimmed = pattern.trimmingCharacters(in: .whitespaces)
        let expanded = Self.aliases[trimmed.lowercased()] ?? trimmed
        let fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 || fields.count == 6 else {
            throw CronError("expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds last, got \(fields.count)")
        }
        hasSeconds = fields.count == 6
        minutes = try Self.parse(fields[0], Self.minuteField)
        hours = try Self.parse(fields[1], Self.hourField)
        daysOfMonth = try Self.parse(fields[2], Self.dayOfMonthField)
        months = try Self.parse(fields[3], Self.monthField)
        var weekdays = try Self.parse(fields[4], Self.dayOfWeekField)
        if weekdays & (1 << 7) != 0 { weekdays = (weekdays | 1) & ~(1 << 7) }
        daysOfWeek = weekdays
        seconds = hasSeconds ? try Self.parse(fields[5], Self.secondField) : 1
        eitherDay = daysOfMonth != Self.mask(1...31) && daysOfWeek != Self.mask(0...6)
        // `0 0 30 2 *` parses but never comes: refuse it rather than keep a job that never fires.
        guard next(after: Date(timeIntervalSince1970: 946_684_800)) != nil else {
            throw CronError("the pattern never matches a date (check day of month against month)")
        }
    }

    static func mask(_ range: ClosedRange<Int>) -> UInt64 {
        range.reduce(0) { $0 | (1 << UInt64($1)) }
    }

    static func parse(_ text: String, _ field: Field) throws(CronError) -> UInt64 {
        var result: UInt64 = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2, !parts[0].isEmpty else { throw CronError("\(field.name) field: cannot read '\(item)'") }
            var step = 1
            if parts.count == 2 {
                guard let value = Int(parts[1]), value >= 1 else {
                    throw CronError("\(field.name) field: the step in '\(item)' must be a whole number of at least 1")
                }
                step = value
            }
            let range: ClosedRange<Int>
            if parts[0] == "*" {
                range = field.range
            } else {
                let bounds = parts[0].split(separator: "-", omittingEmptySubsequences: false)
                guard bounds.count <= 2 else { throw CronError("\(field.name) field: cannot read '\(item)'") }
                let low = try value(bounds[0], field)
                let high = bounds.count == 2 ? try value(bounds[1], field) : (parts.count == 2 ? field.range.upperBound : low)
                guard low <= high else { throw CronError("\(field.name) field: the range '\(parts[0])' runs backwards") }
                range = low...high
            }
            for value in stride(from: range.lowerBound, through: range.upperBound, by: step) {
                result |= 1 << UInt64(value)
            }
        }
        return result
    }

    static func value(_ text: Substring, _ field: Field) throws(CronError) -> Int {
        if let number = Int(text) {
            guard field.range.contains(number) else {
                throw CronError("\(field.name) field: \(number) is outside \(field.range.lowerBound)-\(field.range.upperBound)")
            }
            return number
        }
        if let index = field.names.firstIndex(of: text.lowercased()) { return index + field.nameBase }
        throw CronError("\(field.name) field: '\(text)' is not a number\(field.names.isEmpty ? "" : " or a name like \(field.names[0])")")
    }

    /// The first slot strictly after `date`, or nil if none comes within 30 years.
    public func next(after date: Date) -> Date? {
        let step: Int64 = hasSeconds ? 1 : 60
        var t = Int64((date.timeIntervalSince1970 / Double(step)).rounded(.down)) * step + step
        let limit = t + 30 * 366 * 86_400
        while t < limit {
            let days = Int(t >= 0 ? t / 86_400 : (t - 86_399) / 86_400)
            let secondOfDay = Int(t - Int64(days) * 86_400)
            let (year, month, day) = Timestamp.civilDate(daysSinceEpoch: days)
            if months & (1 << UInt64(month)) == 0 {
                let (nextYear, nextMonth) = month == 12 ? (year + 1, 1) : (year, month + 1)
                t = Int64(Timestamp.daysSinceEpoch(year: nextYear, month: nextMonth, day: 1)) * 86_400
                continue
            }
            let weekday = ((days + 4) % 7 + 7) % 7
            let domMatches = daysOfMonth & (1 << UInt64(day)) != 0
            let dowMatches = daysOfWeek & (1 << UInt64(weekday)) != 0
            if !(eitherDay ? (domMatches || dowMatches) : (domMatches && dowMatches)) {
                t = Int64(days + 1) * 86_400
                continue
            }
            let hour = secondOfDay / 3600, minute = secondOfDay % 3600 / 60, second = secondOfDay % 60
            if hours & (1 << UInt64(hour)) == 0 {
                t = Int64(days) * 86_400 + Int64(hour + 1) * 3600
                continue
            }
            if minutes & (1 << UInt64(minute)) == 0 {
                t = Int64(days) * 86_400 + Int64(hour * 3600 + (minute + 1) * 60)
                continue
            }
            if seconds & (1 << UInt64(second)) == 0 {
                t += 1
                continue
            }
            return Date(timeIntervalSince1970: Double(t))
        }
        return nil
    }
}

/// Why a cron pattern was refused, in words a user can act on.
public struct CronError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
