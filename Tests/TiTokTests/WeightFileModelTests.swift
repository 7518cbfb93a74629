import Foundation
import XCTest
import ModelZoo
import WeightFormat
@testable import TiTokVariants

/// The fixtures through the `.tzw` path: written by the Swift writer, opened by `WeightFile`
/// (raw f32 used in place from the map), built by `TiTokFamily.load` from the metadata alone.
final class WeightFileModelTests: XCTestCase {
    /// `roundedTo`: the values rounded through that 16-bit dtype first (stored as `dtype`).
    /// `strips`: the Linear weights stored as `strips16` (those with a multiple of 16 rows).
    static func writeFixture(_ f: TiTokFixture, dtype: DType, encoding: TensorEncoding, roundedTo: DType? = nil,
                             strips: Bool = false) throws -> String {
        let writer = try WeightFileWriter()
        for name in f.weights.tensorNames {
            let t = try f.weights.float32(name)
            var values = Array(t.buffer)
            switch roundedTo {
            case .f16?: values = values.map { HalfFloat.f16ToF32(HalfFloat.f32ToF16($0)) }
            case .bf16?: values = values.map { HalfFloat.bf16ToF32(HalfFloat.f32ToBF16($0)) }
            default: break
            }
            let order: ElementOrder = strips && TiTokTensorLayout.isLinearWeight(name) && t.shape[0] % 16 == 0 ? .strips16 : .rowMajor
            try writer.add(name: name, shape: t.shape, values: values, as: dtype, encoding: encoding, order: order)
        }
        let path = NSTemporaryDirectory() + "titok-\(f.name)-\(dtype)-\(encoding)-\(roundedTo.map { "\($0)" } ?? "")-\(strips)-\(UUID().uuidString).tzw"
        try writer.write(to: path, metadata: ModelMetadata(family: "titok", variant: f.name, config: f.config.json))
        return path
    }

    private func writeFixture(_ f: TiTokFixture, dtype: DType, encoding: TensorEncoding, roundedTo: DType? = nil) throws -> String {
        try Self.writeFixture(f, dtype: dtype, encoding: encoding, roundedTo: roundedTo)
    }

    private func tokenizer(_ path: String) throws -> TiTokModel { try Self.loadTokenizer(path) }

    /// Encodes the fixture's pixels with both models and decodes each one's latents: tokens,
    /// pre-quantization latents and pixels must be the same bits.
    static func assertSameOutputs(_ a: TiTokModel, _ b: TiTokModel, _ f: TiTokFixture,
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        let px = try f.pixels()
        let ea = try px.withUnsafeBufferPointer { try a.encode(pixels: $0, batch: f.batch) }
        let eb = try px.withUnsafeBufferPointer { try b.encode(pixels: $0, batch: f.batch) }
        XCTAssertEqual(ea.tokens, eb.tokens, f.name, file: file, line: line)
        XCTAssertEqual(ea.preQuantization, eb.preQuantization, f.name, file: file, line: line)
        let da = try ea.latents.withUnsafeBufferPointer { try a.decode(latents: $0, batch: f.batch) }
        let db = try eb.latents.withUnsafeBufferPointer { try b.decode(latents: $0, batch: f.batch) }
        XCTAssertEqual(da, db, f.name, file: file, line: line)
    }

    static func loadTokenizer(_ path: String) throws -> TiTokModel {
        let file = try WeightFile(path: path)
        guard case .tokenizer(let t) = try TiTokFamily().load(metadata: file.metadata, tensors: file, options: LoadOptions()),
              let model = t as? TiTokModel else { throw ZooError.unsupported("not a TiTok tokenizer") }
        return model
    }

    func testRawF32FileGivesTheSameOutputsAsTheSafetensors() throws {
        for name in TiTokFixture.all {
            let f = try TiTokFixture(name)
            let path = try writeFixture(f, dtype: .f32, encoding: .raw)
            defer { try? FileManager.default.removeItem(atPath: path) }
            try Self.assertSameOutputs(try tokenizer(path), try f.model(), f)
        }
    }

    func testHalfPrecisionFilesKeepTheTokens() throws {
        let f = try TiTokFixture("tiny_vq8k_r64_t16")
        let px = try f.pixels()
        let expected = try f.expected.ints("tokens")
        for (dtype, encoding) in [(DType.f16, TensorEncoding.raw), (.bf16, .zlibShuffle), (.f32, .zlib)] {
            let path = try writeFixture(f, dtype: dtype, encoding: encoding)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let model = try tokenizer(path)
            let enc = try px.withUnsafeBufferPointer { try model.encode(pixels: $0, batch: f.batch) }
            let matches = zip(enc.tokens!.map(Int.init), expected).filter { $0 == $1 }.count
            // f32 (compressed) is exact; rounding the weights to 16 bits may move a token with a small margin.
            if dtype == .f32 { XCTAssertEqual(matches, expected.count) } else { XCTAssertGreaterThanOrEqual(matches, expected.count * 9 / 10, "\(dtype)") }
            let decoded = try enc.latents.withUnsafeBufferPointer { try model.decode(latents: $0, batch: f.batch) }
            XCTAssertTrue(decoded.allSatisfy { $0.isFinite })
        }
    }

    /// Raw 16-bit files feed their Linear weights straight from the file into the packed panels
    /// (no float32 copy) and their pixel decoder convolutions' weights into the plans on first
    /// use: every output equals that of an f32 file of the same rounded values.
    func testRawHalfFilesMatchF32FilesOfTheRoundedValues() throws {
        for name in ["tiny_vq8k_r64_t16", "tiny_legacy_vq_r64_t32"] {
            try checkRawHalfFilesMatchRoundedF32(name)
        }
    }

    private func checkRawHalfFilesMatchRoundedF32(_ name: String) throws {
        let f = try TiTokFixture(name)
        let px = try f.pixels()
        for dtype in [DType.f16, .bf16] {
            let half = try writeFixture(f, dtype: dtype, encoding: .raw)
            let rounded = try writeFixture(f, dtype: .f32, encoding: .raw, roundedTo: dtype)
            defer { for p in [half, rounded] { try? FileManager.default.removeItem(atPath: p) } }
            let a = try tokenizer(half), b = try tokenizer(rounded)
            let ea = try px.withUnsafeBufferPointer { try a.encode(pixels: $0, batch: f.batch) }
            let eb = try px.withUnsafeBufferPointer { try b.encode(pixels: $0, batch: f.batch) }
            XCTAssertEqual(ea.preQuantization, eb.preQuantization, "\(name) \(dtype)")
            XCTAssertEqual(ea.tokens, eb.tokens, "\(name) \(dtype)")
            let da = try ea.latents.withUnsafeBufferPointer { try a.decode(latents: $0, batch: f.batch) }
            let db = try eb.latents.withUnsafeBufferPointer { try b.decode(latents: $0, batch: f.batch) }
            XCTAssertEqual(da, db, "\(name) \(dtype)")
        }
    }

    func testWrongShapeIsRejectedWithTheTensorName() throws {
        let f = try TiTokFixture("tiny_vae_r64_t32")
        let store = InMemoryTensors()
        for name in f.weights.tensorNames { store.setTensor(name, try f.weights.float32(name)) }
        store.set("decoder.ffn.0.bias", shape: [7], values: [Float](repeating: 0, count: 7))
        XCTAssertThrowsError(try TiTokModel(config: f.config, tensors: store, variant: "broken")) { error in
            XCTAssertTrue("\(error)".contains("decoder.ffn.0.bias"), "\(error)")
        }
        let missing = InMemoryTensors()
        for name in f.weights.tensorNames where name != "latent_tokens" { missing.setTensor(name, try f.weights.float32(name)) }
        XCTAssertThrowsError(try TiTokModel(config: f.config, tensors: missing, variant: "broken")) { error in
            XCTAssertTrue("\(error)".contains("latent_tokens"), "\(error)")
        }
    }

    func testBadInputsGiveClearErrors() throws {
        let f = try TiTokFixture("tiny_legacy_vq_r64_t32")
        let model = try f.model()
        let n = f.config.numTokens
        var tokens = [Int32](repeating: 1, count: n)
        tokens[5] = 4096
        XCTAssertThrowsError(try tokens.withUnsafeBufferPointer { try model.decode(tokens: $0, batch: 1) }) { e in
            XCTAssertTrue("\(e)".contains("4096") && "\(e)".contains("position 5"), "\(e)")
        }
        XCTAssertThrowsError(try [Int32](repeating: 0, count: n - 1).withUnsafeBufferPointer { try model.decode(tokens: $0, batch: 1) })
        XCTAssertThrowsError(try [Float](repeating: 0, count: 10).withUnsafeBufferPointer { try model.encode(pixels: $0, batch: 1) })
        XCTAssertThrowsError(try [Float]().withUnsafeBufferPointer { try model.encode(pixels: $0, batch: 0) })
        let vae = try TiTokFixture("tiny_vae_r64_t32").model()
        XCTAssertThrowsError(try [Int32](repeating: 0, count: 32).withUnsafeBufferPointer { try vae.decode(tokens: $0, batch: 1) }) { e in
            XCTAssertTrue("\(e)".contains("VAE"), "\(e)")
        }
    }

    func testRandomWeightModelIsDeterministicAndRealShaped() throws {
        let family = TiTokFamily()
        guard case .tokenizer(let a) = try family.randomModel(variant: "TiTok-S-128", resolution: 256, seed: 7, options: LoadOptions()),
              case .tokenizer(let b) = try family.randomModel(variant: "titok-s-128", resolution: 256, seed: 7, options: LoadOptions())
        else { return XCTFail("not a tokenizer") }
        XCTAssertTrue(a.info.untrained)
        XCTAssertEqual(a.info.numTokens, 128)
        XCTAssertEqual(a.info.variant, "TiTok-S-128")
        let px: [Float] = (0..<(3 * 256 * 256)).map { (i: Int) -> Float in Float((i * 37) % 255) / 255 }
        let ea = try px.withUnsafeBufferPointer { try a.encode(pixels: $0, batch: 1) }
        let eb = try px.withUnsafeBufferPointer { try b.encode(pixels: $0, batch: 1) }
        XCTAssertEqual(ea.tokens, eb.tokens)
        XCTAssertTrue(ea.preQuantization.allSatisfy { $0.isFinite })
        XCTAssertThrowsError(try family.randomModel(variant: "TiTok-S-129", resolution: 256, seed: 1, options: LoadOptions())) { e in
            XCTAssertTrue("\(e)".contains("TiTok-S-128"), "\(e)")
        }
        XCTAssertThrowsError(try family.randomModel(variant: "TiTok-BL-64-VQ", resolution: 512, seed: 1, options: LoadOptions()))
    }

    func testCostsMatchThePublishedTable() throws {
        func gflops(_ v: String, _ r: Int) throws -> (Double, Double) {
            let c = try TiTokFamily.config(variant: v, resolution: r)
            return (TiTokCost.encodeFLOPs(c) / 1e9, TiTokCost.decodeFLOPs(c) / 1e9)
        }
        for (v, r, enc, dec) in [("TiTok-S-128", 256, 22.0, 210.0), ("TiTok-L-32", 256, 183.0, 372.0), ("TiTok-L-64", 512, 776.0, 1530.0)] {
            let (e, d) = try gflops(v, r)
            XCTAssertEqual(e, enc, accuracy: enc * 0.02, "\(v)@\(r) encode")
            XCTAssertEqual(d, dec, accuracy: dec * 0.02, "\(v)@\(r) decode")
        }
    }

    func testVAEPosteriorSamplingIsSeeded() throws {
        let f = try TiTokFixture("tiny_vae_r64_t32")
        let model = try f.model()
        let px = try f.pixels()
        let enc = try px.withUnsafeBufferPointer { try model.encode(pixels: $0, batch: f.batch) }
        let std = try XCTUnwrap(enc.latentStd)
        assertClose(std, try f.expected.doubles("posterior_std"), tolerance: f.tolerance("posterior_std"), "posterior std")
        let a = try enc.sampledLatents(seed: 3), b = try enc.sampledLatents(seed: 3), c = try enc.sampledLatents(seed: 4)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        // Standardised deviations from the mean look like N(0, 1).
        let z = a.indices.map { Double((a[$0] - enc.latents[$0]) / std[$0]) }
        let mean = z.reduce(0, +) / Double(z.count)
        let variance = z.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(z.count)
        XCTAssertEqual(mean, 0, accuracy: 0.15)
        XCTAssertEqual(variance, 1, accuracy: 0.2)
        let vq = try TiTokFixture("tiny_vq8k_r64_t16").model()
        let q = try (try TiTokFixture("tiny_vq8k_r64_t16").pixels()).withUnsafeBufferPointer { try vq.encode(pixels: $0, batch: 2) }
        XCTAssertThrowsError(try q.sampledLatents(seed: 1))
    }
}

/// Linear weights stored as `strips16` (the AVX2 kernel's packed layout, used from the map without
/// packing; other kernels read the rows back and pack them): every output equals the safetensors
/// model's, bit for bit, on every matrix engine (scripts/test runs this class on each).
final class StoredStripsModelTests: XCTestCase {
    func testStripsFilesGiveTheSameOutputsAsTheSafetensors() throws {
        for name in TiTokFixture.all {
            let f = try TiTokFixture(name)
            let path = try WeightFileModelTests.writeFixture(f, dtype: .f32, encoding: .raw, strips: true)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let file = try WeightFile(path: path)
            let stored = file.entries.filter { $0.order == .strips16 }.map(\.name)
            XCTAssertGreaterThanOrEqual(stored.count, 4 * (f.config.encoder.layers + f.config.decoder.layers), name)
            try WeightFileModelTests.assertSameOutputs(try WeightFileModelTests.loadTokenizer(path), try f.model(), f)
        }
    }

    /// f16 and bf16 strips (widened inside the AVX2 kernel; read back and packed elsewhere): every
    /// output equals that of the same 16-bit file stored row-major (packed from widened rows).
    func testSixteenBitStripsFilesGiveTheSameOutputsAsRowMajorOnes() throws {
        for name in TiTokFixture.all {
            let f = try TiTokFixture(name)
            for dtype in [DType.f16, .bf16] {
                let strips = try WeightFileModelTests.writeFixture(f, dtype: dtype, encoding: .raw, strips: true)
                let rows = try WeightFileModelTests.writeFixture(f, dtype: dtype, encoding: .raw)
                defer { for p in [strips, rows] { try? FileManager.default.removeItem(atPath: p) } }
                let file = try WeightFile(path: strips)
                XCTAssertEqual(file.header.version, 3, "\(name) \(dtype)")
                XCTAssertGreaterThanOrEqual(file.entries.filter { $0.order == .strips16 }.count,
                                            4 * (f.config.encoder.layers + f.config.decoder.layers), "\(name) \(dtype)")
                try WeightFileModelTests.assertSameOutputs(try WeightFileModelTests.loadTokenizer(strips),
                                                           try WeightFileModelTests.loadTokenizer(rows), f)
            }
        }
    }
}
