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
}
