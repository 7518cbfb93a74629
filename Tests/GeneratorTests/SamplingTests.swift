import Foundation
import Kernels
@testable import MaskGITGenerators
import ModelZoo
import WeightFormat
import XCTest

/// Seeded sampling, the mask schedule, ties, and errors on bad input.
final class SamplingTests: XCTestCase {
    func testSeededSamplingRepeatsBitForBitAcrossThreadCounts() throws {
        let f = try Fixture.generator("tiny_gen_uvit_t32")
        let gen = try f.generator()
        let params = GenerationParams(steps: 6, guidanceScale: 4.5, guidanceDecay: .linear, randomizeTemperature: 9.5,
                                      softmaxTemperatureAnnealing: true, seed: 42)
        let labels = [207, 1, 980, 33]
        let before = ComputeThreads.count
        defer { ComputeThreads.set(before) }
        ComputeThreads.set(1)
        let one = try gen.generate(labels: labels, parameters: params)
        let again = try gen.generate(labels: labels, parameters: params)
        ComputeThreads.set(2)
        let two = try gen.generate(labels: labels, parameters: params)
        XCTAssertEqual(one, again)
        XCTAssertEqual(one, two)
        XCTAssertTrue(one.ids.allSatisfy { $0 >= 0 && $0 < 4096 })
        // Another seed gives other tokens; the noise really is used.
        var other = params
        other.seed = 43
        XCTAssertNotEqual(try gen.generate(labels: labels, parameters: other).ids, one.ids)
        // An image's tokens do not depend on the other images of the batch.
        let alone = try gen.generate(labels: [labels[0]], parameters: params)
        XCTAssertEqual(alone.ids.count, 32)
    }

    func testSeededNoiseIsUniformAndKeyed() {
        let noise = SeededNoise(seed: 7)
        var a = [Double](repeating: 0, count: 10_000), b = a, c = a
        a.withUnsafeMutableBufferPointer { noise.fillUniforms(step: 0, purpose: .tokenSampling, into: $0) }
        b.withUnsafeMutableBufferPointer { noise.fillUniforms(step: 0, purpose: .confidence, into: $0) }
        c.withUnsafeMutableBufferPointer { noise.fillUniforms(step: 1, purpose: .tokenSampling, into: $0) }
        XCTAssertNotEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertTrue(a.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = a.reduce(0, +) / Double(a.count)
        XCTAssertEqual(mean, 0.5, accuracy: 0.02)
        var prefix = [Double](repeating: 0, count: 10)
        prefix.withUnsafeMutableBufferPointer { noise.fillUniforms(step: 0, purpose: .tokenSampling, into: $0) }
        XCTAssertEqual(prefix, Array(a[0..<10]))
    }

    func testMaskScheduleAndGumbel() throws {
        let sampler = MaskGITSampler(config: try Fixture.generator("tiny_gen_bert_t32").config)
        // N = 32, S = 8: floor(32 * arccos(r) / (pi/2)) for r = 1/8 ... 7/8.
        let lengths = (1...7).map { sampler.maskLength(ratio: Double($0) / 8, maskedInFirstRow: 32) }
        XCTAssertEqual(lengths, [29, 26, 24, 21, 18, 14, 10])  // numpy: np.floor(32 * np.arccos(r) / (pi / 2))
        XCTAssertEqual(sampler.maskLength(ratio: 0.5, maskedInFirstRow: 5), 4)   // at most masked - 1
        XCTAssertEqual(sampler.maskLength(ratio: 1.0, maskedInFirstRow: 32), 1)  // at least 1
        XCTAssertEqual(sampler.maskLength(ratio: 0.9, maskedInFirstRow: 1), 1)
        XCTAssertEqual(MaskGITSampler.gumbel(0), -log(-log(1e-20)), accuracy: 1e-12)
        XCTAssertEqual(MaskGITSampler.gumbel(0.5), -log(log(2.0)), accuracy: 1e-12)
        XCTAssertTrue(MaskGITSampler.gumbel(1).isFinite)
    }

    /// Equal logits everywhere: every confidence ties, so each step re-masks every position;
    /// the last step keeps the argmax (the first index, as torch.argmax).
    func testTiesAreAllRemasked() throws {
        let config = try Fixture.generator("tiny_gen_bert_t32").config
        let sampler = MaskGITSampler(config: config)
        var seen: [[Int32]] = []
        let ids = try sampler.sample(labels: [3, 4], parameters: GenerationParams(steps: 3, guidanceScale: 0, randomizeTemperature: 0),
                                     noise: SeededNoise(seed: 0), progress: nil) { seq, rows in
            seen.append(seq)
            return [Float](repeating: 0.25, count: rows * config.numTokens * config.codebookSize)
        }
        XCTAssertEqual(ids, [Int32](repeating: 0, count: 64))
        XCTAssertEqual(seen.count, 3)
        for s in seen { XCTAssertEqual(Array(s[1..<33]), [Int32](repeating: 4096, count: 32)) }
        XCTAssertEqual(seen[0][0], 4096 + 1 + 3)
        XCTAssertEqual(seen[0][33], 4096 + 1 + 4)
    }

    /// Guided steps run one batch of [conditional rows, unconditional rows].
    func testGuidedStepsBatchConditionalAndUnconditional() throws {
        let config = try Fixture.generator("tiny_gen_bert_t32").config
        let sampler = MaskGITSampler(config: config)
        var rowsSeen: [Int] = []
        var classTokens: [[Int32]] = []
        _ = try sampler.sample(labels: [5], parameters: GenerationParams(steps: 3, guidanceScale: 2, guidanceDecay: .linear, randomizeTemperature: 0),
                               noise: SeededNoise(seed: 0), progress: nil) { seq, rows in
            rowsSeen.append(rows)
            classTokens.append(stride(from: 0, to: seq.count, by: 33).map { seq[$0] })
            return (0..<(rows * 32 * 4096)).map { Float($0 % 4096) }
        }
        // linear: guidance 0 at the first step (one conditional pass), then guided.
        XCTAssertEqual(rowsSeen, [1, 2, 2])
        XCTAssertEqual(classTokens[1], [4096 + 1 + 5, 4096 + 1 + 1000])
    }

    func testProgressIsReportedPerStep() throws {
        let gen = try Fixture.generator("tiny_gen_bert_t32").generator()
        final class Steps: @unchecked Sendable { var done: [Int] = [] }
        let steps = Steps()
        _ = try gen.generate(labels: [1], parameters: GenerationParams(steps: 4, guidanceScale: 0, randomizeTemperature: 1),
                             noise: nil, progress: { done, total in XCTAssertEqual(total, 4); steps.done.append(done) })
        XCTAssertEqual(steps.done, [1, 2, 3, 4])
    }

    func testBadInputThrowsClearErrors() throws {
        let gen = try Fixture.generator("tiny_gen_bert_t32").generator()
        let ok = GenerationParams(steps: 2, guidanceScale: 3, randomizeTemperature: 0)
        func message(_ body: () throws -> Any) -> String {
            do { _ = try body(); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(message { try gen.generate(labels: [1000], parameters: ok) }.contains("class label 1000"))
        XCTAssertTrue(message { try gen.generate(labels: [3, -1], parameters: ok) }.contains("out of range"))
        XCTAssertTrue(message { try gen.generate(labels: [], parameters: ok) }.contains("no class labels"))
        var zero = ok; zero.steps = 0
        XCTAssertTrue(message { try gen.generate(labels: [1], parameters: zero) }.contains("at least 1"))
        var nan = ok; nan.guidanceScale = .nan
        XCTAssertTrue(message { try gen.generate(labels: [1], parameters: nan) }.contains("guidance scale"))
        var negative = ok; negative.randomizeTemperature = -1
        XCTAssertTrue(message { try gen.generate(labels: [1], parameters: negative) }.contains("temperature"))
        XCTAssertTrue(message { try gen.logits(imageIds: [Int32](repeating: 4097, count: 32), labels: [1]) }.contains("out of range"))
        XCTAssertTrue(message { try gen.logits(imageIds: [1, 2], labels: [1]) }.contains("expected 1 x 32"))
    }

    func testTokenizerPairingChecks() throws {
        let gen = try Fixture.generator("tiny_gen_bert_t32").generator()
        func tokenizer(tokens: Int, codebook: Int, vae: Bool = false) -> TokenizerInfo {
            TokenizerInfo(variant: "T", family: "titok", resolution: 64, numTokens: tokens, codebookSize: codebook,
                          tokenDim: 12, preQuantChannels: 12, isVAE: vae, untrained: true)
        }
        XCTAssertNoThrow(try gen.checkCompatible(with: tokenizer(tokens: 32, codebook: 4096)))
        XCTAssertThrowsError(try gen.checkCompatible(with: tokenizer(tokens: 64, codebook: 4096))) {
            XCTAssertTrue("\($0)".contains("64 tokens"), "\($0)")
        }
        XCTAssertThrowsError(try gen.checkCompatible(with: tokenizer(tokens: 32, codebook: 8192))) {
            XCTAssertTrue("\($0)".contains("8192"), "\($0)")
        }
        XCTAssertThrowsError(try gen.checkCompatible(with: tokenizer(tokens: 32, codebook: 0, vae: true)))
    }

    func testWrongWeightsFailAtLoadWithTheTensorName() throws {
        let f = try Fixture.generator("tiny_gen_uvit_t32")
        let weights = try SafetensorsFile(path: f.file("model.safetensors"))
        var wrong = f.config
        wrong.intermediate = 128
        XCTAssertThrowsError(try MaskGITGenerator(config: wrong, tensors: weights, variant: "x")) {
            XCTAssertTrue("\($0)".contains("mlp.fc1.weight"), "\($0)")
        }
        var other = f.config
        other.kind = .vit
        XCTAssertThrowsError(try MaskGITGenerator(config: other, tensors: weights, variant: "x")) {
            XCTAssertTrue("\($0)".contains("missing"), "\($0)")
        }
    }
}
