import HearthWire

/// multipart/form-data bodies (`BodyDecoder.multipart`, MultipartKit's parser underneath),
/// the way every function package is uploaded. The input is the boundary, a newline, then
/// the body. The parts found, written out again with a fresh boundary, read back the same;
/// and they hold no more bytes than the body had.
enum MultipartTarget: FuzzTarget {
    static let name = "multipart"
    static let summary = "BodyDecoder.multipart: decode → serialise → decode round trip, no amplification"
    static let maximumLength = 8192

    static func run(_ bytes: [UInt8]) throws(PropertyFailure) {
        let split = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
        let boundary = String(decoding: bytes[..<split], as: UTF8.self)
        let body = Array(bytes[split...].dropFirst())
        // No parts is nothing to write back: a multipart body has at least one part (RFC 2046).
        guard let fields = try? BodyDecoder.multipart(body, contentType: "multipart/form-data; boundary=\(boundary)"), !fields.isEmpty else { return }

        let held = fields.reduce(0) { $0 + size(of: $1.value) }
        try require(held <= body.count, "\(fields.count) parts hold \(held) bytes from a \(body.count)-byte body")

        let (fresh, again) = serialised(fields)
        let decoded: BodyDecoder.Fields
        do {
            decoded = try BodyDecoder.multipart(again, contentType: "multipart/form-data; boundary=\(fresh)")
        } catch {
            throw PropertyFailure("the parts written out again are refused (\(error)): \(shown(again))")
        }
        try require(
            decoded.count == fields.count && zip(decoded, fields).allSatisfy { $0.name == $1.name && $0.value == $1.value },
            "the parts written out again read back otherwise: \(shown(again))")
    }

    static func size(of value: BodyField) -> Int {
        switch value {
        case .text(let text): return text.utf8.count
        case .part(let bytes, _): return bytes.count
        case .json: return 0
        }
    }

    /// The parts as a client writes them, with a boundary that occurs in none of them.
    static func serialised(_ fields: BodyDecoder.Fields) -> (boundary: String, body: [UInt8]) {
        var contents: [[UInt8]] = []
        for field in fields {
            contents.append(Array(field.name.utf8))
            switch field.value {
            case .text(let text): contents.append(Array(text.utf8))
            case .part(let bytes, let filename): contents.append(bytes + Array((filename ?? "").utf8))
            case .json: break
            }
        }
        var boundary = "hearthfuzz"
        while contents.contains(where: { contains($0, Array(boundary.utf8)) }) { boundary += "x" }
        var out: [UInt8] = []
        for field in fields {
            var disposition = "Content-Disposition: form-data; name=\"\(field.name)\""
            let payload: [UInt8]
            switch field.value {
            case .text(let text): payload = Array(text.utf8)
            case .part(let bytes, let filename):
                if let filename { disposition += "; filename=\"\(filename)\"" }
                payload = bytes
            case .json: payload = []
            }
            out += Array("--\(boundary)\r\n\(disposition)\r\n\r\n".utf8) + payload + Array("\r\n".utf8)
        }
        out += Array("--\(boundary)--\r\n".utf8)
        return (boundary, out)
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
