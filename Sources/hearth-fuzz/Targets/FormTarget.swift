import HearthCore
import HearthWire

/// Form and JSON object bodies (`BodyDecoder`), as a webhook takes them without
/// credentials. Decoded form fields, encoded again, decode to the same fields; a JSON body's
/// fields are its object's members; and a body labelled as a form is read as JSON exactly
/// when it looks like a JSON object. Every input also has a time budget (libFuzzer's
/// `-timeout`, the replay's budget over the big committed bodies): decoding is linear.
enum FormTarget: FuzzTarget {
    static let name = "form"
    static let summary = "BodyDecoder.form/json: decode → encode → decode round trip, form-vs-JSON dispatch"
    static let maximumLength = 4096

    static func run(_ bytes: [UInt8]) throws(PropertyFailure) {
        let form = try? BodyDecoder.form(bytes)
        if let form {
            try require(form.count <= bytes.count(where: { $0 == UInt8(ascii: "&") }) + 1, "\(form.count) fields from \(bytes.count) bytes")
            let encoded = form.map { field -> String in
                guard case .text(let value) = field.value else { return "" }
                return encode(field.name) + "=" + encode(value)
            }.joined(separator: "&")
            let again: BodyDecoder.Fields
            do {
                again = try BodyDecoder.form(Array(encoded.utf8))
            } catch {
                throw PropertyFailure("re-encoded form fields are refused (\(error)): \(shown(encoded))")
            }
            try require(same(again, form), "form fields encoded and decoded again differ: \(shown(encoded))")
        }

        let json = try? BodyDecoder.json(bytes)
        if let json, let value = try? JSONValue.parse(bytes) {
            let members = value.objectMembers ?? []
            try require(same(json, members.map { (name: $0.key, value: .json($0.value)) }), "a JSON body's fields are not its members")
        }

        let labelledForm = try? BodyDecoder.fields(bytes, contentType: "application/x-www-form-urlencoded; charset=utf-8")
        let expected = BodyDecoder.looksLikeJSONObject(bytes) ? json : form
        try require(same(labelledForm, expected), "a body labelled as a form is read neither as its form nor as its JSON")
    }

    /// What a browser sends: unreserved bytes as they are, a space as `+`, the rest `%XX`.
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }

    static func same(_ a: BodyDecoder.Fields?, _ b: BodyDecoder.Fields?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return a.count == b.count && zip(a, b).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}
