import HearthZip
import ZipFixtures

/// Function packages (`ZipArchive`), as every upload path takes them from any member token
/// or AK/SK pair. Any bytes either read or throw a `ZipError`, never trap (the 176-byte zip
/// that made ZIPFoundation trap is in the corpus). An archive that reads has only safe
/// names, within the limits, none twice; what it unpacks to is exactly the sizes it declared
/// and no more than the limit; and a zip written from what it unpacked to unpacks the same.
enum ZipTarget: FuzzTarget {
    static let name = "zip"
    static let summary = "ZipArchive: never traps; accepted archives have safe names, exact sizes, and re-zip to the same files"
    static let maximumLength = 65536
    /// Small enough that a zip bomb costs little per input, large enough for ok-big.zip.
    static let limits = ZipLimits(maxUnpackedSize: 8 << 20)

    static func run(_ bytes: [UInt8]) throws(PropertyFailure) {
        guard let archive = try? ZipArchive(bytes: bytes, limits: limits) else { return }
        try require(archive.entries.count <= limits.maxEntries, "\(archive.entries.count) entries accepted")
        var seen = Set<String>()
        for entry in archive.entries {
            let path = entry.path
            let components = path.split(separator: "/", omittingEmptySubsequences: false)
            try require(!path.isEmpty && !path.hasPrefix("/") && !path.contains("\\") && !path.utf8.contains(0), "unsafe name '\(shown(path))' accepted")
            try require(!components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }), "unsafe name '\(shown(path))' accepted")
            try require(path.utf8.count <= limits.maxNameBytes && components.allSatisfy { $0.utf8.count <= limits.maxComponentBytes }, "over-long name accepted")
            try require(seen.insert(path).inserted, "'\(shown(path))' accepted twice")
        }

        let files: [ZipFile]
        do {
            files = try ZipArchive.unpack(bytes, limits: limits)
        } catch {
            return  // A CRC or a deflate stream that fails is found while inflating: refused, not trapped.
        }
        try require(files.reduce(0) { $0 + $1.bytes.count } <= limits.maxUnpackedSize, "unpacked past the limit")
        for (file, entry) in zip(files, archive.entries) {
            try require(file.bytes.count == entry.size, "'\(shown(file.path))' unpacked to \(file.bytes.count) bytes, declared \(entry.size)")
        }

        let rezipped = ZipWriter.zip(files.map { file in
            file.kind == .directory ? .directory(file.path) : ZipEntrySpec(file.path, file.bytes, mode: 0o100000 | UInt32(file.mode))
        })
        let again: [ZipFile]
        do {
            again = try ZipArchive.unpack(rezipped, limits: limits)
        } catch {
            throw PropertyFailure("a zip written from what an archive unpacked to is refused: \(error)")
        }
        try require(again == files, "a zip written from what an archive unpacked to unpacks otherwise")
    }
}
