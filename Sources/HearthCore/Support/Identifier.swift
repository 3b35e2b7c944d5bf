import Foundation

/// Resource ids are lower-case UUID4 strings, as Qinling's.
public enum Identifier {
    /// 122 random bits from the system's generator (getrandom), spelt directly: Foundation's
    /// `UUID()`, its `uuidString` and `lowercased()` were 2.5 % of the daemon's CPU, one id
    /// per execution.
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = (generator.next() as UInt64, generator.next() as UInt64)
        return withUnsafeBytes(of: &bytes) { raw in
            var random = Array(raw)
            random[6] = random[6] & 0x0F | 0x40  // version 4
            random[8] = random[8] & 0x3F | 0x80  // RFC 4122 variant
            let digits = Array("0123456789abcdef".utf8)
            return String(unsafeUninitializedCapacity: 36) { text in
                var at = 0
                for (index, byte) in random.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        text[at] = UInt8(ascii: "-")
                        at += 1
                    }
                    text[at] = digits[Int(byte >> 4)]
                    text[at + 1] = digits[Int(byte & 0x0F)]
                    at += 2
                }
                return at
            }
        }
    }

    public static func isValid(_ text: String) -> Bool {
        text.count == 36 && UUID(uuidString: text) != nil
    }
}
