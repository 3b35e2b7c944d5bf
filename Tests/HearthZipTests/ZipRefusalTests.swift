import HearthZip
import XCTest
import ZipFixtures

/// Malformed and hostile zips are refused with an error that says what is wrong, and none
/// makes the reader trap.
final class ZipRefusalTests: XCTestCase {
    let limits = ZipLimits(maxUnpackedSize: 1 << 24)

    /// What each bad-*.zip of the corpus must be refused for (a part of the message).
    static let verdicts: [String: String] = [
        "bad-eocd-offset.zip": "the central directory (54 bytes at offset 4272) lies outside the file (176 bytes)",
        "bad-directory-size.zip": "the central directory (154 bytes at offset 100) lies outside the file",
        "bad-directory-truncated.zip": "the central directory is damaged: entry 2 runs past its end",
        "bad-entry-count.zip": "the end record counts 2 entries, more than its 54 bytes can hold",
        "bad-local-offset.zip": "entry 'hello.py': its local header (at offset 2147483632) lies outside the file",
        "bad-local-signature.zip": "entry 'hello.py': its local header disagrees with the central directory (no local header at offset 40)",
        "bad-sizes-lie.zip": "entry 'bomb.py' inflates to more than the 100 bytes it declares",
        "bad-stored-size.zip": "entry 'hello.py' is stored but declares 10 bytes and holds 64",
        "bad-crc.zip": "entry 'hello.py' has a bad CRC-32",
        "bad-crc-data.zip": "entry 'hello.py' has a bad CRC-32",
        "bad-method.zip": "entry 'hello.py' uses compression method 12 (bzip2); only stored (0) and deflate (8) are supported",
        "bad-encrypted.zip": "entry 'hello.py' is encrypted",
        "bad-local-name.zip": "entry 'hello.py': its local header disagrees with the central directory (name 'jello.py')",
        "bad-local-method.zip": "entry 'hello.py': its local header disagrees with the central directory (compression method)",
        "bad-dotdot.zip": "entry 'a/../../escape.py' points outside the package",
        "bad-absolute.zip": "entry '/etc/cron.d/x' points outside the package",
        "bad-backslash.zip": "entry name '..\\..\\escape.py' contains a backslash",
        "bad-nul.zip": "entry name 'hello.py?.txt' contains a NUL byte",
        "bad-control.zip": "entry name 'hello?.py' contains a control character",
        "bad-not-utf8.zip": "is not UTF-8",
        "bad-dot.zip": "entry name './hello.py' has a '.' path component",
        "bad-empty-component.zip": "entry name 'lib//hello.py' has an empty path component",
        "bad-long-component.zip": "has a path component of 259 bytes; at most 255 are allowed",
        "bad-name-too-long.zip": "is 1204 bytes long; at most 1024 are allowed",
        "bad-duplicate.zip": "entry 'hello.py' appears twice",
        "bad-file-and-directory.zip": "'lib' is both a file and a directory",
        "bad-symlink.zip": "entry 'link.py' is a symbolic link, which is not allowed",
        "bad-fifo.zip": "entry 'fifo' is a device, pipe or socket",
        "bad-directory-contents.zip": "entry 'lib/' is a directory but declares 9 bytes of contents",
        "bad-truncated-deflate.zip": "entry 'hello.py' is cut short",
        "bad-deflate-data.zip": "entry 'hello.py' is corrupt:",
        "bad-overlap.zip": "entries 'a.bin' and 'b.py' overlap",
        "bad-trailing-bytes.zip": "no end-of-central-directory record",
        "bad-not-a-zip.zip": "no end-of-central-directory record",
        "bad-empty-file.zip": "no end-of-central-directory record",
    ]

    /// Every file of the corpus: ok-* read and verify; bad-* are refused for the right reason.
    func testTheCorpus() throws {
        let names = try Corpus.names()
        XCTAssertGreaterThan(names.count, 40)
        for name in names {
            let bytes = try Corpus.bytes(name)
            if name.hasPrefix("ok-") {
                XCTAssertNoThrow(try ZipArchive(bytes: bytes, limits: limits).verify(), name)
                continue
            }
            guard let verdict = Self.verdicts[name] else {
                XCTFail("\(name): no verdict for it in ZipRefusalTests.verdicts")
                continue
            }
            XCTAssertThrowsError(try ZipArchive(bytes: bytes, limits: limits).verify(), name) { error in
                XCTAssertTrue("\(error)".contains(verdict), "\(name): '\(error)' lacks '\(verdict)'")
            }
        }
    }

    func testA60KBName() {
        let name = String(repeating: "n", count: 60 * 1024)
        let bytes = ZipWriter.zip([ZipEntrySpec(name, "x")])
        XCTAssertThrowsError(try ZipArchive(bytes: bytes, limits: limits)) { error in
            guard case .nameTooLong(let shown, 61_440, 1_024) = error as? ZipError else { return XCTFail("\(error)") }
            XCTAssertEqual(shown.count, 101, "names in messages are shortened")
        }
    }

    func testTooManyEntries() {
        let bytes = ZipWriter.zip((0..<11).map { ZipEntrySpec("f\($0)", "") })
        XCTAssertNoThrow(try ZipArchive(bytes: bytes, limits: ZipLimits(maxUnpackedSize: 1 << 20, maxEntries: 11)))
        XCTAssertThrowsError(try ZipArchive(bytes: bytes, limits: ZipLimits(maxUnpackedSize: 1 << 20, maxEntries: 10))) {
            XCTAssertEqual($0 as? ZipError, .tooManyEntries(count: 11, limit: 10))
        }
    }

    /// The declared total is checked before inflating; each entry must inflate to what it declares.
    func testTheUnpackedLimit() {
        let bytes = ZipWriter.zip([ZipEntrySpec("a", String(repeating: "a", count: 600)), ZipEntrySpec("b", String(repeating: "b", count: 600))])
        XCTAssertNoThrow(try ZipArchive(bytes: bytes, limits: ZipLimits(maxUnpackedSize: 1200)).verify())
        XCTAssertThrowsError(try ZipArchive(bytes: bytes, limits: ZipLimits(maxUnpackedSize: 1199))) {
            XCTAssertEqual($0 as? ZipError, .tooLarge(limit: 1199))
        }
    }

    /// A bomb that declares honest sizes is refused before a byte is inflated; one that lies
    /// is stopped one chunk past its declared size.
    func testBombs() throws {
        let honest = ZipWriter.zip([ZipEntrySpec("zeros", [UInt8](repeating: 0, count: 40 << 20))])
        XCTAssertLessThan(honest.count, 100_000)
        XCTAssertThrowsError(try ZipArchive(bytes: honest, limits: limits)) { XCTAssertEqual($0 as? ZipError, .tooLarge(limit: 1 << 24)) }
        var lying = honest
        lying.set32(1000, at: lying.offsets(of: 0x0403_4b50)[0] + 22)
        lying.set32(1000, at: lying.offsets(of: 0x0201_4b50)[0] + 24)
        let archive = try ZipArchive(bytes: lying, limits: limits)
        XCTAssertThrowsError(try archive.verify()) {
            XCTAssertEqual($0 as? ZipError, .sizeMismatch(name: "zeros", detail: "inflates to more than the 1000 bytes it declares"))
        }
    }

    func testAStreamShorterThanDeclared() throws {
        var bytes = ZipWriter.zip([ZipEntrySpec("short", String(repeating: "s", count: 100))])
        bytes.set32(200, at: bytes.offsets(of: 0x0403_4b50)[0] + 22)
        bytes.set32(200, at: bytes.offsets(of: 0x0201_4b50)[0] + 24)
        XCTAssertThrowsError(try ZipArchive(bytes: bytes, limits: limits).verify()) {
            XCTAssertEqual($0 as? ZipError, .sizeMismatch(name: "short", detail: "inflates to 100 bytes, not the 200 it declares"))
        }
    }

    func testSymlinksFromTheWriter() {
        XCTAssertThrowsError(try ZipArchive(bytes: ZipWriter.zip([.symlink("link", to: "/etc/shadow")]), limits: limits)) {
            XCTAssertEqual($0 as? ZipError, .symlink(name: "link"))
        }
    }

    /// Two central records for one local header (the cheapest zip bomb) overlap.
    func testTwoRecordsForOneLocalHeader() {
        var bytes = ZipWriter.zip([ZipEntrySpec("x", "1"), ZipEntrySpec("x", "1")])
        let centrals = bytes.offsets(of: 0x0201_4b50)
        bytes.set32(0, at: centrals[1] + 42)
        XCTAssertThrowsError(try ZipArchive(bytes: bytes, limits: limits)) { XCTAssertEqual($0 as? ZipError, .duplicate(name: "x")) }
        var renamed = ZipWriter.zip([ZipEntrySpec("x", "1"), ZipEntrySpec("y", "1")])
        let records = renamed.offsets(of: 0x0201_4b50)
        renamed.set32(0, at: records[1] + 42)
        XCTAssertThrowsError(try ZipArchive(bytes: renamed, limits: limits)) {
            XCTAssertEqual($0 as? ZipError, .localHeaderMismatch(name: "y", field: "name 'x'"))
        }
    }

    func testDirectoryAndFileConflictsInEitherOrder() {
        for entries in [[ZipEntrySpec("a/b", "1"), ZipEntrySpec("a", "2")], [.directory("a/"), ZipEntrySpec("a", "2")], [ZipEntrySpec("a", "2"), .directory("a/")]] {
            XCTAssertThrowsError(try ZipArchive(bytes: ZipWriter.zip(entries), limits: limits)) {
                XCTAssertEqual($0 as? ZipError, .fileAndDirectory(name: "a"))
            }
        }
        XCTAssertThrowsError(try ZipArchive(bytes: ZipWriter.zip([.directory("a/"), .directory("a/")]), limits: limits)) {
            XCTAssertEqual($0 as? ZipError, .duplicate(name: "a"))
        }
        XCTAssertNoThrow(try ZipArchive(bytes: ZipWriter.zip([ZipEntrySpec("a/b", "1"), .directory("a/"), ZipEntrySpec("a/c/d", "")]), limits: limits))
    }

    /// Every prefix of a good zip, and every single-bit change to it, is read or refused,
    /// never a trap. (The fuzz target does this at scale; this keeps the cheap part in `swift test`.)
    func testEveryTruncationAndBitFlip() throws {
        let good = try Corpus.bytes("ok-deflate.zip")
        for length in 0..<good.count {
            XCTAssertThrowsError(try ZipArchive(bytes: Array(good[..<length]), limits: limits).verify(), "\(length) bytes")
        }
        var refused = 0
        for bit in 0..<good.count * 8 {
            var bytes = good
            bytes[bit / 8] ^= 1 << (bit % 8)
            do {
                try ZipArchive(bytes: bytes, limits: limits).verify()
            } catch {
                refused += 1
            }
        }
        XCTAssertGreaterThan(refused, good.count * 4, "most single-bit changes are caught")
    }

    /// Random overwrites of the records' fields (a fixed seed, so a failure repeats).
    func testRandomDamage() throws {
        var random = SplitMix(seed: 10)
        let seeds = try ["ok-deflate.zip", "ok-zip64-extra.zip", "ok-data-descriptor.zip", "ok-stored.zip"].map(Corpus.bytes)
        for round in 0..<4000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0...Int(random.next() % 4) {
                let at = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 4 {
                case 0: bytes[at] = 0xFF
                case 1: bytes[at] = 0
                case 2: bytes[at] = UInt8(truncatingIfNeeded: random.next())
                default: bytes.removeSubrange(at..<min(bytes.count, at + Int(random.next() % 64)))
                }
                if bytes.isEmpty { break }
            }
            _ = try? ZipArchive(bytes: bytes, limits: limits).verify()
        }
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
