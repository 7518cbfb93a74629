import Foundation
import XCTest

/// `zoo info` and `zoo verify` on converted fixture files and on damaged copies.
final class WeightFileCommandTests: XCTestCase {
    let caseName = "tiny_vq8k_r64_t16"

    func testInfoDescribesTheFile() throws {
        let model = try FixtureModels.shared.path(caseName)
        let r = try ZooBinary.run(["info", model])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("custom-\(caseName) (family titok)"), r.stdout)
        // The converter stores the 16 transformer Linear weights and decoder.ffn.0 as strips16.
        XCTAssertTrue(r.stdout.contains("tensors:     75 (f32 75; raw 75; row-major 58, strips16 17)"), r.stdout)
        XCTAssertTrue(r.stdout.contains(".tzw version 2"), r.stdout)
        XCTAssertTrue(r.stdout.contains("custom model"), r.stdout)
        let j = try ZooBinary.run(["info", model, "--json"])
        XCTAssertEqual(j.status, 0, j.stderr)
        let o = try j.json()
        XCTAssertEqual(o["variant"] as? String, "custom-\(caseName)")
        XCTAssertEqual(o["tensorCount"] as? Int, 75)
        XCTAssertEqual(o["orderCounts"] as? [String: Int], ["row-major": 58, "strips16": 17])
        XCTAssertEqual((o["config"] as? [String: Any])?["codebook_size"] as? Int, 8192)
        XCTAssertEqual(o["family_registered"] as? Bool, true)
    }

    func testVerifyPassesASoundFile() throws {
        let model = try FixtureModels.shared.path(caseName)
        let r = try ZooBinary.run(["verify", model])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("OK, 75 tensors"), r.stdout)
        XCTAssertTrue(r.stdout.contains("builds: tokenizer custom-\(caseName) (64x64, 16 tokens)"), r.stdout)
        let j = try ZooBinary.run(["verify", model, "--json"])
        XCTAssertEqual(j.status, 0, j.stderr)
        XCTAssertEqual(try j.json()["sound"] as? Bool, true)
    }

    func testVerifyNamesTheDamage() throws {
        let model = try FixtureModels.shared.path(caseName)
        let dir = try TempDir()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: model)))
        // Flip one byte in the last tensor's data: only the tensor CRC can notice.
        bytes[bytes.count - 3] ^= 0x5A
        try Data(bytes).write(to: URL(fileURLWithPath: dir.file("flipped.tzw")))
        let r = try ZooBinary.run(["verify", dir.file("flipped.tzw")])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("flipped.tzw") && r.stderr.lowercased().contains("crc"), r.stderr)
        let j = try ZooBinary.run(["verify", dir.file("flipped.tzw"), "--json"])
        XCTAssertEqual(j.status, 1)
        XCTAssertEqual(try j.json()["sound"] as? Bool, false)

        try Data(bytes.prefix(bytes.count / 2)).write(to: URL(fileURLWithPath: dir.file("short.tzw")))
        let short = try ZooBinary.run(["verify", dir.file("short.tzw")])
        XCTAssertEqual(short.status, 1)
        XCTAssertTrue(short.stderr.contains("truncated"), short.stderr)
        let info = try ZooBinary.run(["info", dir.file("short.tzw")])
        XCTAssertEqual(info.status, 1)
        XCTAssertEqual(info.stderr.split(separator: "\n").count, 1, info.stderr)

        try Data("PK\u{3}\u{4} not a weight file at all, but long enough to hold a header of eighty bytes......".utf8)
            .write(to: URL(fileURLWithPath: dir.file("zip.tzw")))
        let magic = try ZooBinary.run(["verify", dir.file("zip.tzw")])
        XCTAssertEqual(magic.status, 1)
        XCTAssertTrue(magic.stderr.contains("bad magic"), magic.stderr)
        let missing = try ZooBinary.run(["info", dir.file("none.tzw")])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("no such file"), missing.stderr)
    }

    func testTokenizerCommandsRefuseAGenerator() throws {
        let dir = try TempDir()
        let conv = try runProcess("/usr/bin/env", ["python3", PackagePaths.at("tools/convert_checkpoint.py"),
                                                    PackagePaths.at("Tests/Fixtures/generator/tiny_gen_bert_t32"), "--out", dir.file("g.tzw"), "--quiet"])
        XCTAssertEqual(conv.status, 0, conv.stderr)
        let v = try ZooBinary.run(["verify", dir.file("g.tzw")])
        XCTAssertEqual(v.status, 0, v.stderr)
        XCTAssertTrue(v.stdout.contains("builds: generator"), v.stdout)
        let r = try ZooBinary.run(["encode", dir.file("g.tzw"), PackagePaths.fixture(caseName, "input_0.png")])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("is a token generator, not an image tokenizer"), r.stderr)
    }
}
