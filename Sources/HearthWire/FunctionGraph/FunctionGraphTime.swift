import Foundation
import HearthCore

/// FunctionGraph's wire times.
public enum FunctionGraphTime {
    /// `last_modified`: `YYYY-MM-DD HH:MM:SS`, UTC.
    public static func modified(_ date: Date) -> String {
        Timestamp.format(date).replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: "")
    }

    /// Record times: `YYYY-MM-DDTHH:MM:SS`, UTC, no zone.
    public static func record(_ date: Date) -> String {
        String(Timestamp.format(date).dropLast())
    }

    /// A query time, leniently: `YYYY-MM-DD[T| ]HH:MM:SS`, then optional fractional seconds
    /// and an optional `Z` or `±HH:MM` / `±HHMM` offset (no zone means UTC), or a date alone.
    /// Python's `isoformat()` sends microseconds and offsets.
    public static func parse(_ text: String) -> Date? {
        let chars = Array(text.trimmingCharacters(in: .whitespaces).utf8)
        var index = 0
        func number(_ width: Int) -> Int? {
            guard index + width <= chars.count else { return nil }
            let slice = chars[index..<index + width]
            guard slice.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            index += width
            return Int(String(decoding: slice, as: UTF8.self))
        }
        func expect(_ c: Character) -> Bool {
            guard index < chars.count, chars[index] == c.asciiValue! else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2) else { return nil }
        var (hour, minute, second, fraction, offset) = (0, 0, 0, 0.0, 0)
        if index < chars.count {
            guard expect("T") || expect(" "), let h = number(2), expect(":"), let m = number(2) else { return nil }
            (hour, minute) = (h, m)
            if expect(":") {
                guard let s = number(2) else { return nil }
                second = s
                if expect(".") {
                    let start = index
                    while index < chars.count, chars[index] >= 0x30, chars[index] <= 0x39 { index += 1 }
                    guard index > start else { return nil }
                    fraction = Double("0." + String(decoding: chars[start..<index], as: UTF8.self)) ?? 0
                }
            }
            if expect("Z") || expect("z") {
            } else if index < chars.count, chars[index] == UInt8(ascii: "+") || chars[index] == UInt8(ascii: "-") {
                let sign = chars[index] == UInt8(ascii: "-") ? -1 : 1
                index += 1
                guard let oh = number(2), oh < 24 else { return nil }
                _ = expect(":")
                guard let om = number(2), om < 60 else { return nil }
                offset = sign * (oh * 3600 + om * 60)
            }
            guard index == chars.count else { return nil }
        }
        guard let base = Timestamp.seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second) else { return nil }
        return Date(timeIntervalSince1970: Double(base) + fraction - Double(offset))
    }
}
