import XCTest
@testable import WeightFormat

final class RoundTripTests: XCTestCase {
    private let floatTypes: [DType] = [.f32, .f16, .bf16, .f64]

    func testFloatDTypesRoundTripThroughEveryEncoding() throws {
        let values = TZW.values(37)
        for dtype in floatTypes {
            for encoding in TensorEncoding.allCases {
                let w = try WeightFileWriter()
                try w.add(name: "t", shape: [37], values: values, as: dtype, encoding: encoding)
                let file = try WeightFile(bytes: try w.serialized(metadata: TZW.metadata), verifyChecksums: true)
                let t = try file.float32("t")
                XCTAssertEqual(t.shape, [37])
                for (got, want) in zip(t.buffer, values) {
                    switch dtype {
                    case .f16: XCTAssertEqual(got, Float(Float16(want)), "\(dtype) \(encoding)")
                    case .bf16: XCTAssertEqual(got, HalfFloat.bf16ToF32(HalfFloat.f32ToBF16(want)), "\(dtype) \(encoding)")
                    default: XCTAssertEqual(got, want, "\(dtype) \(encoding)")
                    }
                }
                XCTAssertEqual(file.entries[0].encoding, encoding)
                XCTAssertEqual(file.entries[0].dtype, dtype)
            }
        }
    }

    func testIntegerDTypesRoundTripAsBytesAndRefuseFloatConversion() throws {
        let cases: [(DType, [Int])] = [(.i32, [3, 5]), (.i64, [7]), (.u8, [2, 2, 3])]
        for (dtype, shape) in cases {
            for encoding in TensorEncoding.allCases {
                let count = shape.reduce(1, *)
                let bytes = (0..<(count * dtype.size)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
                let w = try WeightFileWriter()
                try w.add(name: "ints", dtype: dtype, shape: shape, bytes: bytes, encoding: encoding)
                let file = try WeightFile(bytes: try w.serialized(metadata: TZW.metadata))
                XCTAssertEqual(try file.rawBytes("ints"), bytes, "\(dtype) \(encoding)")
                XCTAssertThrowsError(try file.float32("ints")) {
                    XCTAssertEqual($0 as? WeightFormatError, .notConvertible(name: "ints", dtype: dtype))
                }
            }
        }
    }

    func testZeroElementAndScalarTensors() throws {
        for encoding in TensorEncoding.allCases {
            let w = try WeightFileWriter()
            try w.add(name: "empty", shape: [0, 4], values: [], encoding: encoding)
            try w.add(name: "scalar", shape: [], values: [2.5], as: .bf16, encoding: encoding)
            try w.add(name: "empty_end", shape: [3, 0], values: [], as: .f16, encoding: encoding)
            let file = try WeightFile(bytes: try w.serialized(metadata: TZW.metadata), verifyChecksums: true)
            XCTAssertEqual(try file.float32("empty").count, 0)
            XCTAssertEqual(try file.float32("empty").shape, [0, 4])
            XCTAssertEqual(Array(try file.float32("scalar").buffer), [2.5])
            XCTAssertEqual(try file.float32("scalar").shape, [])
            XCTAssertEqual(try file.float32("empty_end").count, 0)
            XCTAssertNoThrow(try file.verify())
        }
    }

    func testAllZeroTensorsAtDeflatesMaximumRatioStillOpen() throws {
        // Zeros compress close to deflate's 1032:1 limit, which the reader uses as a bomb bound.
        let w = try WeightFileWriter()
        w.compressionLevel = 9
        for encoding in [TensorEncoding.zlib, .zlibShuffle] {
            try w.add(name: "zeros.\(encoding)", shape: [1 << 20], values: [Float](repeating: 0, count: 1 << 20), encoding: encoding)
        }
        let file = try WeightFile(bytes: try w.serialized(metadata: TZW.metadata))
        for e in file.entries {
            XCTAssertGreaterThan(e.rawLength / e.storedLength, 1000, e.name)
            XCTAssertTrue(try file.float32(e.name).buffer.allSatisfy { $0 == 0 })
        }
    }

    func testEmptyFileWithNoTensors() throws {
        let w = try WeightFileWriter()
        let file = try WeightFile(bytes: try w.serialized(metadata: TZW.metadata))
        XCTAssertEqual(file.entries.count, 0)
        XCTAssertEqual(file.fileSize, Int(file.header.dataOffset))
        XCTAssertEqual(file.metadata.variant, "test_variant")
    }

    func testPageAlignmentOnDiskAndRawF32InPlace() throws {
        let path = NSTemporaryDirectory() + "tzw-page-\(UUID().uuidString).tzw"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let w = try WeightFileWriter(alignment: 4096)
        let a = TZW.values(1000), b = TZW.values(10, seed: 9)
        try w.add(name: "a", shape: [10, 100], values: a)
        try w.add(name: "b", shape: [10], values: b)
        try w.write(to: path, metadata: TZW.metadata)
        let file = try WeightFile(path: path)
        XCTAssertEqual(file.header.alignment, 4096)
        XCTAssertEqual(file.header.dataOffset % 4096, 0)
        for e in file.entries { XCTAssertEqual(e.fileOffset % 4096, 0, e.name) }
        let t = try file.float32("a")
        XCTAssertEqual(Array(t.buffer), a)
        XCTAssertEqual(Array(try file.float32("b").buffer), b)
        // The tensor points inside the map, at the record's position in the file.
        let entry = file.entry(named: "a")!
        let stored = file.storedBytes(of: entry)
        XCTAssertEqual(UnsafeRawPointer(t.baseAddress), stored.baseAddress)
        XCTAssertTrue(t.owner === file)
        XCTAssertEqual(Int(bitPattern: t.baseAddress) % 4096, 0)
    }

    func testInPlaceTensorKeepsTheFileAlive() throws {
        var file: WeightFile? = try WeightFile(bytes: try TZW.small())
        let t = try file!.float32("a")
        weak let weakFile = file
        file = nil
        XCTAssertNotNil(weakFile)
        XCTAssertEqual(Array(t.buffer), TZW.values(6))
    }

    /// Raw 16-bit and f64 tensors can be read range by range without a cached copy; raw f32,
    /// compressed tensors, integers and unknown names are not offered that way.
    func testDeferredReadsMatchTheConversionByRange() throws {
        let values = TZW.values(6 * 7)
        let w = try WeightFileWriter()
        for dtype in floatTypes {
            for encoding in [TensorEncoding.raw, .zlibShuffle] {
                try w.add(name: "\(dtype)-\(encoding)", shape: [6, 7], values: values, as: dtype, encoding: encoding)
            }
        }
        try w.add(name: "ints", dtype: .i32, shape: [3], bytes: [UInt8](repeating: 1, count: 12), encoding: .raw)
        let file = try WeightFile(bytes: try w.serialized(metadata: TZW.metadata))
        for dtype in floatTypes {
            let name = "\(dtype)-raw"
            XCTAssertNil(file.deferredFloat32("\(dtype)-zlibShuffle"))
            guard dtype != .f32 else { XCTAssertNil(file.deferredFloat32(name)); continue }
            guard let deferred = file.deferredFloat32(name) else { return XCTFail("\(dtype) raw not deferred") }
            XCTAssertEqual(deferred.shape, [6, 7])
            XCTAssertEqual(deferred.count, 42)
            let converted = Array(try file.float32(name).buffer)
            var got = [Float](repeating: .nan, count: 14)
            got.withUnsafeMutableBufferPointer { deferred.read(elements: 14..<28, into: $0.baseAddress!) }
            XCTAssertEqual(got, Array(converted[14..<28]), "\(dtype)")
            deferred.releaseResidentPages()  // a heap-held file: no effect, values still readable
            got.withUnsafeMutableBufferPointer { deferred.read(elements: 28..<42, into: $0.baseAddress!) }
            XCTAssertEqual(got, Array(converted[28..<42]), "\(dtype)")
        }
        XCTAssertNil(file.deferredFloat32("ints"))
        XCTAssertNil(file.deferredFloat32("missing"))
    }

    func testConvertedTensorsAreCachedOnce() throws {
        let file = try WeightFile(bytes: try TZW.small())
        let first = try file.float32("b"), second = try file.float32("b")
        XCTAssertEqual(first.baseAddress, second.baseAddress)
        XCTAssertTrue(first.owner === second.owner)
    }

    func testConcurrentLoadsAgree() throws {
        let w = try WeightFileWriter()
        for i in 0..<8 {
            try w.add(name: "t\(i)", shape: [500], values: TZW.values(500, seed: UInt64(i)), as: .bf16,
                      encoding: i % 2 == 0 ? .zlib : .zlibShuffle)
        }
        let file = try WeightFile(bytes: try w.serialized(metadata: TZW.metadata))
        final class Addresses: @unchecked Sendable {
            let lock = NSLock()
            var values = [Int](repeating: -1, count: 64)
        }
        let addresses = Addresses()
        DispatchQueue.concurrentPerform(iterations: 64) { k in
            let address = (try? file.float32("t\(k % 8)")).map { Int(bitPattern: $0.baseAddress) } ?? 0
            addresses.lock.lock()
            addresses.values[k] = address
            addresses.lock.unlock()
        }
        for k in 0..<64 {
            XCTAssertNotEqual(addresses.values[k], 0)
            XCTAssertEqual(addresses.values[k], addresses.values[k % 8])
        }
        for i in 0..<8 {
            let want = TZW.values(500, seed: UInt64(i)).map { HalfFloat.bf16ToF32(HalfFloat.f32ToBF16($0)) }
            XCTAssertEqual(Array(try file.float32("t\(i)").buffer), want)
        }
    }

    func testMetadataHeaderAndEntriesAreExposed() throws {
        let file = try WeightFile(bytes: try TZW.small())
        XCTAssertEqual(file.metadata.family, "titok")
        XCTAssertEqual(file.metadata.config["num_tokens"]?.intValue, 32)
        XCTAssertEqual(file.header.tensorCount, 3)
        XCTAssertEqual(file.entries.map(\.name), ["a", "b", "c"])
        XCTAssertEqual(file.tensorNames, ["a", "b", "c"])
        XCTAssertEqual(file.shape(of: "a"), [2, 3])
        XCTAssertNil(file.shape(of: "zzz"))
        XCTAssertThrowsError(try file.float32("zzz"))
        XCTAssertEqual(file.entries[1].rawLength, 8)
        XCTAssertEqual(file.entries[2].encoding, .zlibShuffle)
    }

    func testShuffleIsTheSpecifiedPermutation() {
        let raw: [UInt8] = [1, 2, 3, 4, 5, 6]   // three 2-byte elements
        var out = [UInt8](repeating: 0, count: 6)
        raw.withUnsafeBytes { r in out.withUnsafeMutableBytes { Zlib.shuffle(r, elementSize: 2, into: $0) } }
        XCTAssertEqual(out, [1, 3, 5, 2, 4, 6])
        var back = [UInt8](repeating: 0, count: 6)
        out.withUnsafeBytes { r in back.withUnsafeMutableBytes { Zlib.unshuffle(r, elementSize: 2, into: $0) } }
        XCTAssertEqual(back, raw)
    }

    func testCRC32MatchesTheStandardCheckValue() {
        XCTAssertEqual(Zlib.crc32(Array("123456789".utf8)), 0xCBF4_3926)
    }

    func testWriterRejectsBadInput() throws {
        let w = try WeightFileWriter()
        XCTAssertThrowsError(try w.add(name: "", shape: [1], values: [1]))
        XCTAssertThrowsError(try w.add(name: "x", shape: [2], values: [1]))
        XCTAssertThrowsError(try w.add(name: "x", shape: [1, 1, 1, 1, 1, 1, 1, 1, 1], values: [1]))
        XCTAssertThrowsError(try w.add(name: "x", shape: [1], values: [1], as: .i32))
        try w.add(name: "x", shape: [1], values: [1])
        XCTAssertThrowsError(try w.add(name: "x", shape: [1], values: [1]))
        XCTAssertThrowsError(try WeightFileWriter(alignment: 100))
        XCTAssertThrowsError(try WeightFileWriter(alignment: 32))
        var noFormat = TZW.metadata.objectValue!
        noFormat["format"] = nil
        XCTAssertThrowsError(try w.serialized(metadata: .object(noFormat)))
        var noConfig = TZW.metadata.objectValue!
        noConfig["config"] = nil
        XCTAssertThrowsError(try w.serialized(metadata: .object(noConfig)))
    }

    func testWriteFromModelMetadataAddsFormat() throws {
        let path = NSTemporaryDirectory() + "tzw-meta-\(UUID().uuidString).tzw"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let w = try WeightFileWriter()
        try w.add(name: "x", shape: [1], values: [1])
        let meta = ModelMetadata(family: "maskgit", variant: "v", config: .object(["k": .number(1)]))
        try w.write(to: path, metadata: meta)
        let file = try WeightFile(path: path)
        XCTAssertEqual(file.metadata.family, "maskgit")
        XCTAssertEqual(file.metadata.raw["format"]?.stringValue, WeightFileWriter.formatName)
        // No temporary file is left behind.
        let dir = (path as NSString).deletingLastPathComponent
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir)
            .filter { $0.hasPrefix((path as NSString).lastPathComponent + ".tmp") }
        XCTAssertEqual(leftovers, [])
    }

    func testOpeningADirectoryOrAnEmptyFileFailsCleanly() throws {
        XCTAssertThrowsError(try WeightFile(path: NSTemporaryDirectory())) {
            XCTAssertEqual($0 as? WeightFormatError, .io(path: NSTemporaryDirectory(), reason: "not a regular file"))
        }
        let path = NSTemporaryDirectory() + "tzw-empty-\(UUID().uuidString).tzw"
        defer { try? FileManager.default.removeItem(atPath: path) }
        FileManager.default.createFile(atPath: path, contents: Data())
        XCTAssertThrowsError(try WeightFile(path: path)) {
            XCTAssertEqual($0 as? WeightFormatError, .truncated(expected: 80, actual: 0))
        }
    }

    func testOpeningMissingFileIsAnIOError() {
        XCTAssertThrowsError(try WeightFile(path: "/nonexistent/dir/x.tzw")) {
            guard case .io = $0 as? WeightFormatError else { return XCTFail("\($0)") }
        }
    }
}
