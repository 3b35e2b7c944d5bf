import Foundation
import HearthCore
import MultipartKit

/// Reads the fields of a request body by its Content-Type: a JSON object, an HTML form, or
/// multipart form data. Pure: bytes in, fields out, no server, so `hearth-fuzz` drives
/// exactly what the API runs. The bytes are untrusted (a webhook takes them without
/// credentials), so each reader is linear in the body and refuses rather than traps.
public enum BodyDecoder {
    public typealias Fields = [(name: String, value: BodyField)]

    public static func fields(_ bytes: [UInt8], contentType: String) throws(BodyError) -> Fields {
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingHeaderSpace.lowercased() } ?? ""
        switch mediaType {
        case "multipart/form-data":
            return try multipart(bytes, contentType: contentType)
        case "application/x-www-form-urlencoded" where !looksLikeJSONObject(bytes):
            return try form(bytes)
        default:
            return try json(bytes)
        }
    }

    /// `curl -d '{…}'` labels a JSON body as a form; no form field name starts with `{`.
    public static func looksLikeJSONObject(_ bytes: [UInt8]) -> Bool {
        bytes.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "{")
    }

    /// A JSON object body. An empty body counts as `{}`: the Qinling client sends
    /// `Content-Type: application/json` even with nothing to send.
    public static func json(_ bytes: [UInt8]) throws(BodyError) -> Fields {
        if bytes.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) { return [] }
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            throw BodyError("Request body is not valid JSON: \(error).")
        }
        guard let members = value.objectMembers else {
            throw BodyError("Request body must be a JSON object, got a \(value.typeName).")
        }
        return members.map { (name: $0.key, value: .json($0.value)) }
    }

    public static func form(_ bytes: [UInt8]) throws(BodyError) -> Fields {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw BodyError("Form body is not UTF-8 text.")
        }
        var entries: Fields = []
        for pair in bytes.split(separator: UInt8(ascii: "&")) {
            let equals = pair.firstIndex(of: UInt8(ascii: "=")) ?? pair.endIndex
            let value = equals < pair.endIndex ? pair[(equals + 1)...] : []
            guard let name = formDecode(pair[..<equals]), let text = formDecode(value) else {
                throw BodyError("Form body has a malformed percent-escape in '\(String(decoding: pair.prefix(200), as: UTF8.self))'.")
            }
            entries.append((name: name, value: .text(text)))
        }
        return entries
    }

    /// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte; nil for a
    /// malformed escape or bytes that are not UTF-8. One pass over the bytes (Foundation's
    /// replace-then-unescape cost several times as much, on an unauthenticated path).
    public static func formDecode(_ bytes: ArraySlice<UInt8>) -> String? {
        guard bytes.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) else {
            return String(validating: bytes, as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            switch bytes[i] {
            case UInt8(ascii: "+"):
                out.append(0x20)
                i += 1
            case UInt8(ascii: "%"):
                guard bytes.endIndex - i >= 3, let high = hexValue(bytes[i + 1]), let low = hexValue(bytes[i + 2])
                else { return nil }
                out.append(high << 4 | low)
                i += 3
            case let byte:
                out.append(byte)
                i += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    public static func multipart(_ bytes: [UInt8], contentType: String) throws(BodyError) -> Fields {
        guard let boundary = parameter("boundary", in: contentType) else {
            throw BodyError("multipart/form-data body without a boundary parameter in Content-Type.")
        }
        try MultipartKitGuard.check(bytes, boundary: boundary)
        let parser = MultipartParser(boundary: boundary)
        var entries: Fields = []
        var headers: [(String, String)] = []
        var body: [UInt8] = []
        parser.onHeader = { name, value in headers.append((name, value)) }
        parser.onBody = { buffer in body.append(contentsOf: buffer.readableBytesView) }
        parser.onPartComplete = {
            let disposition = headers.last(where: { $0.0.lowercased() == "content-disposition" })?.1 ?? ""
            if let name = parameter("name", in: disposition) {
                let filename = parameter("filename", in: disposition)
                if filename == nil, let text = String(validating: body, as: UTF8.self) {
                    entries.append((name: name, value: .text(text)))
                } else {
                    entries.append((name: name, value: .part(bytes: body, filename: filename)))
                }
            }
            headers = []
            body = []
        }
        do {
            try parser.execute(bytes)
        } catch {
            throw BodyError("Malformed multipart/form-data body: \(error).")
        }
        return entries
    }

    /// A `key=value` or `key="value"` parameter of a header such as Content-Disposition.
    public static func parameter(_ key: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingHeaderSpace.lowercased() == key else { continue }
            var value = String(pair[1].trimmingHeaderSpace)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }
}
