import Foundation
import MaskGITGenerators
import ModelZoo
import WeightFormat
import XCTest

/// The family plugin: registered variants, loading from metadata, random models.
final class FamilyTests: XCTestCase {
    func testRegisteredVariants() throws {
        let family = MaskGITFamily()
        XCTAssertEqual(family.name, "maskgit")
        let byName = Dictionary(uniqueKeysWithValues: family.variants.map { ($0.name, $0) })
        XCTAssertEqual(Set(byName.keys), ["MaskGIT-TiTok-L-32", "MaskGIT-TiTok-B-64", "MaskGIT-TiTok-S-128"])
        let l32 = try XCTUnwrap(byName["MaskGIT-TiTok-L-32"])
        XCTAssertEqual(l32.kind, .generator)
        XCTAssertEqual(l32.pairedTokenizer, "TiTok-L-32")
        XCTAssertEqual(l32.hubRepos[256], "yucornetto/generator_titok_l32_imagenet")
        XCTAssertEqual(l32.numTokens, 32)
        XCTAssertEqual(byName["MaskGIT-TiTok-S-128"]?.pairedTokenizer, "TiTok-S-128")
        // 24 layers x 7,087,872 + embeddings 3,943,680 + lm_head 3,149,824.
        let params = try XCTUnwrap(l32.costs[256]?.parameters)
        XCTAssertEqual(params, 177_202_432)  // the paper's 177M MaskGIT-ViT
        let s128 = try XCTUnwrap(MaskGITVariants.entry(named: "maskgit-titok-s-128"))
        XCTAssertEqual(s128.config.kind, .uvit)
        XCTAssertEqual(s128.config.sampling.steps, 64)
        XCTAssertEqual(s128.config.sampling.guidanceDecay, .powerCosine)
        XCTAssertEqual(MaskGITVariants.entry(named: "MaskGIT-TiTok-B-64")?.config.sampling.randomizeTemperature, 11.0)
    }

    func testLoadFromMetadataAndTensors() throws {
        let f = try Fixture.generator("tiny_gen_bert_t32")
        var config = f.config
        config.tokenizerVariant = "tiny_legacy_vq_r64_t32"
        let metadata = ModelMetadata(family: "maskgit", variant: "tiny_gen_bert_t32", config: config.json)
        let loaded = try MaskGITFamily().load(metadata: metadata, tensors: try SafetensorsFile(path: f.file("model.safetensors")),
                                              options: LoadOptions())
        guard case .generator(let gen) = loaded else { return XCTFail("not a generator") }
        XCTAssertEqual(gen.generatorInfo.tokenizerVariant, "tiny_legacy_vq_r64_t32")
        XCTAssertEqual(gen.generatorInfo.numClasses, 1000)
        XCTAssertEqual(gen.defaultParameters, config.sampling)
        let bad = ModelMetadata(family: "maskgit", variant: "x", config: .object(["kind": .string("vit")]))
        XCTAssertThrowsError(try MaskGITFamily().load(metadata: bad, tensors: InMemoryTensors(), options: LoadOptions())) {
            XCTAssertTrue("\($0)".contains("num_tokens"), "\($0)")
        }
    }

    func testRandomModelErrors() {
        XCTAssertThrowsError(try MaskGITFamily().randomModel(variant: "MaskGIT-TiTok-L-32", resolution: 512, seed: 0, options: LoadOptions())) {
            XCTAssertTrue("\($0)".contains("resolution 512"), "\($0)")
        }
        XCTAssertThrowsError(try MaskGITFamily().randomModel(variant: "MaskGIT-TiTok-X", resolution: 256, seed: 0, options: LoadOptions()))
    }
}
