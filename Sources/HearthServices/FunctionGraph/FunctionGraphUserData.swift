import HearthCore

/// `user_data`: a JSON object of environment variables, sent as a JSON string.
enum FunctionGraphUserData {
    static let maxLength = 4096

    /// The variables in order; scalars other than strings become their JSON text.
    static func parse(_ text: String) throws(FunctionGraphError) -> [(name: String, value: String)] {
        let invalid = { (why: String) in FunctionGraphError(.badRequest, "FSS.1009", "Invalid user_data: \(why)") }
        if text.isEmpty { return [] }
        guard text.count <= maxLength else { throw invalid("it is \(text.count) characters; at most \(maxLength) are allowed") }
        guard let value = try? JSONValue.parse(text), let members = value.objectMembers else {
            throw invalid("it must be a JSON object of strings, such as {\"GREETING\": \"hi\"}")
        }
        return try members.map { member throws(FunctionGraphError) in
            guard isName(member.key) else {
                throw invalid("'\(member.key)' is not an environment variable name (letters, digits and _, not starting with a digit)")
            }
            switch member.value {
            case .string(let s): return (member.key, s)
            case .int, .double, .bool: return (member.key, member.value.serialized)
            default: throw invalid("the value of '\(member.key)' is a \(member.value.typeName); use a string")
            }
        }
    }

    static func isName(_ name: String) -> Bool {
        guard let first = name.first, !first.isNumber else { return false }
        return name.count <= 128 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }
}
