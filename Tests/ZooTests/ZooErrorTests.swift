import XCTest
@testable import ModelZoo

final class ZooErrorTests: XCTestCase {
    func testUnknownVariantMessageSuggests() {
        let e = ZooError.unknownVariant("TiTok-L-23", suggestions: ["TiTok-L-32"])
        XCTAssertTrue(e.description.contains("did you mean 'TiTok-L-32'"))
    }
}
