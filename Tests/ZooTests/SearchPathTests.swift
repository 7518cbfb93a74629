import Foundation
import XCTest
@testable import ModelZoo

final class SearchPathTests: XCTestCase {
    func testOrderIsFlagThenEnvironmentThenCache() {
        let p = ModelSearchPath(explicitDirectory: "/flag", environment: ["TITOK_MODELS": "/env", "XDG_CACHE_HOME": "/xdg", "HOME": "/home/u"])
        XCTAssertEqual(p.directories, ["/flag", "/env", "/xdg/titok"])
    }

    func testCacheDefaultsToHomeCache() {
        let p = ModelSearchPath(explicitDirectory: nil, environment: ["HOME": "/home/u"])
        XCTAssertEqual(p.directories, ["/home/u/.cache/titok"])
        let q = ModelSearchPath(explicitDirectory: nil, environment: ["HOME": "/home/u", "XDG_CACHE_HOME": "", "TITOK_MODELS": ""])
        XCTAssertEqual(q.directories, ["/home/u/.cache/titok"], "empty variables are ignored")
    }

    func testFileName() {
        XCTAssertEqual(ModelSearchPath.fileName(variant: "TiTok-L-32", resolution: 256), "TiTok-L-32-256.tzw")
        XCTAssertEqual(ModelSearchPath.fileName(variant: "TiTok-BL-64-VQ", resolution: 256), "TiTok-BL-64-VQ-256.tzw")
        XCTAssertEqual(ModelSearchPath.fileName(variant: "MaskGIT-TiTok-L-32", resolution: 256), "MaskGIT-TiTok-L-32-256.tzw")
    }

    func testLocateTakesTheFirstFolderThatHasTheFile() throws {
        let a = try TempDir(), b = try TempDir(), c = try TempDir()
        let name = "TiTok-S-128-512.tzw"
        try Data("x".utf8).write(to: URL(fileURLWithPath: b.file(name)))
        try Data("y".utf8).write(to: URL(fileURLWithPath: c.file(name)))
        try FileManager.default.createDirectory(atPath: a.file(name), withIntermediateDirectories: true)
        let p = ModelSearchPath(explicitDirectory: a.path, environment: ["TITOK_MODELS": b.path, "XDG_CACHE_HOME": c.path])
        XCTAssertEqual(p.directories, [a.path, b.path, (c.path as NSString).appendingPathComponent("titok")])
        XCTAssertEqual(p.locate(variant: "TiTok-S-128", resolution: 512), b.file(name), "a folder of that name is not a weight file")
        XCTAssertNil(p.locate(variant: "TiTok-S-128", resolution: 256))
    }
}
