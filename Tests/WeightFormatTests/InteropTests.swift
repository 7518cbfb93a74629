import XCTest
@testable import WeightFormat

/// Reads a file written by the Python converter's writer (tools/tzw.py); see
/// Tests/Fixtures/format/make_python_writer_fixture.py.
final class InteropTests: XCTestCase {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/format/python_writer.tzw").standardized.path

    func testPythonWrittenFileOpensVerifiesAndDecodes() throws {
        let file = try WeightFile(path: Self.path, verifyChecksums: true)
        XCTAssertEqual(file.metadata.variant, "python_interop")
        XCTAssertEqual(file.header.alignment, 4096)
        let report = try file.verify()
        XCTAssertEqual(report.checkedTensors, file.entries.count)
        for dtype in ["f32", "f16", "bf16", "f64"] {
            let expected = Array(try file.float32("expected.\(dtype)").buffer)
            for encoding in ["raw", "zlib", "zlib+shuffle"] {
                let t = try file.float32("\(dtype).\(encoding)")
                XCTAssertEqual(t.shape, [3, 5])
                XCTAssertEqual(Array(t.buffer), expected, "\(dtype).\(encoding)")
            }
        }
        for dtype in ["i32", "i64", "u8"] {
            let raw = try file.rawBytes("\(dtype).raw")
            XCTAssertEqual(raw.count, 15 * DType(name: dtype)!.size)
            XCTAssertEqual(try file.rawBytes("\(dtype).zlib"), raw)
            XCTAssertEqual(try file.rawBytes("\(dtype).zlib+shuffle"), raw)
        }
        XCTAssertEqual(Array(try file.float32("scalar").buffer), [1.5])
        XCTAssertEqual(try file.float32("empty").shape, [0, 3])
    }

    func testSwiftWriterReproducesThePythonLayout() throws {
        // Same tensors, same metadata, same alignment: the Swift writer's header, metadata and
        // table must match the Python writer's byte for byte (the stored zlib bytes may differ).
        let python = try WeightFile(path: Self.path)
        let w = try WeightFileWriter(alignment: 4096)
        for e in python.entries where e.encoding == .raw {
            try w.add(name: e.name, dtype: e.dtype, shape: e.shape, bytes: try python.rawBytes(e.name))
        }
        let swift = try WeightFile(bytes: try w.serialized(metadata: python.metadata.raw))
        let pythonRaw = python.entries.filter { $0.encoding == .raw }
        XCTAssertEqual(swift.entries.map(\.name), pythonRaw.map(\.name))
        XCTAssertEqual(swift.entries.map(\.crc32), pythonRaw.map(\.crc32))
        XCTAssertEqual(swift.entries.map(\.shape), pythonRaw.map(\.shape))
    }

    /// strips16 tensors written by the Python writer (make_python_strips_fixture.py) read back
    /// row-major here, and the Swift writer stores the same values in the same bytes.
    func testPythonWrittenStripsReadRowMajorAndMatchTheSwiftWriter() throws {
        let path = URL(fileURLWithPath: Self.path).deletingLastPathComponent().appendingPathComponent("python_strips16.tzw").path
        let file = try WeightFile(path: path, verifyChecksums: true)
        XCTAssertEqual(file.header.version, 2)
        let w = try WeightFileWriter()
        for name in ["w", "conv"] {
            let entry = try XCTUnwrap(file.entry(named: name))
            XCTAssertEqual(entry.order, .strips16)
            let values = Array(try file.float32(name).buffer)
            XCTAssertEqual(values, Array(try file.float32("expected.\(name)").buffer), name)
            try w.add(name: name, shape: entry.shape, values: values, order: .strips16)
        }
        let swift = try WeightFile(bytes: try w.serialized(metadata: file.metadata.raw))
        XCTAssertEqual(swift.entries.map(\.crc32), file.entries.prefix(2).map(\.crc32))
    }

    /// f16 and bf16 strips16 tensors written by the Python writer (version 3,
    /// make_python_half_strips_fixture.py) read back as their row-major copies do, and the Swift
    /// writer stores the same values in the same bytes.
    func testPythonWrittenHalfStripsReadRowMajorAndMatchTheSwiftWriter() throws {
        let path = URL(fileURLWithPath: Self.path).deletingLastPathComponent().appendingPathComponent("python_half_strips16.tzw").path
        let file = try WeightFile(path: path, verifyChecksums: true)
        XCTAssertEqual(file.header.version, 3)
        let w = try WeightFileWriter()
        for (name, dtype) in [("h", DType.f16), ("b", .bf16)] {
            let entry = try XCTUnwrap(file.entry(named: name))
            XCTAssertEqual(entry.order, .strips16)
            XCTAssertEqual(entry.dtype, dtype)
            let values = Array(try file.float32(name).buffer)
            XCTAssertEqual(values, Array(try file.float32("expected.\(name)").buffer), name)
            try w.add(name: name, shape: entry.shape, values: values, as: dtype, order: .strips16)
        }
        let swift = try WeightFile(bytes: try w.serialized(metadata: file.metadata.raw))
        XCTAssertEqual(swift.header.version, 3)
        XCTAssertEqual(swift.entries.map(\.crc32), file.entries.prefix(2).map(\.crc32))
    }
}
