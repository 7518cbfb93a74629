import Foundation
import MaskGITGenerators
import ModelZoo
import WeightFormat
import XCTest

/// Generators loaded from `.tzw` files: their Linear layers run on the library's matrix kernel
/// (packed on first use; raw f32 weights from the map, raw 16-bit ones read from the file as they
/// are packed), giving the logits of the same weights from the safetensors fixture.
final class WeightFileGeneratorTests: XCTestCase {
    /// The fixture's weights written as `dtype` (values rounded through `roundedTo` first, kept f32),
    /// the Linear weights as `strips16` when `strips` (as the converter writes a raw file).
    private func write(_ f: Fixture, dtype: DType, roundedTo: DType? = nil, strips: Bool = false) throws -> String {
        let source = try SafetensorsFile(path: f.file("model.safetensors"))
        let writer = try WeightFileWriter()
        for name in source.tensorNames {
            let t = try source.float32(name)
            var values = withExtendedLifetime(t) { Array(t.buffer) }
            switch roundedTo {
            case .f16?: values = values.map { HalfFloat.f16ToF32(HalfFloat.f32ToF16($0)) }
            case .bf16?: values = values.map { HalfFloat.bf16ToF32(HalfFloat.f32ToBF16($0)) }
            default: break
            }
            let order: ElementOrder = strips && MaskGITTensorLayout.isLinearWeight(name) ? .strips16 : .rowMajor
            try writer.add(name: name, shape: t.shape, values: values, as: dtype, order: order)
        }
        let path = NSTemporaryDirectory() + "gen-\(f.name)-\(dtype)-\(strips)-\(UUID().uuidString).tzw"
        try writer.write(to: path, metadata: ModelMetadata(family: "maskgit", variant: f.name, config: f.config.json))
        return path
    }

    private func logits(_ gen: MaskGITGenerator, _ f: Fixture) throws -> [Float] {
        let exp = try f.expected()
        let ids = try exp.ints("input_ids").map { Int32($0) }
        let labels = try exp.ints("labels")
        return try gen.logits(imageIds: ids, labels: labels.map { Optional($0) })
    }

    func testF32FileGivesTheSafetensorsLogits() throws {
        for name in ParityTests.cases {
            let f = try Fixture.generator(name)
            let path = try write(f, dtype: .f32)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let fromFile = try MaskGITGenerator(config: f.config, tensors: try WeightFile(path: path), variant: name)
            XCTAssertEqual(try logits(fromFile, f), try logits(try f.generator(), f), name)
        }
    }

    func testSixteenBitFilesGiveTheLogitsOfTheRoundedValues() throws {
        for name in ParityTests.cases {
            let f = try Fixture.generator(name)
            for dtype in [DType.f16, .bf16] {
                let half = try write(f, dtype: dtype), rounded = try write(f, dtype: .f32, roundedTo: dtype)
                defer { for p in [half, rounded] { try? FileManager.default.removeItem(atPath: p) } }
                let a = try MaskGITGenerator(config: f.config, tensors: try WeightFile(path: half), variant: name)
                let b = try MaskGITGenerator(config: f.config, tensors: try WeightFile(path: rounded), variant: name)
                XCTAssertEqual(try logits(a, f), try logits(b, f), "\(name) \(dtype)")
            }
        }
    }

    /// Linear weights stored as strips16 (f32, f16, bf16) are multiplied from the map (the AVX2
    /// kernel) or read back row-major (other engines): the logits of the same file row-major.
    func testStripsFilesGiveTheLogitsOfRowMajorFiles() throws {
        for name in ParityTests.cases {
            let f = try Fixture.generator(name)
            for dtype in [DType.f32, .f16, .bf16] {
                let strips = try write(f, dtype: dtype, strips: true), rows = try write(f, dtype: dtype)
                defer { for p in [strips, rows] { try? FileManager.default.removeItem(atPath: p) } }
                let file = try WeightFile(path: strips)
                // Every Linear weight but the fused query/key/value: 3 per BERT layer, 4-5 per UViT block, the head.
                XCTAssertGreaterThanOrEqual(file.entries.filter { $0.order == .strips16 }.count, 3 * f.config.layers + 1, "\(name) \(dtype)")
                let a = try MaskGITGenerator(config: f.config, tensors: file, variant: name)
                let b = try MaskGITGenerator(config: f.config, tensors: try WeightFile(path: rows), variant: name)
                XCTAssertEqual(try logits(a, f), try logits(b, f), "\(name) \(dtype)")
            }
        }
    }
}
