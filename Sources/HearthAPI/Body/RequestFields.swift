import HearthCore
import HearthWire

/// The fields of a request body, whichever way it was sent: a JSON object, an HTML form, or
/// multipart form data (the only way to send a function package). Qinling's function
/// endpoints take all three, and its client sends numbers as strings and nulls for fields it
/// leaves out, so every reader accepts those and says exactly which field is wrong otherwise.
struct RequestFields: Sendable {
    /// As `BodyDecoder` (HearthWire) reads it.
    typealias Value = BodyField

    private(set) var entries: [(name: String, value: Value)] = []
    /// Where each name was last sent. A body of N fields costs O(N) to index and O(1) per
    /// lookup: a scan per lookup made an unauthenticated webhook body quadratic.
    private var lastIndex: [String: Int] = [:]

    init(entries: [(name: String, value: Value)] = []) {
        self.entries = entries
        lastIndex.reserveCapacity(entries.count)
        for (index, entry) in entries.enumerated() { lastIndex[entry.name] = index }
    }

    /// The last value sent for a name, as Python frameworks keep it.
    subscript(name: String) -> Value? {
        lastIndex[name].map { entries[$0].value }
    }

    var names: [String] { entries.map(\.name) }

    /// Refuses fields the resource does not have, and read-only ones, naming them.
    func check(resource: String, writable: Set<String>, readOnly: Set<String>, hints: [String: String] = [:]) throws {
        for name in names where !writable.contains(name) {
            if readOnly.contains(name) {
                throw APIError.badRequest("Invalid input for field/attribute \(name). Value: '\(display(name))'. Cannot set read only field.")
            }
            let hint = hints[name].map { " \($0)" } ?? ""
            throw APIError.badRequest("Unknown attribute for argument \(resource): \(name).\(hint)")
        }
    }

    func string(_ name: String) throws -> String? {
        switch self[name] {
        case nil, .json(.null)?: return nil
        case .json(.string(let s))?, .text(let s)?: return s
        case .part(let bytes, _)?: return try utf8(bytes, name)
        case .json(let other)?:
            throw APIError.badRequest("Invalid input for field/attribute \(name). Value: '\(other.serialized)'. Wrong type. Expected a string, got a \(other.typeName).")
        }
    }

    func int(_ name: String) throws -> Int? {
        let text: String
        switch self[name] {
        case nil, .json(.null)?: return nil
        case .json(.int(let i))?:
            guard let value = Int(exactly: i) else { throw notAnInteger(name, "\(i)") }
            return value
        case .json(.string(let s))?, .text(let s)?: text = s
        case .part(let bytes, _)?: text = try utf8(bytes, name)
        case .json(let other)?: throw notAnInteger(name, other.serialized)
        }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else { throw notAnInteger(name, text) }
        return value
    }

    func bool(_ name: String) throws -> Bool? {
        let text: String
        switch self[name] {
        case nil, .json(.null)?: return nil
        case .json(.bool(let b))?: return b
        case .json(.string(let s))?, .text(let s)?: text = s
        case .part(let bytes, _)?: text = try utf8(bytes, name)
        case .json(let other)?: text = other.serialized
        }
        guard let flag = StrictBool.parse(text) else {
            throw APIError.badRequest("Invalid input for field/attribute \(name). Value: '\(text)'. Value not an unambiguous boolean: use true or false.")
        }
        return flag
    }

    /// A JSON object sent either as an object or as a JSON-encoded string (which is how
    /// the Qinling client sends `code`, also in multipart bodies).
    func object(_ name: String) throws -> JSONValue? {
        let text: String
        switch self[name] {
        case nil, .json(.null)?: return nil
        case .json(let value)? where value.objectMembers != nil: return value
        case .json(.string(let s))?, .text(let s)?: text = s
        case .part(let bytes, _)?: text = try utf8(bytes, name)
        case .json(let other)?:
            throw APIError.badRequest("Invalid input for field/attribute \(name). Expected a JSON object, got a \(other.typeName).")
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(text)
        } catch {
            throw APIError.badRequest("Invalid input for field/attribute \(name): not valid JSON (\(error)).")
        }
        guard value.objectMembers != nil else {
            throw APIError.badRequest("Invalid input for field/attribute \(name). Expected a JSON object, got a \(value.typeName).")
        }
        return value
    }

    /// Any JSON value as sent: a JSON body member as itself, a form field as a string.
    func json(_ name: String) -> JSONValue? {
        self[name]?.json
    }

    /// The bytes of an uploaded file.
    func file(_ name: String) throws -> [UInt8]? {
        switch self[name] {
        case nil, .json(.null)?: return nil
        case .part(let bytes, _)?: return bytes
        case .text(let s)?: return Array(s.utf8)
        case .json?:
            throw APIError.badRequest("\(name) must be uploaded as a file: send the request as multipart/form-data with a '\(name)' part.")
        }
    }

    private func utf8(_ bytes: [UInt8], _ name: String) throws -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw APIError.badRequest("Invalid input for field/attribute \(name): not UTF-8 text.")
        }
        return text
    }

    private func notAnInteger(_ name: String, _ value: String) -> APIError {
        APIError.badRequest("Invalid input for field/attribute \(name). Value: '\(value)'. An integer is required.")
    }

    private func display(_ name: String) -> String {
        switch self[name] {
        case .json(let value)?: return value.stringValue ?? value.serialized
        case .text(let s)?: return s
        case .part?: return "<file>"
        case nil: return ""
        }
    }
}

extension RequestFields.Value {
    /// The value as JSON: a JSON body member as itself, a form field or part as a string.
    var json: JSONValue {
        switch self {
        case .json(let value): return value
        case .text(let s): return .string(s)
        case .part(let bytes, _): return .string(String(decoding: bytes, as: UTF8.self))
        }
    }
}
