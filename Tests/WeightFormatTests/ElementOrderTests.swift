import XCTest
@testable import WeightFormat

/// Tensors stored as `strips16` (version 2; 16-bit ones version 3): written from row-major values, read back row-major
/// by every accessor, exposed as stored by `strips16(_:)`, and refused where the order cannot hold.
final class ElementOrderTests: XCTestCase {
    /// The strips16 arrangement of a row-major [n, k] matrix, written out independently of the library.
    private func strips(_ values: [Float], n: Int, k: Int) -> [Float] {
        var out: [Float] = []
        for s in 0..<(n / 16) {
            for c in 0..<k {
                for j in 0..<16 { out.append(values[(s * 16 + j) * k + c]) }
            }
        }
        return out
    }

    private func file(_ add: (WeightFileWriter) throws -> Void) throws -> (bytes: [UInt8], file: WeightFile) {
        let w = try WeightFileWriter()
        try add(w)
        let bytes = try w.serialized(metadata: TZW.metadata)
        return (bytes, try WeightFile(bytes: bytes, verifyChecksums: true))
    }

    func testStripsRoundTripAndAreExposedAsStored() throws {
        let a = TZW.values(32 * 5), b = TZW.values(48 * 7, seed: 2), c = TZW.values(6, seed: 3)
        let (bytes, f) = try file { w in
            try w.add(name: "a", shape: [32, 5], values: a, order: .strips16)
            try w.add(name: "b", shape: [48, 7, 1, 1], values: b, order: .strips16)
            try w.add(name: "c", shape: [2, 3], values: c)
        }
        XCTAssertEqual(TZW.u32(bytes, 8), 2, "a file with a strips16 tensor is version 2")
        XCTAssertEqual(f.entries.map(\.order), [.strips16, .strips16, .rowMajor])
        XCTAssertEqual(Array(try f.float32("a").buffer), a)
        XCTAssertEqual(Array(try f.float32("b").buffer), b)
        XCTAssertEqual(Array(try f.float32("c").buffer), c)
        XCTAssertEqual(try f.float32("b").shape, [48, 7, 1, 1])
        let stored = try XCTUnwrap(f.strips16("b"))
        XCTAssertEqual(stored.rows, 48)
        XCTAssertEqual(stored.columns, 7)
        XCTAssertEqual(Array(try XCTUnwrap(stored.float32)), strips(b, n: 48, k: 7))
        XCTAssertNil(f.strips16("c"))
        XCTAssertNil(f.strips16("missing"))
        // Row ranges read back row-major, as a packing kernel asks for them.
        let deferred = try XCTUnwrap(f.deferredFloat32("a"))
        var rows = [Float](repeating: .nan, count: 3 * 5)
        deferred.read(elements: 17 * 5..<20 * 5, into: &rows)
        XCTAssertEqual(rows, Array(a[85..<100]))
        // Any element range, starting and ending inside rows and crossing a strip boundary.
        for range in [0..<1, 3..<4, 83..<101, 77..<83, 0..<160, 159..<160] {
            var part = [Float](repeating: .nan, count: range.count)
            deferred.read(elements: range, into: &part)
            XCTAssertEqual(part, Array(a[range]), "\(range)")
        }
        XCTAssertEqual(try f.rawBytes("a"), strips(a, n: 32, k: 5).withUnsafeBytes { Array($0) })
        XCTAssertEqual(WeightFileSummary(f).orderCounts, ["strips16": 2, "row-major": 1])
    }

    /// f16 and bf16 strips (version 3): read back row-major as the same tensor stored row-major
    /// reads, and exposed as stored (the bit patterns in strips) for the kernel that widens them.
    func testSixteenBitStripsRoundTripAsVersion3() throws {
        for dtype in [DType.f16, .bf16] {
            let a = TZW.values(32 * 5, seed: 4), b = TZW.values(16 * 300, seed: 5)
            let (bytes, f) = try file { w in
                try w.add(name: "a", shape: [32, 5], values: a, as: dtype, order: .strips16)
                try w.add(name: "a-rows", shape: [32, 5], values: a, as: dtype)
                try w.add(name: "b", shape: [16, 300, 1, 1], values: b, as: dtype, order: .strips16)
                try w.add(name: "c", shape: [32, 5], values: a, order: .strips16)
            }
            XCTAssertEqual(TZW.u32(bytes, 8), 3, "\(dtype): a file with a 16-bit strips16 tensor is version 3")
            let widened = Array(try f.float32("a-rows").buffer)
            XCTAssertEqual(Array(try f.float32("a").buffer), widened, "\(dtype)")
            let stored = try XCTUnwrap(f.strips16("a"))
            XCTAssertEqual(stored.dtype, dtype)
            XCTAssertNil(stored.float32)
            let bits = widened.map { dtype == .f16 ? HalfFloat.f32ToF16($0) : HalfFloat.f32ToBF16($0) }
            XCTAssertEqual(Array(try XCTUnwrap(stored.bits16)), strips(bits.map { Float($0) }, n: 32, k: 5).map { UInt16($0) })
            XCTAssertEqual(try XCTUnwrap(f.strips16("c")).dtype, .f32)
            let deferred = try XCTUnwrap(f.deferredFloat32("a"))
            for range in [0..<1, 83..<101, 77..<83, 0..<160, 159..<160] {
                var part = [Float](repeating: .nan, count: range.count)
                deferred.read(elements: range, into: &part)
                XCTAssertEqual(part, Array(widened[range]), "\(dtype) \(range)")
            }
            let bRows = try file { w in try w.add(name: "b", shape: [16, 300, 1, 1], values: b, as: dtype) }.file
            XCTAssertEqual(Array(try f.float32("b").buffer), Array(try bRows.float32("b").buffer), "\(dtype)")
        }
        // Only f32 strips: version 2, as before.
        let (v2, _) = try file { w in try w.add(name: "a", shape: [16, 2], values: TZW.values(32), order: .strips16) }
        XCTAssertEqual(TZW.u32(v2, 8), 2)
    }

    func testRowMajorOnlyFilesStayVersion1() throws {
        let (bytes, f) = try file { w in try w.add(name: "a", shape: [32, 5], values: TZW.values(160)) }
        XCTAssertEqual(TZW.u32(bytes, 8), 1)
        XCTAssertEqual(f.entries[0].order, .rowMajor)
        XCTAssertNil(f.deferredFloat32("a"), "raw row-major f32 is used in place")
    }

    func testWriterRefusesOrdersThatCannotHold() throws {
        let cases: [(shape: [Int], dtype: DType, encoding: TensorEncoding, why: String)] = [
            ([32, 4], .f64, .raw, "raw f32, f16 or bf16"), ([32, 4], .f32, .zlib, "raw f32, f16 or bf16"),
            ([32, 4], .f16, .zlibShuffle, "raw f32, f16 or bf16"), ([64], .f32, .raw, "a matrix"),
            ([32, 4, 3], .f32, .raw, "a matrix"), ([24, 4], .f32, .raw, "multiple of 16"),
        ]
        for c in cases {
            let w = try WeightFileWriter()
            XCTAssertThrowsError(try w.add(name: "t", shape: c.shape, values: TZW.values(c.shape.reduce(1, *)), as: c.dtype,
                                           encoding: c.encoding, order: .strips16)) { error in
                XCTAssertTrue("\(error)".contains(c.why), "\(c.shape) \(c.dtype) \(c.encoding): \(error)")
            }
        }
    }

    func testParserRefusesUnknownOrdersAndOrdersThatCannotHold() throws {
        let (valid, _) = try file { w in
            try w.add(name: "a", shape: [32, 2], values: TZW.values(64), order: .strips16)
            try w.add(name: "h", shape: [16, 2], values: TZW.values(32), as: .f16)
            try w.add(name: "d", shape: [16, 2], values: TZW.values(32), as: .f64)
        }
        func entryError(_ index: Int, _ edit: (inout [UInt8], TZW.EntryFields) -> Void) -> String {
            var b = valid
            edit(&b, TZW.entries(b)[index])
            TZW.fixIndexCRC(&b)
            guard case .badTableEntry(let i, _, let reason)? = TZW.error(b), i == index else {
                return "no table-entry error: \(String(describing: TZW.error(b)))"
            }
            return reason
        }
        XCTAssertTrue(entryError(0) { b, e in b[e.reserved] = 2 }.contains("unknown element order code 2"))
        // 16-bit strips need version 3 (this file is version 2); f64 cannot be strips at all.
        XCTAssertTrue(entryError(1) { b, e in b[e.reserved] = 1 }.contains("f16 strips16 needs format version 3, the file is version 2"))
        XCTAssertTrue(entryError(2) { b, e in b[e.reserved] = 1 }.contains("raw f32, f16 or bf16"))
        XCTAssertTrue(entryError(0) { b, e in TZW.put(&b, e.shape, UInt64(8)); TZW.put(&b, e.shape + 8, UInt64(4)) }
            .contains("multiple of 16"))
        // The same order byte in a version 1 file is the reserved byte, which must be 0.
        var v1 = valid
        TZW.put(&v1, 8, UInt32(1))
        TZW.fixHeaderCRC(&v1)
        guard case .badTableEntry(0, "a", let reason)? = TZW.error(v1) else { return XCTFail("version 1 with order byte 1 opened") }
        XCTAssertTrue(reason.contains("expected 0 in version 1"), reason)
    }
}
