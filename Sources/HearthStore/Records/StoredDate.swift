import Foundation
import GRDB
import HearthCore

/// A date as GRDB stores it (`yyyy-MM-dd HH:mm:ss.SSS`, UTC), without GRDB's shared
/// DateFormatter, which on Linux costs tens of microseconds per date: it is on every call's path.
struct StoredDate: DatabaseValueConvertible {
    let date: Date

    init(_ date: Date) {
        self.date = date
    }

    var databaseValue: DatabaseValue {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let days = Int((milliseconds >= 0 ? milliseconds : milliseconds - 86_399_999) / 86_400_000)
        let millisecondOfDay = Int(milliseconds - Int64(days) * 86_400_000)
        let (year, month, day) = Timestamp.civilDate(daysSinceEpoch: days)
        let second = millisecondOfDay / 1000
        var text = Timestamp.digits(year, 4) + "-" + Timestamp.digits(month, 2) + "-" + Timestamp.digits(day, 2)
        text += " " + Timestamp.digits(second / 3600, 2) + ":" + Timestamp.digits(second % 3600 / 60, 2) + ":" + Timestamp.digits(second % 60, 2)
        text += "." + Timestamp.digits(millisecondOfDay % 1000, 3)
        return text.databaseValue
    }

    static func fromDatabaseValue(_ dbValue: DatabaseValue) -> StoredDate? {
        Date.fromDatabaseValue(dbValue).map(StoredDate.init)
    }
}
