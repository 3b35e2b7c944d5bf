import Foundation

/// Resource ids are lower-case UUID4 strings, as Qinling's.
public enum Identifier {
    public static func make() -> String {
        UUID().uuidString.lowercased()
    }

    public static func isValid(_ text: String) -> Bool {
        text.count == 36 && UUID(uuidString: text) != nil
    }
}
