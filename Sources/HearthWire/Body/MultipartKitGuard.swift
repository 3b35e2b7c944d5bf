/// Refuses, before MultipartKit 4.7.1's parser sees them, the bodies that make it trap and
/// so kill the daemon (found by `hearth-fuzz multipart`):
///
/// - a byte of 0x80 or more in a part's header name: `isAllowedHeaderFieldNameCharacter`
///   indexes a 128-entry table with it (`Index out of range`);
/// - an empty boundary: `MultipartParser.init` has `precondition(!boundary.isEmpty)`.
///
/// MultipartKit reads header names only in a part's header block: after `--boundary` and
/// CRLF, each line up to its `:`, until an empty line. This checks the same lines after every
/// `--boundary` CRLF in the body, which includes each place MultipartKit treats as a boundary
/// (it needs no more than those bytes to match one). A client's boundary does not occur in
/// what it sends, so a valid body is never refused. Linear: one KMP pass finds the
/// delimiters, and no line is checked twice.
enum MultipartKitGuard {
    /// RFC 2046 §5.1.1: 1 to 70 characters. Longer ones are refused too, which keeps the
    /// search linear in the body with a small constant.
    static let maximumBoundaryLength = 70

    static func check(_ body: [UInt8], boundary: String) throws(BodyError) {
        let boundaryBytes = Array(boundary.utf8)
        guard (1...maximumBoundaryLength).contains(boundaryBytes.count) else {
            throw BodyError("multipart/form-data boundary must be 1 to \(maximumBoundaryLength) characters long (RFC 2046), not \(boundaryBytes.count).")
        }
        let delimiter = Array("--".utf8) + boundaryBytes + [0x0D, 0x0A]
        var checkedUpTo = 0
        for blockStart in occurrences(of: delimiter, in: body) where blockStart >= checkedUpTo {
            checkedUpTo = try checkHeaderBlock(body, from: blockStart)
        }
    }

    /// Checks header lines from `start` until an empty line, a line MultipartKit refuses
    /// anyway, or the end; returns where it stopped.
    private static func checkHeaderBlock(_ body: [UInt8], from start: Int) throws(BodyError) -> Int {
        var i = start
        while i < body.count, body[i] != 0x0D {
            // The header name: up to ':', where MultipartKit looks every byte up.
            while i < body.count, body[i] != UInt8(ascii: ":"), body[i] != 0x0D {
                guard body[i] < 0x80 else {
                    throw BodyError("Malformed multipart/form-data body: a part's header name has a byte that is not ASCII (at byte \(i)).")
                }
                i += 1
            }
            guard i < body.count, body[i] == UInt8(ascii: ":") else { return i }
            // The value, any bytes, up to CR LF.
            while i < body.count, body[i] != 0x0D { i += 1 }
            guard i + 1 < body.count, body[i + 1] == 0x0A else { return i }
            i += 2
        }
        return i
    }

    /// Where each occurrence of `needle` ends, overlapping ones included (Knuth–Morris–Pratt).
    static func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> [Int] {
        var fallback = [Int](repeating: 0, count: needle.count)
        var k = 0
        for i in needle.indices.dropFirst() {
            while k > 0, needle[i] != needle[k] { k = fallback[k - 1] }
            if needle[i] == needle[k] { k += 1 }
            fallback[i] = k
        }
        var ends: [Int] = []
        k = 0
        for (i, byte) in haystack.enumerated() {
            while k > 0, byte != needle[k] { k = fallback[k - 1] }
            if byte == needle[k] { k += 1 }
            if k == needle.count {
                ends.append(i + 1)
                k = fallback[k - 1]
            }
        }
        return ends
    }
}
