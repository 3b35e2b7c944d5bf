/// A JSON text that could not be parsed, with the byte offset where parsing stopped.
public struct JSONParseError: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public let offset: Int
    /// Valid JSON, but nested deeper than `JSONValue.maximumDepth`.
    public var tooDeep = false

    public var description: String { "\(reason) at byte \(offset)" }
}

extension JSONValue {
    /// JSON's four whitespace bytes.
    public static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// Nesting deeper than this is refused rather than risking the stack on hostile input.
    public static let maximumDepth = 256

    /// Parses one JSON value (RFC 8259) surrounded by optional whitespace.
    public static func parse(_ text: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: Array(text))
        return try parser.parseDocument()
    }

    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }
}

private struct JSONParser {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw fail("unexpected text after the JSON value") }
        return value
    }

    func fail(_ reason: String) -> JSONParseError {
        JSONParseError(reason: reason, offset: index)
    }

    mutating func skipWhitespace() {
        while index < bytes.count, JSONValue.isWhitespace(bytes[index]) { index += 1 }
    }

    /// One array or object being read: what it holds so far and, in an object, the key
    /// whose value comes next.
    struct OpenContainer {
        var isObject: Bool
        var elements: [JSONValue] = []
        var members: [(key: String, value: JSONValue)] = []
        var key = ""
    }

    /// Reads one value with an explicit stack of open containers rather than recursion, so
    /// that nesting costs heap, not stack: the frame decoder runs this on a worker's I/O
    /// thread (256 KiB of stack), where a function's result nested 150 deep used to crash
    /// the daemon. `maximumDepth` still bounds it, for the code that walks values recursively.
    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        var open: [OpenContainer] = []
        while true {
            var value = try parseScalarOrOpen(&open)
            // Close what `value` completes, until a container wants another element.
            while let last = open.indices.last {
                skipWhitespace()
                if open[last].isObject {
                    open[last].members.append((key: open[last].key, value: value))
                } else {
                    open[last].elements.append(value)
                }
                guard index < bytes.count else { throw fail(open[last].isObject ? "unterminated object" : "unterminated array") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    skipWhitespace()
                    if open[last].isObject { open[last].key = try parseMemberKey() }
                    break
                }
                let closing = open[last].isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
                guard bytes[index] == closing else {
                    throw fail(open[last].isObject ? "expected ',' or '}' in an object" : "expected ',' or ']' in an array")
                }
                index += 1
                let done = open.removeLast()
                value = done.isObject ? .object(done.members) : .array(done.elements)
            }
            if open.isEmpty { return value }
        }
    }

    /// Reads until a value is complete (a scalar or an empty container); each non-empty
    /// container met on the way is pushed onto `open`, an object's first key already read.
    mutating func parseScalarOrOpen(_ open: inout [OpenContainer]) throws(JSONParseError) -> JSONValue {
        while true {
            guard index < bytes.count else { throw fail("unexpected end of JSON") }
            let byte = bytes[index]
            guard byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") else { return try parseScalar() }
            let isObject = byte == UInt8(ascii: "{")
            if open.count + 1 > JSONValue.maximumDepth {
                var error = fail("JSON nested deeper than \(JSONValue.maximumDepth) levels")
                error.tooDeep = true
                throw error
            }
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                index += 1
                return isObject ? .object([]) : .array([])
            }
            var container = OpenContainer(isObject: isObject)
            if isObject { container.key = try parseMemberKey() }
            open.append(container)
        }
    }

    /// `"key" :` and the whitespace after it, at the start of an object member.
    mutating func parseMemberKey() throws(JSONParseError) -> String {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
        let key = try parseString()
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':' after an object key") }
        index += 1
        skipWhitespace()
        return key
    }

    mutating func parseScalar() throws(JSONParseError) -> JSONValue {
        switch bytes[index] {
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw fail("unexpected character '\(Character(Unicode.Scalar(bytes[index])))'")
        }
    }

    mutating func expectLiteral(_ literal: String) throws(JSONParseError) {
        for byte in literal.utf8 {
            guard index < bytes.count, bytes[index] == byte else { throw fail("invalid literal, expected \(literal)") }
            index += 1
        }
    }

    /// Collects the string's UTF-8 in one byte buffer. (Appending each run and escape to a
    /// `String.UnicodeScalarView` copied the string every time: an unauthenticated webhook
    /// body of one string full of `\"` cost quadratic time.)
    mutating func parseString() throws(JSONParseError) -> String {
        index += 1  // opening quote
        var decoded: [UInt8] = []
        var escaped = false
        var runStart = index
        func flushRun(_ end: Int) throws(JSONParseError) {
            guard runStart < end else { return }
            // A run ends at a quote or a backslash, never inside a multi-byte sequence.
            guard String(validating: bytes[runStart..<end], as: UTF8.self) != nil else {
                throw JSONParseError(reason: "invalid UTF-8 in a string", offset: runStart)
            }
            decoded.append(contentsOf: bytes[runStart..<end])
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                if !escaped {
                    guard let text = String(validating: bytes[runStart..<index], as: UTF8.self) else {
                        throw JSONParseError(reason: "invalid UTF-8 in a string", offset: runStart)
                    }
                    index += 1
                    return text
                }
                try flushRun(index)
                index += 1
                return String(decoding: decoded, as: UTF8.self)
            }
            if byte < 0x20 { throw fail("control character in a string") }
            if byte == UInt8(ascii: "\\") {
                try flushRun(index)
                escaped = true
                index += 1
                UTF8.encode(try parseEscape()) { decoded.append($0) }
                runStart = index
                continue
            }
            index += 1
        }
        throw fail("unterminated string")
    }

    mutating func parseEscape() throws(JSONParseError) -> Unicode.Scalar {
        guard index < bytes.count else { throw fail("unterminated escape") }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let high = try parseHex4()
            if (0xD800..<0xDC00).contains(high) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw fail("unpaired surrogate in \\u escape")
                }
                index += 2
                let low = try parseHex4()
                guard (0xDC00..<0xE000).contains(low) else { throw fail("invalid low surrogate in \\u escape") }
                return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
            }
            guard let scalar = Unicode.Scalar(high) else { throw fail("unpaired surrogate in \\u escape") }
            return scalar
        default:
            throw fail("invalid escape sequence")
        }
    }

    mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw fail("invalid hex digit in \\u escape")
            }
            value = value * 16 + UInt32(digit)
            index += 1
        }
        return value
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = index
        var isInteger = true
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw fail("invalid number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw fail("invalid number: digits expected after '.'") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw fail("invalid number: digits expected in exponent") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isInteger, let int = Int64(text) { return .int(int) }
        guard let double = Double(text) else { throw JSONParseError(reason: "invalid number", offset: start) }
        // `1e400` is valid JSON text but no double: it would become infinity, which JSON
        // cannot write back (Python writes `Infinity`, which no strict reader takes).
        guard double.isFinite else { throw JSONParseError(reason: "number out of range (beyond ±1.8e308)", offset: start) }
        return .double(double)
    }

    func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
