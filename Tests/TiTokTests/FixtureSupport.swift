import Foundation
import XCTest
import WeightFormat
@testable import TiTokVariants

/// One golden case of `Tests/Fixtures/titok/<case>/`: weights, config, expected outputs, tolerances.
struct TiTokFixture {
    let name: String
    let directory: URL
    let weights: SafetensorsFile
    let expected: SafetensorsFile
    let config: TiTokConfig
    let meta: JSONValue

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/titok")
    static let all = ["tiny_legacy_vq_r64_t32", "tiny_legacy_vq_r128_t64", "tiny_vq8k_r64_t16", "tiny_vae_r64_t32"]

    init(_ name: String) throws {
        self.name = name
        directory = Self.root.appendingPathComponent(name)
        weights = try SafetensorsFile(path: directory.appendingPathComponent("model.safetensors").path)
        expected = try SafetensorsFile(path: directory.appendingPathComponent("expected.safetensors").path)
        let cfg = try JSONValue.parse(Data(contentsOf: directory.appendingPathComponent("config.json")))
        config = try TiTokConfig(referenceConfig: cfg, tensors: weights)
        meta = try JSONValue.parse(Data(contentsOf: directory.appendingPathComponent("meta.json")))
    }

    func model() throws -> TiTokModel { try TiTokModel(config: config, tensors: weights, variant: name) }

    /// About 20x the reference's own float32 deviation from float64 (fixtures README), at least 1e-5.
    func tolerance(_ key: String) -> Double {
        let dev = meta.at("fp32_torch_max_abs_dev_from_fp64")?[key]?.doubleValue ?? 0
        return max(20 * dev, 1e-5)
    }

    var batch: Int { 2 }
    func pixels() throws -> [Float] { try expected.doubles("pixel_values").map { Float($0) } }
}

func maxAbsDiff(_ a: [Float], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "size mismatch \(a.count) vs \(b.count)")
    var m = 0.0
    for i in a.indices { m = max(m, abs(Double(a[i]) - b[i])) }
    return m
}

func assertClose(_ actual: [Float], _ expected: [Double], tolerance: Double, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "\(what): size", file: file, line: line)
    guard actual.count == expected.count else { return }
    let d = maxAbsDiff(actual, expected)
    XCTAssertLessThanOrEqual(d, tolerance, "\(what): max abs diff \(d) > \(tolerance)", file: file, line: line)
}

/// Fraction of bytes that differ by more than one grey level, and the largest difference.
func byteMismatch(_ a: [UInt8], _ b: [UInt8]) -> (fractionOverOne: Double, maxDiff: Int) {
    var over = 0, worst = 0
    for i in a.indices { let d = abs(Int(a[i]) - Int(b[i])); worst = max(worst, d); if d > 1 { over += 1 } }
    return (Double(over) / Double(max(a.count, 1)), worst)
}
