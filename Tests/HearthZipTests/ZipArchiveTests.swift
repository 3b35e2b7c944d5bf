import HearthZip
import XCTest
import ZipFixtures

/// Zips made by Python's zipfile and by the tests' writer are read as they were written.
final class ZipArchiveTests: XCTestCase {
    let limits = ZipLimits(maxUnpackedSize: 1 << 24)

    func files(_ bytes: [UInt8]) throws -> [String: ZipFile] {
        Dictionary(uniqueKeysWithValues: try ZipArchive.unpack(bytes, limits: limits).map { ($0.path, $0) })
    }

    func testStoredEntries() throws {
        let files = try files(Corpus.bytes("ok-stored.zip"))
        XCTAssertEqual(files["hello.py"]?.bytes, Corpus.hello)
        XCTAssertEqual(files["lib/util.py"]?.bytes, Array("X = 1\n".utf8))
        XCTAssertEqual(try ZipArchive(bytes: Corpus.bytes("ok-stored.zip"), limits: limits).entries.map(\.method), [.stored, .stored])
    }

    func testDeflateDirectoriesModesAndAnEmptyFile() throws {
        let archive = try ZipArchive(bytes: Corpus.bytes("ok-deflate.zip"), limits: limits)
        XCTAssertEqual(archive.entries.map(\.path), ["lib", "hello.py", "lib/util.py", "bin/run.sh", "empty.txt", "docs"])
        XCTAssertEqual(archive.entries.map(\.kind), [.directory, .file, .file, .file, .file, .directory])
        XCTAssertEqual(archive.entries.map(\.mode), [0o755, 0o644, 0o644, 0o755, 0o644, 0o755])
        let files = try files(Corpus.bytes("ok-deflate.zip"))
        XCTAssertEqual(files["hello.py"]?.bytes, Corpus.hello)
        XCTAssertEqual(files["lib/util.py"]?.bytes, Array(String(repeating: "X = 1\n", count: 50).utf8))
        XCTAssertEqual(files["bin/run.sh"]?.bytes, Array("#!/bin/sh\necho hi\n".utf8))
        XCTAssertEqual(files["empty.txt"]?.bytes, [])
        XCTAssertEqual(files["docs"]?.bytes, [])
    }

    func testABigFile() throws {
        let archive = try ZipArchive(bytes: Corpus.bytes("ok-big.zip"), limits: limits)
        XCTAssertEqual(archive.entries.first?.size, Corpus.bigText.count)
        XCTAssertEqual(try archive.contents(of: archive.entries[0]), Corpus.bigText)
    }

    func testAnEmptyArchive() throws {
        XCTAssertEqual(try ZipArchive(bytes: Corpus.bytes("ok-empty-archive.zip"), limits: limits).entries, [])
    }

    func testACommentHoldingAnEndSignature() throws {
        XCTAssertEqual(try files(Corpus.bytes("ok-comment.zip"))["hello.py"]?.bytes, Corpus.hello)
    }

    func testDataDescriptorsFromAStream() throws {
        let files = try files(Corpus.bytes("ok-data-descriptor.zip"))
        XCTAssertEqual(files["hello.py"]?.bytes, Corpus.hello)
        XCTAssertEqual(files["b.txt"]?.bytes, [UInt8](repeating: UInt8(ascii: "b"), count: 1000))
    }

    func testZip64ExtraFields() throws {
        let bytes = try Corpus.bytes("ok-zip64-extra.zip")
        XCTAssertEqual(try files(bytes)["hello.py"]?.bytes, Corpus.hello)
    }

    func testUnicodeNames() throws {
        XCTAssertEqual(try files(Corpus.bytes("ok-unicode.zip"))["héllo/wörld.py"]?.bytes, Corpus.hello)
    }

    func testTheWritersZips() throws {
        let bytes = ZipWriter.zip([
            .directory("a/"), ZipEntrySpec("a/b.txt", "bee"), ZipEntrySpec("run", "#!/bin/sh\n", deflate: false, mode: 0o100750),
            ZipEntrySpec("empty", "", deflate: true),
        ])
        let files = try ZipArchive.unpack(bytes, limits: limits)
        XCTAssertEqual(files.map(\.path), ["a", "a/b.txt", "run", "empty"])
        XCTAssertEqual(files.map(\.mode), [0o755, 0o644, 0o755, 0o644])
        XCTAssertEqual(files[1].bytes, Array("bee".utf8))
    }

    /// An archive made on MS-DOS or Windows has no Unix mode: files are 0644 whatever the
    /// high half of the attributes holds, and a symlink type there is not a symlink.
    func testModesOnlyFromUnixHosts() throws {
        var bytes = ZipWriter.zip([ZipEntrySpec("tool", "x", mode: 0o120777)])
        let central = bytes.offsets(of: 0x0201_4b50)[0]
        bytes.set16(0x0014, at: central + 4)  // made by MS-DOS
        let files = try ZipArchive.unpack(bytes, limits: limits)
        XCTAssertEqual(files.map(\.mode), [0o644])
        XCTAssertEqual(files.map(\.kind), [.file])
    }

    /// Zip64 end records (written when an archive outgrows 16- or 32-bit counts) are read,
    /// and refused when they disagree with the end record.
    func testZip64EndRecord() throws {
        let plain = ZipWriter.zip([ZipEntrySpec("a.txt", "aaa"), ZipEntrySpec("b.txt", "bbb")])
        let end = plain.offsets(of: 0x0605_4b50)[0]
        let directoryOffset = plain.get32(at: end + 16), directorySize = plain.get32(at: end + 12)
        func zip64(entries: UInt64) -> [UInt8] {
            var bytes = Array(plain[..<end])
            let record = bytes.count
            bytes.put32(0x0606_4b50); bytes.put32(44); bytes.put32(0); bytes.put16(45); bytes.put16(45)
            bytes.put32(0); bytes.put32(0)
            for value in [entries, entries, UInt64(directorySize), UInt64(directoryOffset)] {
                bytes.put32(UInt32(value & 0xFFFF_FFFF)); bytes.put32(UInt32(value >> 32))
            }
            bytes.put32(0x0706_4b50); bytes.put32(0); bytes.put32(UInt32(record)); bytes.put32(0); bytes.put32(1)
            bytes.put32(0x0605_4b50); bytes.put16(0xFFFF); bytes.put16(0xFFFF); bytes.put16(0xFFFF); bytes.put16(0xFFFF)
            bytes.put32(0xFFFF_FFFF); bytes.put32(0xFFFF_FFFF); bytes.put16(0)
            return bytes
        }
        XCTAssertEqual(try ZipArchive.unpack(zip64(entries: 2), limits: limits).map(\.path), ["a.txt", "b.txt"])
        XCTAssertThrowsError(try ZipArchive(bytes: zip64(entries: 3), limits: limits))
        var disagreeing = zip64(entries: 2)
        disagreeing.set16(1, at: disagreeing.count - 12)  // the 16-bit count says 1, the zip64 record 2
        XCTAssertThrowsError(try ZipArchive(bytes: disagreeing, limits: limits)) { error in
            XCTAssertEqual(error as? ZipError, .zip64("disagrees with the end record"))
        }
    }

    func testAnEntryOfAnotherArchiveIsRefused() throws {
        let one = try ZipArchive(bytes: ZipWriter.zip([ZipEntrySpec("a.txt", "aaa")]), limits: limits)
        let other = try ZipArchive(bytes: ZipWriter.zip([ZipEntrySpec("b.txt", String(repeating: "b", count: 999))]), limits: limits)
        XCTAssertThrowsError(try one.contents(of: other.entries[0])) { XCTAssertEqual($0 as? ZipError, .foreignEntry) }
    }
}
