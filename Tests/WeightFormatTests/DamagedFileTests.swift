import XCTest
@testable import WeightFormat

/// Damaged files, built by editing bytes of a valid one: each gives its specific error.
final class DamagedFileTests: XCTestCase {
    private var valid: [UInt8] = []

    override func setUpWithError() throws { valid = try TZW.small() }

    private func expect(_ bytes: [UInt8], _ expected: WeightFormatError, verify: Bool = false,
                        file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(TZW.error(bytes, verify: verify), expected, file: file, line: line)
    }

    /// The error of `bytes`, which must be a `badTableEntry` of `index` whose reason contains `fragment`.
    private func expectEntry(_ bytes: [UInt8], index: Int, name: String?, _ fragment: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        guard case .badTableEntry(let i, let n, let reason)? = TZW.error(bytes) else {
            return XCTFail("expected a bad table entry, got \(String(describing: TZW.error(bytes)))", file: file, line: line)
        }
        XCTAssertEqual(i, index, file: file, line: line)
        XCTAssertEqual(n, name, file: file, line: line)
        XCTAssertTrue(reason.contains(fragment), "'\(reason)' lacks '\(fragment)'", file: file, line: line)
    }

    private func expectHeader(_ bytes: [UInt8], _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        guard case .badHeader(let why)? = TZW.error(bytes) else {
            return XCTFail("expected a bad header, got \(String(describing: TZW.error(bytes)))", file: file, line: line)
        }
        XCTAssertTrue(why.contains(fragment), "'\(why)' lacks '\(fragment)'", file: file, line: line)
    }

    private func edited(_ edit: (inout [UInt8]) -> Void, fix: (inout [UInt8]) -> Void = TZW.fixHeaderCRC) -> [UInt8] {
        var b = valid
        edit(&b)
        fix(&b)
        return b
    }

    private func editedEntry(_ index: Int, _ edit: (inout [UInt8], TZW.EntryFields) -> Void) -> [UInt8] {
        var b = valid
        edit(&b, TZW.entries(b)[index])
        TZW.fixIndexCRC(&b)
        return b
    }

    // MARK: the valid file

    func testValidFileOpensAndVerifies() throws {
        XCTAssertNil(TZW.error(valid, verify: true))
    }

    // MARK: truncation

    func testTruncatedAtEverySectionBoundaryAndInsideData() {
        let table = TZW.tableOffset(valid), data = TZW.dataOffset(valid)
        let entries = TZW.entries(valid)
        let cuts = [0, 1, 8, 40, 79, 80, 81, (80 + table) / 2, table, table + 1, entries[1].start, table + TZW.tableLength(valid),
                    data - 1, data, data + 3, data + 64, valid.count - 1]
        for cut in cuts {
            let expected: UInt64 = cut < 80 ? 80 : UInt64(valid.count)
            expect(Array(valid[0..<cut]), .truncated(expected: expected, actual: UInt64(cut)))
        }
    }

    func testTruncationMessageSaysExpectedAndGot() {
        let e = TZW.error(Array(valid[0..<100]))!
        XCTAssertEqual(e.description, "truncated .tzw file: expected \(valid.count) bytes, got 100")
    }

    func testTrailingGarbage() {
        expect(valid + [0, 1, 2], .trailingBytes(expected: UInt64(valid.count), actual: UInt64(valid.count + 3)))
    }

    // MARK: header

    func testBadMagic() {
        for i in 0..<8 { expect(edited({ $0[i] ^= 0x20 }, fix: { _ in }), .badMagic) }
        expect(Array("PK\u{3}\u{4}".utf8) + [UInt8](repeating: 0, count: 100), .badMagic)
    }

    func testUnsupportedVersionAndEndiannessHint() {
        expect(edited({ TZW.put(&$0, 8, UInt32(4)) }), .unsupportedVersion(4, byteSwapped: false))
        expect(edited({ TZW.put(&$0, 8, UInt32(0)) }), .unsupportedVersion(0, byteSwapped: false))
        let swapped = edited { TZW.put(&$0, 8, UInt32(1).byteSwapped) }
        expect(swapped, .unsupportedVersion(0x0100_0000, byteSwapped: true))
        XCTAssertTrue(TZW.error(swapped)!.description.contains("endianness"))
    }

    func testFlagsAlignmentAndTensorCountBounds() {
        expect(edited { TZW.put(&$0, 12, UInt32(1)) }, .unsupportedFlags(1))
        for a: UInt32 in [0, 32, 96, 2 << 20] {
            expectHeader(edited { TZW.put(&$0, 16, a) }, "alignment \(a)")
        }
        expectHeader(edited { TZW.put(&$0, 20, UInt32(1_000_001)) }, "tensor count 1000001")
    }

    func testFlippedHeaderBytesFailTheHeaderCRC() {
        let stored = TZW.u32(valid, 72)
        for i in [24, 33, 45, 50, 60, 66, 72, 75] {
            var b = valid
            b[i] ^= 0x04
            guard case .headerCRCMismatch(let s, let c)? = TZW.error(b) else { return XCTFail("byte \(i): \(String(describing: TZW.error(b)))") }
            XCTAssertNotEqual(s, c)
            if i < 72 { XCTAssertEqual(s, stored) }
        }
    }

    func testInconsistentHeaderFieldsWithValidCRC() {
        let metaLength = TZW.u64(valid, 32), table = TZW.u64(valid, 40), tableLength = TZW.u64(valid, 48)
        let data = TZW.u64(valid, 56)
        expectHeader(edited { TZW.put(&$0, 24, UInt64(81)) }, "metadata offset 81")
        expectHeader(edited { TZW.put(&$0, 32, UInt64(1)) }, "metadata length 1")
        expectHeader(edited { TZW.put(&$0, 32, UInt64(17 << 20)) }, "metadata length")
        expectHeader(edited { TZW.put(&$0, 32, metaLength + 1) }, "table offset")
        expectHeader(edited { TZW.put(&$0, 40, table + 8) }, "table offset")
        expectHeader(edited { TZW.put(&$0, 48, UInt64(65 << 20)) }, "table length")
        expectHeader(edited { TZW.put(&$0, 48, UInt64(20)) }, "too short for 3 entries")
        expectHeader(edited { TZW.put(&$0, 48, tableLength + 64) }, "data offset")
        expectHeader(edited { TZW.put(&$0, 56, data + 64) }, "data offset")
        expectHeader(edited { TZW.put(&$0, 64, data - 1) }, "smaller than the data offset")
        expect(edited { TZW.put(&$0, 64, UInt64($0.count + 64)) }, .truncated(expected: UInt64(valid.count + 64), actual: UInt64(valid.count)))
        expect(edited { TZW.put(&$0, 64, UInt64($0.count - 1)) }, .trailingBytes(expected: UInt64(valid.count - 1), actual: UInt64(valid.count)))
    }

    func testHugeCountsNeitherAllocateNorHang() {
        // A million entries claimed by a tiny table: rejected from the header alone.
        expectHeader(edited { TZW.put(&$0, 20, UInt32(1_000_000)) }, "too short")
        // A table really holding a million minimal entries' worth of zero bytes: entry 0 fails.
        var b = Array(valid[0..<TZW.tableOffset(valid)])
        let tableLength = 1_000_000 * WeightFileLayout.minEntrySize
        b += [UInt8](repeating: 0, count: tableLength)
        let dataOffset = (b.count + 63) / 64 * 64
        b += [UInt8](repeating: 0, count: dataOffset - b.count)
        TZW.put(&b, 20, UInt32(1_000_000))
        TZW.put(&b, 48, UInt64(tableLength))
        TZW.put(&b, 56, UInt64(dataOffset))
        TZW.put(&b, 64, UInt64(b.count))
        TZW.fixIndexCRC(&b)
        expectEntry(b, index: 0, name: nil, "name length 0")
    }

    func testNonZeroPaddingBeforeData() {
        let end = TZW.tableOffset(valid) + TZW.tableLength(valid)
        XCTAssertLessThan(end, TZW.dataOffset(valid), "the sample file needs padding here")
        expectHeader(edited({ $0[end] = 1 }, fix: { _ in }), "padding byte")
    }

    // MARK: metadata and table (index CRC)

    func testFlippedMetadataOrTableBytesFailTheIndexCRC() {
        for i in [80, 100, TZW.tableOffset(valid), TZW.tableOffset(valid) + TZW.tableLength(valid) - 1] {
            var b = valid
            b[i] ^= 0x01
            guard case .indexCRCMismatch? = TZW.error(b) else { return XCTFail("byte \(i): \(String(describing: TZW.error(b)))") }
        }
        var b = valid
        b[76] ^= 1   // the stored index CRC itself (header CRC fixed)
        TZW.fixHeaderCRC(&b)
        guard case .indexCRCMismatch? = TZW.error(b) else { return XCTFail() }
    }

    func testBadMetadata() {
        func meta(_ text: String) -> [UInt8] { TZW.replacingMetadata(valid, with: Array(text.utf8)) }
        let good = #"{"config":{},"family":"titok","format":"titok-zoo-weights","variant":"v"}"#
        XCTAssertNil(TZW.error(meta(good)))
        let cases: [(String, String)] = [
            (#"{"config":{},"family":"#, "not valid JSON"),
            ("[1,2,3]", "not a JSON object"),
            (#"{"config":{},"family":"titok","variant":"v"}"#, "'format' is missing"),
            (#"{"config":{},"family":"titok","format":"gguf","variant":"v"}"#, "'format' is \"gguf\""),
            (#"{"config":{},"format":"titok-zoo-weights","variant":"v"}"#, "'family'"),
            (#"{"config":{},"family":"titok","format":"titok-zoo-weights"}"#, "'variant'"),
            (#"{"family":"titok","format":"titok-zoo-weights","variant":"v"}"#, "'config'"),
            (#"{"config":3,"family":"titok","format":"titok-zoo-weights","variant":"v"}"#, "'config'"),
        ]
        for (text, fragment) in cases {
            guard case .badMetadata(let why)? = TZW.error(meta(text)) else {
                XCTFail("\(text): \(String(describing: TZW.error(meta(text))))"); continue
            }
            XCTAssertTrue(why.contains(fragment), "'\(why)' lacks '\(fragment)'")
        }
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        guard case .badMetadata? = TZW.error(meta(deep)) else { return XCTFail("deeply nested metadata") }
        let invalidUTF8 = TZW.replacingMetadata(valid, with: Array(#"{"a":""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8))
        expect(invalidUTF8, .badMetadata("not valid UTF-8"))
    }

    func testBadNames() {
        expectEntry(editedEntry(0) { b, e in TZW.put(&b, e.start, UInt16(0)) }, index: 0, name: nil, "name length 0")
        expectEntry(editedEntry(0) { b, e in TZW.put(&b, e.start, UInt16(1025)) }, index: 0, name: nil, "name length 1025")
        expectEntry(editedEntry(2) { b, e in TZW.put(&b, e.start, UInt16(1000)) }, index: 2, name: nil, "past the end of the table")
        expectEntry(editedEntry(1) { b, e in b[e.start + 2] = 0xFF }, index: 1, name: nil, "not valid UTF-8")
        expectEntry(editedEntry(2) { b, e in b[e.start + 2] = UInt8(ascii: "a") }, index: 2, name: "a", "duplicate name (also entry 0)")
    }

    func testBadCodesAndRanks() {
        expectEntry(editedEntry(0) { b, e in b[e.dtype] = 7 }, index: 0, name: "a", "unknown dtype code 7")
        expectEntry(editedEntry(1) { b, e in b[e.encoding] = 3 }, index: 1, name: "b", "unknown encoding code 3")
        expectEntry(editedEntry(1) { b, e in b[e.ndim] = 9 }, index: 1, name: "b", "ndim 9")
        expectEntry(editedEntry(0) { b, e in b[e.reserved] = 1 }, index: 0, name: "a", "reserved byte is 1, expected 0 in version 1")
        // A larger rank than stored: the shape swallows the following fields; lengths then disagree.
        guard case .badTableEntry(let i, _, _)? = TZW.error(editedEntry(0) { b, e in b[e.ndim] = 3 }) else { return XCTFail() }
        XCTAssertEqual(i, 0)
    }

    func testShapeOverflowAndLengthMismatch() {
        expectEntry(editedEntry(0) { b, e in TZW.put(&b, e.shape, UInt64(1) << 41) }, index: 0, name: "a", "above 2^40")
        expectEntry(editedEntry(0) { b, e in
            TZW.put(&b, e.shape, UInt64(1) << 40); TZW.put(&b, e.shape + 8, UInt64(1) << 40)
        }, index: 0, name: "a", "element count overflows")
        expectEntry(editedEntry(0) { b, e in
            TZW.put(&b, e.shape, UInt64(1) << 20); TZW.put(&b, e.shape + 8, UInt64(1) << 20)
        }, index: 0, name: "a", "does not match shape")
        expectEntry(editedEntry(0) { b, e in
            TZW.put(&b, e.shape, UInt64(1) << 31); TZW.put(&b, e.shape + 8, UInt64(1) << 31)
        }, index: 0, name: "a", "byte size overflows")
        expectEntry(editedEntry(0) { b, e in TZW.put(&b, e.raw, UInt64(20)) }, index: 0, name: "a", "raw length 20 does not match")
        expectEntry(editedEntry(0) { b, e in TZW.put(&b, e.shape, UInt64(3)) }, index: 0, name: "a", "does not match shape [3, 3]")
    }

    func testStoredLengthRules() {
        expectEntry(editedEntry(0) { b, e in TZW.put(&b, e.stored, UInt64(20)) }, index: 0, name: "a", "raw tensor stores 20 bytes")
        expectEntry(editedEntry(1) { b, e in TZW.put(&b, e.stored, UInt64(0)) }, index: 1, name: "b", "stored length 0")
        // A decompression bomb: a huge raw length claimed by a few compressed bytes.
        expectEntry(editedEntry(1) { b, e in
            TZW.put(&b, e.shape, UInt64(1) << 30); TZW.put(&b, e.raw, UInt64(1) << 31)
        }, index: 1, name: "b", "cannot come from")
    }

    func testBogusOffsets() {
        expectEntry(editedEntry(1) { b, e in TZW.put(&b, e.offset, TZW.u64(b, e.offset) + 8) }, index: 1, name: "b", "not a multiple of the alignment")
        expectEntry(editedEntry(1) { b, e in TZW.put(&b, e.offset, UInt64(0)) }, index: 1, name: "b", "overlaps the previous record")
        expectEntry(editedEntry(1) { b, e in TZW.put(&b, e.offset, TZW.u64(b, e.offset) + 64) }, index: 1, name: "b", "leaves a hole")
        expectEntry(editedEntry(0) { b, e in TZW.put(&b, e.offset, UInt64(1) << 62) }, index: 0, name: "a", "leaves a hole")
        // The last record claims more bytes than the file has.
        expectEntry(editedEntry(2) { b, e in TZW.put(&b, e.stored, TZW.u64(b, e.stored) + 1000) }, index: 2, name: "c", "past the end of the file")
        expectEntry(editedEntry(2) { b, e in TZW.put(&b, e.stored, UInt64.max) }, index: 2, name: "c", "past the end of the file")
    }

    func testRecordsMustReachTheEndOfTheFile() {
        // A shorter last record with a consistent header: the file has bytes nobody owns.
        let b = editedEntry(2) { b, e in TZW.put(&b, e.stored, TZW.u64(b, e.stored) - 1) }
        guard case .badTable(let why)? = TZW.error(b) else { return XCTFail(String(describing: TZW.error(b))) }
        XCTAssertTrue(why.contains("last record ends"), why)
    }

    func testTableBytesLeftOver() {
        // Claim one tensor fewer: the third entry's bytes are left over in the table.
        var b = valid
        TZW.put(&b, 20, UInt32(2))
        TZW.fixIndexCRC(&b)
        guard case .badTable(let why)? = TZW.error(b) else { return XCTFail(String(describing: TZW.error(b))) }
        XCTAssertTrue(why.contains("left over"), why)
    }

    // MARK: tensor data

    func testFlippedRawDataIsCaughtByChecksums() throws {
        var b = valid
        b[TZW.dataOffset(valid) + 5] ^= 0x10   // inside raw f32 "a", the first record
        XCTAssertNil(TZW.error(b), "raw CRCs are not checked at open by default")
        guard case .tensorCRCMismatch(let name, _, _)? = TZW.error(b, verify: true) else {
            return XCTFail(String(describing: TZW.error(b, verify: true)))
        }
        XCTAssertEqual(name, "a")
        let file = try WeightFile(bytes: b)
        XCTAssertThrowsError(try file.verify()) {
            guard case .tensorCRCMismatch("a", _, _)? = $0 as? WeightFormatError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try WeightFile(bytes: b, verifyChecksums: true))
    }

    func testFlippedCompressedDataFailsWhenInflated() throws {
        let file = try WeightFile(bytes: valid)
        let b0 = file.entry(named: "b")!
        var b = valid
        b[b0.fileOffset + 3] ^= 0x55
        let damaged = try WeightFile(bytes: b)
        XCTAssertThrowsError(try damaged.float32("b")) {
            guard case .tensorCRCMismatch("b", _, _)? = $0 as? WeightFormatError else { return XCTFail("\($0)") }
        }
        // The same damage with the tensor CRC fixed up: zlib itself rejects the stream.
        let crc = Zlib.crc32(Array(b[b0.fileOffset..<(b0.fileOffset + b0.storedLength)]))
        let fields = TZW.entries(b)[1]
        TZW.put(&b, fields.crc, crc)
        TZW.fixIndexCRC(&b)
        let damaged2 = try WeightFile(bytes: b)
        XCTAssertThrowsError(try damaged2.float32("b")) {
            guard case .inflateFailed("b", _)? = $0 as? WeightFormatError else { return XCTFail("\($0)") }
        }
    }

    func testInflatedSizeMismatchBothWays() throws {
        // "b" is f16 [4]: 8 raw bytes. Claim [3] (6 bytes): the stream has more.
        let fewer = try WeightFile(bytes: editedEntry(1) { b, e in TZW.put(&b, e.shape, UInt64(3)); TZW.put(&b, e.raw, UInt64(6)) })
        XCTAssertThrowsError(try fewer.float32("b")) {
            XCTAssertEqual($0 as? WeightFormatError, .inflatedSizeMismatch(name: "b", expected: 6, actual: 7))
            XCTAssertTrue("\($0)".contains("more than"))
        }
        // Claim [5] (10 bytes): the stream ends early.
        let more = try WeightFile(bytes: editedEntry(1) { b, e in TZW.put(&b, e.shape, UInt64(5)); TZW.put(&b, e.raw, UInt64(10)) })
        XCTAssertThrowsError(try more.float32("b")) {
            XCTAssertEqual($0 as? WeightFormatError, .inflatedSizeMismatch(name: "b", expected: 10, actual: 8))
        }
    }

    func testNonZeroPaddingBetweenRecordsFailsVerify() throws {
        let file = try WeightFile(bytes: valid)
        let a = file.entry(named: "a")!
        var b = valid
        b[a.fileOffset + a.storedLength] = 7
        let damaged = try WeightFile(bytes: b)
        XCTAssertThrowsError(try damaged.verify()) {
            guard case .badTable(let why)? = $0 as? WeightFormatError else { return XCTFail("\($0)") }
            XCTAssertTrue(why.contains("padding"))
        }
    }

    func testEveryMessageIsSpecific() {
        let errors: [WeightFormatError] = [
            .badMagic, .unsupportedVersion(7, byteSwapped: false), .truncated(expected: 10, actual: 5),
            .tensorCRCMismatch(name: "w", stored: 1, computed: 2), .notConvertible(name: "ids", dtype: .i64),
            .badTableEntry(index: 3, name: "x", reason: "why"),
        ]
        for e in errors { XCTAssertFalse(e.description.isEmpty) }
        XCTAssertTrue(WeightFormatError.tensorCRCMismatch(name: "w", stored: 1, computed: 2).description.contains("'w'"))
        XCTAssertTrue(WeightFormatError.badTableEntry(index: 3, name: "x", reason: "why").description.contains("3 ('x')"))
    }

    /// Every single-byte flip anywhere in the index region gives a typed error, never a crash.
    func testEverySingleByteFlipInHeaderAndIndexIsRejected() {
        let end = TZW.dataOffset(valid)
        for i in 0..<end {
            var b = valid
            b[i] ^= 0xFF
            XCTAssertNotNil(TZW.error(b), "flip at \(i) went unnoticed")
        }
    }
}
