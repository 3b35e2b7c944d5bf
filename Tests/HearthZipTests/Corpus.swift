import Foundation

/// Tests/Fuzz/corpus/zip, made by Tests/Fuzz/make_zip_corpus.py with Python's zipfile.
enum Corpus {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus/zip")

    static func names() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".zip") }.sorted()
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// The big file of ok-big.zip, as the script makes it.
    static let bigText: [UInt8] = Array((0..<200_000).map { String(format: "hearth line %06d\n", $0 % 1000) }.joined().utf8)

    static let hello = Array("def main(name='World', **kwargs):\n    return 'Hello, %s' % name\n".utf8)
}
