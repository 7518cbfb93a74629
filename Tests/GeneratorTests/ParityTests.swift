import Foundation
import MaskGITGenerators
import ModelZoo
import WeightFormat
import XCTest

/// The networks and the sampling loop against the reference's goldens (both fixtures).
final class ParityTests: XCTestCase {
    static let cases = ["tiny_gen_bert_t32", "tiny_gen_uvit_t32"]

    func testLogitsMatchReference() throws {
        for name in Self.cases {
            let f = try Fixture.generator(name)
            let gen = try f.generator()
            let exp = try f.expected()
            let ids = try exp.ints("input_ids").map { Int32($0) }
            let labels = try exp.ints("labels")
            let meta = try f.meta()
            for (key, conditional) in [("logits_cond", true), ("logits_uncond", false)] {
                guard let reference = meta["fp32_vs_fp64"]?[key]?.doubleValue else { return XCTFail("\(name): no tolerance for \(key)") }
                let tolerance = 20 * reference
                let got = try gen.logits(imageIds: ids, labels: labels.map { conditional ? $0 : nil })
                let want = try exp.doubles(key)
                XCTAssertEqual(got.count, want.count)
                var worst = 0.0
                for i in 0..<min(got.count, want.count) { worst = max(worst, abs(Double(got[i]) - want[i])) }
                XCTAssertLessThanOrEqual(worst, tolerance, "\(name) \(key): max abs deviation \(worst)")
            }
        }
    }

    func testDeterministicSamplingMatchesExactly() throws {
        for name in Self.cases {
            let f = try Fixture.generator(name)
            let gen = try f.generator()
            let exp = try f.expected()
            let labels = try exp.ints("labels")
            let settings = try f.samplings()
            XCTAssertEqual(settings.count, 4)
            for (setting, params) in settings {
                let got = try gen.generate(labels: labels, parameters: params)
                let want = try exp.ints("generate_\(setting)").map { Int32($0) }
                XCTAssertEqual(got.ids, want, "\(name) generate_\(setting)")
            }
        }
    }

    func testNoisySamplingReplaysExactly() throws {
        for name in Self.cases {
            let f = try Fixture.generator(name)
            let gen = try f.generator()
            let exp = try f.expected()
            let params = try f.noisyParams()
            let noise = ReplayNoise(logits: try exp.doubles("noisy_uniform_logits"),
                                    confidence: try exp.doubles("noisy_uniform_confidence"), steps: params.steps)
            let got = try gen.generate(labels: try exp.ints("labels"), parameters: params, noise: noise, progress: nil)
            XCTAssertEqual(got.ids, try exp.ints("noisy_ids").map { Int32($0) }, name)
            // Temperature 2.5 * (1 - ratio) is 0 at the last step: three noisy steps, ids then confidence.
            XCTAssertEqual(noise.calls.map { "\($0.0)\($0.1)" },
                           ["0tokenSampling", "0confidence", "1tokenSampling", "1confidence", "2tokenSampling", "2confidence"])
        }
    }
}
