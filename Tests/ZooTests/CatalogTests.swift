import XCTest
import ModelCatalog
import ModelZoo

/// The registry of this build holds the team's variant names at the right resolutions.
final class CatalogTests: XCTestCase {
    let registry = ModelCatalog.registry

    func testEveryVariantNameIsRegistered() throws {
        for size in ["S", "B", "L"] {
            for tokens in [32, 64, 128] {
                let v = try registry.variant(named: "TiTok-\(size)-\(tokens)")
                XCTAssertEqual(v.resolutions, [256, 512])
                XCTAssertEqual(v.numTokens, tokens)
                XCTAssertEqual(v.codebookSize, 4096)
                XCTAssertEqual(v.family, "titok")
            }
        }
        for name in ["TiTok-BL-64-VQ", "TiTok-BL-128-VQ", "TiTok-SL-256-VQ", "TiTok-LL-32-VAE", "TiTok-BL-64-VAE", "TiTok-BL-128-VAE"] {
            let v = try registry.variant(named: name)
            XCTAssertEqual(v.resolutions, [256], name)
            XCTAssertEqual(v.isVAE, name.hasSuffix("VAE"), name)
        }
        for name in ["MaskGIT-TiTok-L-32", "MaskGIT-TiTok-B-64", "MaskGIT-TiTok-S-128"] {
            let v = try registry.variant(named: name)
            XCTAssertEqual(v.kind, .generator)
            let paired = try XCTUnwrap(v.pairedTokenizer, name)
            let tokenizer = try registry.variant(named: paired)
            XCTAssertEqual(tokenizer.numTokens, v.numTokens, "\(name) generates \(paired)'s tokens")
            XCTAssertEqual(tokenizer.codebookSize, v.codebookSize)
        }
        XCTAssertEqual(Set(registry.variants.map { $0.name.lowercased() }).count, registry.variants.count, "names are unique")
    }

    func testEveryVariantHasCostsAndFamilies() {
        for v in registry.variants {
            XCTAssertNotNil(registry.family(named: v.family), v.name)
            for r in v.resolutions {
                let c = v.costs[r]
                XCTAssertGreaterThan(c?.parameters ?? 0, 1_000_000, "\(v.name) at \(r)")
                XCTAssertGreaterThan(c?.encodeGFLOPs ?? 0, 0, "\(v.name) at \(r)")
            }
        }
    }

    func testRealNamesGetSuggestions() {
        XCTAssertThrowsError(try registry.variant(named: "TiTok-L-23")) { error in
            guard case ZooError.unknownVariant(_, let s) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(s.first, "TiTok-L-32")
        }
        XCTAssertThrowsError(try registry.variant(named: "titok-ll32-vae")) { error in
            guard case ZooError.unknownVariant(_, let s) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(s.first, "TiTok-LL-32-VAE")
        }
    }
}
