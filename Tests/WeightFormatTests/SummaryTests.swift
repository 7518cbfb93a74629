import XCTest
@testable import WeightFormat

final class SummaryTests: XCTestCase {
    func testSummaryCountsAndSizes() throws {
        let file = try WeightFile(bytes: try TZW.small())
        let s = file.summary
        XCTAssertEqual(s.tensorCount, 3)
        XCTAssertEqual(s.dtypeCounts, ["f32": 1, "f16": 1, "bf16": 1])
        XCTAssertEqual(s.encodingCounts, ["raw": 1, "zlib": 1, "zlib+shuffle": 1])
        XCTAssertEqual(s.parameters, 6 + 4 + 4)
        XCTAssertEqual(s.rawBytes, 24 + 8 + 8)
        XCTAssertEqual(s.storedBytes, file.entries.map(\.storedLength).reduce(0, +))
        XCTAssertEqual(s.compressionRatio, Double(s.rawBytes) / Double(s.storedBytes), accuracy: 1e-12)
        XCTAssertEqual(s.family, "titok")
        XCTAssertEqual(s.variant, "test_variant")
        XCTAssertEqual(s.fileSize, file.fileSize)
        XCTAssertTrue(s.text.contains("test_variant"))
        XCTAssertTrue(s.text.contains("parameters:  14"))
    }

    func testSummaryAndReportEncodeAsJSONAndBack() throws {
        let file = try WeightFile(bytes: try TZW.small())
        let data = try JSONEncoder().encode(file.summary)
        XCTAssertEqual(try JSONDecoder().decode(WeightFileSummary.self, from: data), file.summary)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        XCTAssertEqual(object?["tensorCount"] as? Int, 3)
        let report = try file.verify()
        XCTAssertEqual(try JSONDecoder().decode(VerificationReport.self, from: try JSONEncoder().encode(report)), report)
        let entries = try JSONEncoder().encode(file.entries)
        let decoded = try JSONDecoder().decode([TensorEntry].self, from: entries)
        XCTAssertEqual(decoded, file.entries)
        XCTAssertTrue(String(decoding: entries, as: UTF8.self).contains("\"zlib+shuffle\""))
    }

    func testVerifyReportCountsEverything() throws {
        let w = try WeightFileWriter()
        try w.add(name: "f", shape: [3], values: [1, .nan, 2])
        try w.add(name: "g", shape: [2], values: [1, 2], as: .f16, encoding: .zlib)
        try w.add(name: "ids", dtype: .i64, shape: [2], bytes: [UInt8](repeating: 1, count: 16), encoding: .zlibShuffle)
        let file = try WeightFile(bytes: try w.serialized(metadata: TZW.metadata))
        let report = try file.verify()
        XCTAssertTrue(report.sound)
        XCTAssertEqual(report.checkedTensors, 3)
        XCTAssertEqual(report.inflatedTensors, 2)
        XCTAssertEqual(report.checkedBytes, file.entries.map(\.storedLength).reduce(0, +))
        XCTAssertEqual(report.nonFiniteTensors, ["f"])
        XCTAssertTrue(report.text.contains("non-finite"))
    }
}
