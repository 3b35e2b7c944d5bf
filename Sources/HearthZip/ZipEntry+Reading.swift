extension ZipEntry {
    static let localSignature: UInt32 = 0x0403_4b50
    static let localSize = 30

    /// The entry a central record describes, once its name, flags, method, type, sizes and
    /// local header have passed; the first rule it breaks is the error.
    init(_ header: CentralHeader, index: Int, in bytes: [UInt8], directoryOffset: Int, limits: ZipLimits) throws(ZipError) {
        let raw = header.name.array
        let (path, isDirectoryName) = try ZipName.check(raw, limits: limits)
        let shown = ZipName.display(raw)
        guard !header.isEncrypted else { throw .encrypted(name: shown) }
        switch header.method {
        case 0: method = .stored
        case 8: method = .deflate
        default: throw .unsupportedMethod(name: shown, method: Int(header.method))
        }

        // The type is in the Unix mode's S_IFMT bits (0 when unknown, or made elsewhere).
        let type = header.unixMode & 0o170000
        switch type {
        case 0o120000: throw .symlink(name: shown)
        case 0, 0o100000, 0o040000: break
        default: throw .specialFile(name: shown)
        }
        kind = isDirectoryName || type == 0o040000 || header.isDOSDirectory ? .directory : .file
        mode = kind == .directory || header.unixMode & 0o111 != 0 ? 0o755 : 0o644
        self.index = index
        self.path = path
        crc32 = header.crc32
        size = header.size
        compressedSize = header.compressedSize
        localOffset = header.localOffset
        if kind == .directory, size != 0 { throw .sizeMismatch(name: shown, detail: "is a directory but declares \(size) bytes of contents") }
        if method == .stored, size != compressedSize {
            throw .sizeMismatch(name: shown, detail: "is stored but declares \(size) bytes and holds \(compressedSize)")
        }
        guard size <= limits.maxUnpackedSize else { throw .tooLarge(limit: limits.maxUnpackedSize) }
        dataOffset = try Self.checkLocalHeader(header, shown: shown, in: bytes, before: directoryOffset)
    }

    /// The local header must lie before the central directory, with its data, and say what
    /// the central record says: same name, method and encryption, and the same CRC and sizes
    /// unless they follow the data (bit 3), when it may hold zeros. Returns where the data starts.
    private static func checkLocalHeader(_ header: CentralHeader, shown: String, in bytes: [UInt8], before directoryOffset: Int) throws(ZipError) -> Int {
        let offset = header.localOffset
        guard fits(offset, localSize, within: directoryOffset), let local = ByteWindow(bytes, at: offset, count: localSize) else {
            throw .entryOutsideFile(name: shown, part: "local header (at offset \(offset))")
        }
        guard local.u32(0) == localSignature else { throw .localHeaderMismatch(name: shown, field: "no local header at offset \(offset)") }
        let nameLength = Int(local.u16(26)), extraLength = Int(local.u16(28))
        guard fits(offset + localSize, nameLength + extraLength, within: directoryOffset),
              let name = ByteWindow(bytes, at: offset + localSize, count: nameLength),
              let extra = ByteWindow(bytes, at: offset + localSize + nameLength, count: extraLength)
        else { throw .entryOutsideFile(name: shown, part: "local header (at offset \(offset))") }
        guard name.sameBytes(as: header.name) else { throw .localHeaderMismatch(name: shown, field: "name '\(ZipName.display(name.array))'") }
        guard local.u16(8) == header.method else { throw .localHeaderMismatch(name: shown, field: "compression method") }
        guard local.u16(6) & 0x2041 == header.flags & 0x2041 else { throw .localHeaderMismatch(name: shown, field: "encryption") }

        var zip64 = Zip64Values(extra: extra)
        let size = try zip64.resolve(local.u32(22), name: shown)
        let compressedSize = try zip64.resolve(local.u32(18), name: shown)
        let deferred = header.hasDataDescriptor
        guard local.u32(14) == header.crc32 || deferred && local.u32(14) == 0 else { throw .localHeaderMismatch(name: shown, field: "CRC-32") }
        guard size == header.size || deferred && size == 0, compressedSize == header.compressedSize || deferred && compressedSize == 0 else {
            throw .localHeaderMismatch(name: shown, field: "sizes")
        }

        let dataOffset = offset + localSize + nameLength + extraLength
        guard fits(dataOffset, header.compressedSize, within: directoryOffset) else {
            throw .entryOutsideFile(name: shown, part: "data (\(header.compressedSize) bytes at offset \(dataOffset))")
        }
        return dataOffset
    }
}
