/// The rules for an entry's name, which becomes a path under the directory the package is
/// unpacked into: relative, UTF-8, `/`-separated, with no way to climb out or to mean two
/// things. Refused: empty names; names over `maxNameBytes`, or with a component over
/// `maxComponentBytes`; NUL and other control bytes; backslashes (a Windows separator that
/// Linux would keep in the name); a leading `/`; `..`, `.` and empty components.
enum ZipName {
    private static let slash = UInt8(ascii: "/")

    /// The entry's path (a directory's without its trailing slash) and whether the name ends
    /// with a slash, which marks a directory.
    static func check(_ name: [UInt8], limits: ZipLimits) throws(ZipError) -> (path: String, isDirectory: Bool) {
        let shown = display(name)
        guard !name.isEmpty else { throw .badName(name: shown, reason: "is empty") }
        guard name.count <= limits.maxNameBytes else { throw .nameTooLong(name: shown, bytes: name.count, limit: limits.maxNameBytes) }
        if name.contains(0) { throw .badName(name: shown, reason: "contains a NUL byte") }
        if name.contains(where: { $0 < 0x20 || $0 == 0x7F }) { throw .badName(name: shown, reason: "contains a control character") }
        if name.contains(UInt8(ascii: "\\")) { throw .badName(name: shown, reason: "contains a backslash; use '/' between directories") }
        guard String(validating: name, as: UTF8.self) != nil else {
            throw .badName(name: shown, reason: "is not UTF-8; name files with UTF-8 (or ASCII) characters")
        }
        if name.first == slash { throw .outsidePackage(name: shown) }
        let isDirectory = name.last == slash
        let body = isDirectory ? name.dropLast() : name[...]
        let components = body.split(separator: slash, omittingEmptySubsequences: false)
        if components.contains(where: { $0.elementsEqual([0x2E, 0x2E]) }) { throw .outsidePackage(name: shown) }
        if components.contains(where: { $0.isEmpty }) { throw .badName(name: shown, reason: "has an empty path component ('//')") }
        if components.contains(where: { $0.elementsEqual([0x2E]) }) { throw .badName(name: shown, reason: "has a '.' path component") }
        if let long = components.first(where: { $0.count > limits.maxComponentBytes }) {
            throw .componentTooLong(name: shown, bytes: long.count, limit: limits.maxComponentBytes)
        }
        return (String(decoding: body, as: UTF8.self), isDirectory)
    }

    /// A name as error messages show it: lossy UTF-8, control characters as `?`, and at most
    /// 100 characters, so that a hostile name cannot fill a log or a terminal.
    static func display(_ name: [UInt8]) -> String {
        let limit = 100
        var shown = ""
        for (count, scalar) in String(decoding: name.prefix(limit * 4), as: UTF8.self).unicodeScalars.enumerated() {
            if count == limit {
                shown += "…"
                break
            }
            shown.unicodeScalars.append(scalar.value < 0x20 || scalar.value == 0x7F ? "?" : scalar)
        }
        return shown
    }
}
