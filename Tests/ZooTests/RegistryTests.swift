import Foundation
import XCTest
import WeightFormat
@testable import ModelZoo

final class RegistryTests: XCTestCase {
    let registry = ModelRegistry(families: [FakeFamily()])

    func testLookupIsCaseInsensitive() throws {
        XCTAssertEqual(try registry.variant(named: "titok-l-32").name, "TiTok-L-32")
        XCTAssertEqual(try registry.variant(named: "TITOK-BL-64-VQ").name, "TiTok-BL-64-VQ")
        XCTAssertEqual(registry.variants.count, 4)
        XCTAssertNotNil(registry.family(named: "FAKE"))
        XCTAssertNil(registry.family(named: "maskgit"))
    }

    func testUnknownVariantSuggestsClosestNames() {
        XCTAssertThrowsError(try registry.variant(named: "TiTok-L-23")) { error in
            guard case ZooError.unknownVariant(let name, let suggestions) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "TiTok-L-23")
            XCTAssertEqual(suggestions.first, "TiTok-L-32")
            XCTAssertTrue("\(error)".contains("did you mean 'TiTok-L-32'"), "\(error)")
        }
        XCTAssertThrowsError(try registry.variant(named: "titok-bl-64")) { error in
            guard case ZooError.unknownVariant(_, let suggestions) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(suggestions.first, "TiTok-BL-64-VQ")
        }
        XCTAssertThrowsError(try registry.variant(named: "resnet50")) { error in
            guard case ZooError.unknownVariant(_, let suggestions) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(suggestions, [], "far-off names get no suggestion")
        }
    }

    func testEditDistance() {
        XCTAssertEqual(NameSuggestions.editDistance(Array("kitten"), Array("sitting")), 3)
        XCTAssertEqual(NameSuggestions.editDistance(Array(""), Array("abc")), 3)
        XCTAssertEqual(NameSuggestions.editDistance(Array("same"), Array("same")), 0)
        XCTAssertEqual(NameSuggestions.editDistance(Array("l-23"), Array("l-32")), 1, "a swap is one step")
    }

    func testRandomModelUsesDefaultOrRequestedResolution() throws {
        guard case .tokenizer(let t) = try registry.randomModel(variant: "titok-s-128", resolution: nil, seed: 7, options: LoadOptions()) else {
            return XCTFail("expected a tokenizer")
        }
        XCTAssertEqual(t.info.variant, "TiTok-S-128", "the registry passes the canonical name")
        XCTAssertEqual(t.info.resolution, 256)
        XCTAssertEqual((t as? FakeTokenizer)?.seed, 7)
        guard case .tokenizer(let t512) = try registry.randomModel(variant: "TiTok-S-128", resolution: 512, seed: 0, options: LoadOptions()) else {
            return XCTFail("expected a tokenizer")
        }
        XCTAssertEqual(t512.info.resolution, 512)
    }

    func testUnsupportedResolution() {
        XCTAssertThrowsError(try registry.randomModel(variant: "TiTok-BL-64-VQ", resolution: 512, seed: 0, options: LoadOptions())) { error in
            XCTAssertEqual(error as? ZooError, .unsupportedResolution(variant: "TiTok-BL-64-VQ", resolution: 512, supported: [256]))
        }
    }

    func testMissingWeightsHintNamesTheHubRepo() throws {
        let empty = try TempDir()
        let path = ModelSearchPath(directories: [empty.path])
        XCTAssertThrowsError(try registry.open(variant: "TiTok-L-32", resolution: 256, models: path, options: LoadOptions())) { error in
            guard case ZooError.weightsNotFound(let v, let r, let searched, let hint) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(v, "TiTok-L-32"); XCTAssertEqual(r, 256); XCTAssertEqual(searched, [empty.path])
            XCTAssertTrue(hint.contains("--from-hub yucornetto/tokenizer_titok_l32_imagenet"), hint)
            XCTAssertTrue(hint.contains("--models-dir \(empty.path)"), hint)
            XCTAssertTrue(hint.contains("--random-weights"), hint)
        }
    }

    func testMissingWeightsHintSaysNeverPublished() throws {
        let empty = try TempDir()
        let path = ModelSearchPath(directories: [empty.path])
        XCTAssertThrowsError(try registry.open(variant: "TiTok-L-32", resolution: 512, models: path, options: LoadOptions())) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("never published"), text)
            XCTAssertTrue(text.contains("--random-weights"), text)
            XCTAssertFalse(text.contains("--from-hub"), text)
        }
        XCTAssertEqual(registry.availability(of: FakeFamily.info("TiTok-L-32", resolutions: [256, 512], hub: [:]), resolution: 512, models: path), .neverPublished)
    }

    func testOpenDispatchesOnMetadataFamily() throws {
        let meta = ModelMetadata(family: "fake", variant: "custom", config: .object(["resolution": .number(64)]))
        guard case .tokenizer(let t) = try registry.open(metadata: meta, tensors: InMemoryTensors(), options: LoadOptions()) else {
            return XCTFail("expected a tokenizer")
        }
        XCTAssertEqual(t.info.resolution, 64)
        let other = ModelMetadata(family: "diffusion", variant: "x", config: .object([:]))
        XCTAssertThrowsError(try registry.open(metadata: other, tensors: InMemoryTensors(), options: LoadOptions())) { error in
            XCTAssertEqual(error as? ZooError, .unknownFamily("diffusion", known: ["fake"]))
        }
    }
}
