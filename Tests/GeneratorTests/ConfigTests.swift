import Foundation
import MaskGITGenerators
import ModelZoo
import WeightFormat
import XCTest

final class ConfigTests: XCTestCase {
    func testReferenceConfigOfBothFixtures() throws {
        let bert = try Fixture.generator("tiny_gen_bert_t32").config
        XCTAssertEqual(bert.kind, .vit)
        XCTAssertEqual(bert.numTokens, 32)
        XCTAssertEqual(bert.codebookSize, 4096)
        XCTAssertEqual(bert.numClasses, 1000)
        XCTAssertEqual(bert.hidden, 64)
        XCTAssertEqual(bert.layers, 2)
        XCTAssertEqual(bert.heads, 4)
        XCTAssertEqual(bert.intermediate, 256)
        XCTAssertEqual(bert.sampling.steps, 8)
        XCTAssertEqual(bert.sampling.guidanceDecay, .constant)
        XCTAssertEqual(bert.parameterCount, 694_848)  // meta.json num_parameters
        let uvit = try Fixture.generator("tiny_gen_uvit_t32").config
        XCTAssertEqual(uvit.kind, .uvit)
        XCTAssertEqual(uvit.layers, 4)
        XCTAssertEqual(uvit.parameterCount, 860_224)
    }

    func testMetadataJSONRoundTrip() throws {
        var c = try Fixture.generator("tiny_gen_uvit_t32").config
        c.tokenizerVariant = "TiTok-S-128"
        c.sampling = GenerationParams(steps: 64, guidanceScale: 6.9, guidanceDecay: .powerCosine,
                                      randomizeTemperature: 2.8, softmaxTemperatureAnnealing: true)
        XCTAssertEqual(try MaskGITConfig(json: c.json), c)
    }

    func testBadConfigsThrowClearErrors() throws {
        let good = try Fixture.generator("tiny_gen_bert_t32").config.json
        func mutated(_ key: String, _ value: JSONValue) -> JSONValue {
            guard case .object(var o) = good else { return good }
            o[key] = value
            return .object(o)
        }
        XCTAssertThrowsError(try MaskGITConfig(json: mutated("kind", .string("gpt")))) {
            XCTAssertTrue("\($0)".contains("kind 'gpt'"), "\($0)")
        }
        XCTAssertThrowsError(try MaskGITConfig(json: mutated("heads", .number(5)))) {
            XCTAssertTrue("\($0)".contains("not divisible"), "\($0)")
        }
        XCTAssertThrowsError(try MaskGITConfig(json: mutated("hidden", .string("big")))) {
            XCTAssertTrue("\($0)".contains("'hidden'"), "\($0)")
        }
        XCTAssertThrowsError(try MaskGITConfig(json: mutated("sampling", .object(["steps": .number(0)])))) {
            XCTAssertTrue("\($0)".contains("at least 1"), "\($0)")
        }
        XCTAssertThrowsError(try MaskGITConfig(json: mutated("sampling", .object(["guidance_decay": .string("cosine")])))) {
            XCTAssertTrue("\($0)".contains("power-cosine"), "\($0)")
        }
        XCTAssertThrowsError(try MaskGITConfig(json: mutated("num_tokens", .number(-3))))
    }
}
