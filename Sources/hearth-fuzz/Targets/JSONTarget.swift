import HearthCore

/// JSON input: request bodies, execution input, worker frame headers. Whatever parses
/// serialises to text that parses back to the same value, and serialising that again gives
/// the same text; whatever does not parse is refused with an offset inside the input.
enum JSONTarget: FuzzTarget {
    static let name = "json"
    static let summary = "JSONValue.parse: parse → serialise → parse gives the same value"
    static let maximumLength = 4096

    static func run(_ bytes: [UInt8]) throws(PropertyFailure) {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            try require((0...bytes.count).contains(error.offset), "error offset \(error.offset) is outside the \(bytes.count)-byte input")
            return
        }
        try require(depth(of: value) <= JSONValue.maximumDepth, "a value nested \(depth(of: value)) deep was accepted")
        let text = value.serialized
        let again: JSONValue
        do {
            again = try JSONValue.parse(text)
        } catch {
            throw PropertyFailure("the serialised value does not parse (\(error)): \(shown(text))")
        }
        try require(again == value, "parsing the serialised value gives another value: \(shown(text))")
        try require(again.serialized == text, "serialising is not stable: \(shown(text)) then \(shown(again.serialized))")
    }

    static func depth(of value: JSONValue) -> Int {
        switch value {
        case .array(let elements): return 1 + (elements.map(depth(of:)).max() ?? 0)
        case .object(let members): return 1 + (members.map { depth(of: $0.value) }.max() ?? 0)
        default: return 0
        }
    }
}
