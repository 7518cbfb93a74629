import XCTest
@testable import TiTokVariants

final class ConfigTests: XCTestCase {
    func testConfigJSONRoundTrip() throws {
        let c = TiTokConfig(kind: .legacyVQ, resolution: 256, numTokens: 32, codebookSize: 4096, tokenSize: 12,
                            useL2Norm: true, encoder: .large, decoder: .large)
        XCTAssertEqual(try TiTokConfig(json: c.json), c)
    }

    func testConfigRejectsBadHeads() {
        var c = TiTokConfig(kind: .vq, resolution: 256, numTokens: 32, codebookSize: 8192, tokenSize: 64,
                            useL2Norm: false, encoder: .base, decoder: .large)
        c.encoder.heads = 7
        XCTAssertThrowsError(try TiTokConfig(json: c.json))
    }

    func testHostileSizesAreRejectedBeforeAnyArithmetic() {
        var c = TiTokConfig(kind: .legacyVQ, resolution: 256, numTokens: 32, codebookSize: 4096, tokenSize: 12,
                            useL2Norm: true, encoder: .large, decoder: .large)
        c.encoder.width = 1 << 40
        c.encoder.heads = 1
        XCTAssertThrowsError(try TiTokConfig(json: c.json)) { XCTAssertTrue("\($0)".contains("encoder.width"), "\($0)") }
        c = TiTokConfig(kind: .vae, resolution: 1 << 30, numTokens: 32, codebookSize: 0, tokenSize: 16,
                        useL2Norm: false, encoder: .base, decoder: .base)
        XCTAssertThrowsError(try c.validate())
    }
}
