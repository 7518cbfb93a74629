import Foundation

/// Little-endian reads at fixed offsets of a buffer whose length the caller has checked.
struct LittleEndianBytes {
    let bytes: UnsafeRawBufferPointer

    func u8(_ at: Int) -> UInt8 { bytes[at] }
    func u16(_ at: Int) -> UInt16 { UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self)) }
    func u32(_ at: Int) -> UInt32 { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
    func u64(_ at: Int) -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
}

/// The validated structure of a `.tzw` file: header, metadata and tensor table.
public struct WeightFileIndex: Sendable {
    public let header: WeightFileHeader
    public let metadata: ModelMetadata
    public let entries: [TensorEntry]
    /// Position of each tensor in `entries`, by name.
    public let positions: [String: Int]
}

/// Validates a whole `.tzw` file held in memory (steps 1-5 of the spec's "Validation"; tensor
/// CRCs are left to the caller). Never traps and never allocates more than the input justifies.
public enum WeightFileParser {
    public static func parse(_ file: UnsafeRawBufferPointer) throws -> WeightFileIndex {
        let header = try parseHeader(file)
        let metadataRange = Int(header.metadataOffset)..<Int(header.tableOffset)
        let tableRange = Int(header.tableOffset)..<Int(header.tableOffset + header.tableLength)
        let metadataBytes = UnsafeRawBufferPointer(rebasing: file[metadataRange])
        let tableBytes = UnsafeRawBufferPointer(rebasing: file[tableRange])

        let indexCRC = Zlib.crc32(tableBytes, initial: Zlib.crc32(metadataBytes))
        guard indexCRC == header.indexCRC32 else {
            throw WeightFormatError.indexCRCMismatch(stored: header.indexCRC32, computed: indexCRC)
        }
        let metadata = try parseMetadata(metadataBytes)
        let (entries, positions) = try parseTable(tableBytes, header: header)
        return WeightFileIndex(header: header, metadata: metadata, entries: entries, positions: positions)
    }

    /// Steps 1-3: the header's own rules, its CRC, and its sizes against the actual file size.
    public static func parseHeader(_ file: UnsafeRawBufferPointer) throws -> WeightFileHeader {
        let size = UInt64(file.count)
        guard file.count >= WeightFileLayout.headerSize else {
            throw WeightFormatError.truncated(expected: UInt64(WeightFileLayout.headerSize), actual: size)
        }
        let r = LittleEndianBytes(bytes: file)
        guard file.prefix(8).elementsEqual(WeightFileLayout.magic) else { throw WeightFormatError.badMagic }
        let h = WeightFileHeader(
            version: r.u32(8), flags: r.u32(12), alignment: r.u32(16), tensorCount: r.u32(20),
            metadataOffset: r.u64(24), metadataLength: r.u64(32), tableOffset: r.u64(40),
            tableLength: r.u64(48), dataOffset: r.u64(56), fileSize: r.u64(64),
            headerCRC32: r.u32(72), indexCRC32: r.u32(76))
        guard WeightFileLayout.readableVersions.contains(h.version) else {
            throw WeightFormatError.unsupportedVersion(h.version, byteSwapped: WeightFileLayout.readableVersions.contains(h.version.byteSwapped))
        }
        guard h.flags == 0 else { throw WeightFormatError.unsupportedFlags(h.flags) }
        let a = Int(h.alignment)
        guard a >= WeightFileLayout.minAlignment, a <= WeightFileLayout.maxAlignment, a & (a - 1) == 0 else {
            throw WeightFormatError.badHeader("alignment \(h.alignment) is not a power of two in 64...1048576")
        }
        guard Int(h.tensorCount) <= WeightFileLayout.maxTensorCount else {
            throw WeightFormatError.badHeader("tensor count \(h.tensorCount) exceeds \(WeightFileLayout.maxTensorCount)")
        }
        let crc = Zlib.crc32(UnsafeRawBufferPointer(rebasing: file[0..<72]))
        guard crc == h.headerCRC32 else { throw WeightFormatError.headerCRCMismatch(stored: h.headerCRC32, computed: crc) }

        guard h.metadataOffset == UInt64(WeightFileLayout.headerSize) else {
            throw WeightFormatError.badHeader("metadata offset \(h.metadataOffset) is not 80")
        }
        guard h.metadataLength >= UInt64(WeightFileLayout.minMetadataLength),
              h.metadataLength <= UInt64(WeightFileLayout.maxMetadataLength) else {
            throw WeightFormatError.badHeader("metadata length \(h.metadataLength) is outside 2...\(WeightFileLayout.maxMetadataLength)")
        }
        guard h.tableOffset == h.metadataOffset + h.metadataLength else {
            throw WeightFormatError.badHeader("table offset \(h.tableOffset) does not follow the metadata (expected \(h.metadataOffset + h.metadataLength))")
        }
        guard h.tableLength <= UInt64(WeightFileLayout.maxTableLength) else {
            throw WeightFormatError.badHeader("table length \(h.tableLength) exceeds \(WeightFileLayout.maxTableLength)")
        }
        let minTable = UInt64(h.tensorCount) * UInt64(WeightFileLayout.minEntrySize)
        guard h.tableLength >= minTable else {
            throw WeightFormatError.badHeader("table length \(h.tableLength) is too short for \(h.tensorCount) entries (at least \(minTable) bytes)")
        }
        let tableEnd = h.tableOffset + h.tableLength
        let expectedData = WeightFileLayout.alignUp(tableEnd, UInt64(a))!
        guard h.dataOffset == expectedData else {
            throw WeightFormatError.badHeader("data offset \(h.dataOffset) is not the table end \(tableEnd) rounded up to \(a) (\(expectedData))")
        }
        guard h.fileSize >= h.dataOffset else {
            throw WeightFormatError.badHeader("file size \(h.fileSize) is smaller than the data offset \(h.dataOffset)")
        }
        if size < h.fileSize { throw WeightFormatError.truncated(expected: h.fileSize, actual: size) }
        if size > h.fileSize { throw WeightFormatError.trailingBytes(expected: h.fileSize, actual: size) }
        // Padding between the table and the data must be zero.
        for i in Int(tableEnd)..<Int(h.dataOffset) where file[i] != 0 {
            throw WeightFormatError.badHeader("padding byte at \(i) between the table and the data is not zero")
        }
        return h
    }

    /// Step 4 (after the index CRC): a JSON object with format/family/variant/config.
    static func parseMetadata(_ bytes: UnsafeRawBufferPointer) throws -> ModelMetadata {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw WeightFormatError.badMetadata("not valid UTF-8")
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(Data(bytes))
        } catch {
            throw WeightFormatError.badMetadata("not valid JSON")
        }
        guard case .object(let object) = json else { throw WeightFormatError.badMetadata("not a JSON object") }
        guard let format = object["format"] else { throw WeightFormatError.badMetadata("the required key 'format' is missing") }
        guard format.stringValue == WeightFileWriter.formatName else {
            throw WeightFormatError.badMetadata("'format' is \(format), expected \"\(WeightFileWriter.formatName)\"")
        }
        do {
            return try ModelMetadata(raw: json)
        } catch let error as MetadataError {
            switch error {
            case .notAnObject: throw WeightFormatError.badMetadata("not a JSON object")
            case .missingKey(let key):
                throw WeightFormatError.badMetadata("the required key '\(key)' is missing or has the wrong type")
            }
        }
    }

    /// Step 5: every entry, records contiguous and aligned, the last one ending at `file_size`.
    static func parseTable(_ table: UnsafeRawBufferPointer, header h: WeightFileHeader) throws -> ([TensorEntry], [String: Int]) {
        let r = LittleEndianBytes(bytes: table)
        let count = Int(h.tensorCount)
        let alignment = UInt64(h.alignment)
        let dataBytes = h.fileSize - h.dataOffset
        var entries: [TensorEntry] = []
        entries.reserveCapacity(min(count, 4096))
        var positions: [String: Int] = [:]
        positions.reserveCapacity(min(count, 4096))
        var at = 0
        var expectedOffset: UInt64 = 0
        var end: UInt64 = 0
        for index in 0..<count {
            func fail(_ name: String?, _ why: String) -> WeightFormatError {
                .badTableEntry(index: index, name: name, reason: why)
            }
            guard table.count - at >= 2 else { throw fail(nil, "the entry runs past the end of the table") }
            let nameLength = Int(r.u16(at))
            guard nameLength >= 1, nameLength <= WeightFileLayout.maxNameLength else {
                throw fail(nil, "name length \(nameLength) is outside 1...\(WeightFileLayout.maxNameLength)")
            }
            guard table.count - at >= WeightFileLayout.entrySize(nameLength: nameLength, ndim: 0) else {
                throw fail(nil, "the entry runs past the end of the table")
            }
            let nameBytes = UnsafeRawBufferPointer(rebasing: table[(at + 2)..<(at + 2 + nameLength)])
            guard let name = String(validating: nameBytes, as: UTF8.self) else {
                throw fail(nil, "the name is not valid UTF-8")
            }
            guard positions[name] == nil else { throw fail(name, "duplicate name (also entry \(positions[name]!))") }
            var p = at + 2 + nameLength
            guard let dtype = DType(rawValue: r.u8(p)) else { throw fail(name, "unknown dtype code \(r.u8(p))") }
            guard let encoding = TensorEncoding(rawValue: r.u8(p + 1)) else {
                throw fail(name, "unknown encoding code \(r.u8(p + 1))")
            }
            let ndim = Int(r.u8(p + 2))
            guard ndim <= WeightFileLayout.maxDimensions else {
                throw fail(name, "ndim \(ndim) exceeds \(WeightFileLayout.maxDimensions)")
            }
            let order: ElementOrder
            if h.version == 1 {
                guard r.u8(p + 3) == 0 else { throw fail(name, "reserved byte is \(r.u8(p + 3)), expected 0 in version 1") }
                order = .rowMajor
            } else {
                guard let o = ElementOrder(rawValue: r.u8(p + 3)) else { throw fail(name, "unknown element order code \(r.u8(p + 3))") }
                order = o
            }
            p += 4
            guard table.count - at >= WeightFileLayout.entrySize(nameLength: nameLength, ndim: ndim) else {
                throw fail(name, "the entry runs past the end of the table")
            }
            var shape: [Int] = []
            shape.reserveCapacity(ndim)
            var elements: UInt64 = 1
            for d in 0..<ndim {
                let dim = r.u64(p)
                p += 8
                guard dim <= WeightFileLayout.maxDimension else { throw fail(name, "dimension \(d) is \(dim), above 2^40") }
                let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
                guard !overflow else { throw fail(name, "the shape's element count overflows") }
                elements = product
                shape.append(Int(dim))
            }
            let offset = r.u64(p), stored = r.u64(p + 8), raw = r.u64(p + 16), crc = r.u32(p + 24)
            p += 28
            if let why = order.unsupportedReason(shape: shape, dtype: dtype, encoding: encoding) { throw fail(name, why) }
            guard h.version >= order.minimumVersion(dtype: dtype) else {
                throw fail(name, "\(dtype) \(order) needs format version \(order.minimumVersion(dtype: dtype)), the file is version \(h.version)")
            }
            let (expectedRaw, overflow) = elements.multipliedReportingOverflow(by: UInt64(dtype.size))
            guard !overflow, expectedRaw <= UInt64(Int.max) else { throw fail(name, "the shape's byte size overflows") }
            guard raw == expectedRaw else {
                throw fail(name, "raw length \(raw) does not match shape \(shape) of \(dtype) (\(expectedRaw) bytes)")
            }
            switch encoding {
            case .raw:
                guard stored == raw else { throw fail(name, "raw tensor stores \(stored) bytes, expected its raw length \(raw)") }
            case .zlib, .zlibShuffle:
                guard stored > 0 else { throw fail(name, "compressed tensor has stored length 0") }
                if stored <= dataBytes, raw > stored * WeightFileLayout.maxInflateRatio + WeightFileLayout.inflateSlack {
                    throw fail(name, "raw length \(raw) cannot come from \(stored) zlib bytes (zlib expands at most 1032:1)")
                }
            }
            guard offset % alignment == 0 else { throw fail(name, "offset \(offset) is not a multiple of the alignment \(alignment)") }
            guard offset == expectedOffset else {
                let how = offset < expectedOffset ? "overlaps the previous record" : "leaves a hole after the previous record"
                throw fail(name, "offset \(offset) \(how) (expected \(expectedOffset))")
            }
            guard stored <= dataBytes, offset <= dataBytes - stored else {
                throw fail(name, "the record (offset \(offset), \(stored) bytes) lies past the end of the file (\(dataBytes) data bytes)")
            }
            end = offset + stored
            // end <= dataBytes < 2^63, so rounding up cannot overflow.
            expectedOffset = WeightFileLayout.alignUp(end, alignment)!
            positions[name] = entries.count
            entries.append(TensorEntry(
                name: name, dtype: dtype, shape: shape, offset: Int(offset), fileOffset: Int(h.dataOffset + offset),
                storedLength: Int(stored), rawLength: Int(raw), encoding: encoding, crc32: crc, order: order))
            at = p
        }
        guard at == table.count else {
            throw WeightFormatError.badTable("\(table.count - at) bytes are left over after the \(count) entries")
        }
        guard end == dataBytes else {
            throw WeightFormatError.badTable("the last record ends at data byte \(end), but file_size leaves \(dataBytes) data bytes")
        }
        return (entries, positions)
    }
}
