/// oslo `strutils.bool_from_string` spellings, which Qinling accepts for flags such as `?download=`.
public enum StrictBool {
    public static func parse(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "1", "t", "true", "on", "y", "yes": return true
        case "0", "f", "false", "off", "n", "no": return false
        default: return nil
        }
    }
}
