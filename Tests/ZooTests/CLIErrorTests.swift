import Foundation
import XCTest

/// Bad input to `zoo`: one clear line on stderr, exit status 1 (64 for usage errors), never a crash.
final class CLIErrorTests: XCTestCase {
    let legacy = "tiny_legacy_vq_r64_t32"

    private func assertFails(_ r: ProcessResult, status: Int32 = 1, mentions needles: [String],
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, status, "stderr: \(r.stderr)", file: file, line: line)
        for n in needles { XCTAssertTrue(r.stderr.contains(n), "stderr lacks '\(n)': \(r.stderr)", file: file, line: line) }
        if status == 1 {
            let lines = r.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "one line on stderr: \(r.stderr)", file: file, line: line)
        }
    }

    func testUnknownVariantSuggestsAName() throws {
        assertFails(try ZooBinary.run(["run", "TiTok-L-23", "--random-weights"]), mentions: ["unknown model 'TiTok-L-23'", "did you mean 'TiTok-L-32'"])
    }

    func testMissingWeightsGivesTheHint() throws {
        let r = try ZooBinary.run(["run", "TiTok-L-32"])
        assertFails(r, mentions: ["no weights for TiTok-L-32 at 256x256", "--from-hub", "--random-weights"])
        let never = try ZooBinary.run(["encode", "TiTok-L-32", "--res", "512", PackagePaths.fixture(legacy, "input_0.png")])
        assertFails(never, mentions: ["never published", "--random-weights"])
    }

    func testUnsupportedResolution() throws {
        assertFails(try ZooBinary.run(["run", "TiTok-BL-64-VQ", "--res", "512", "--random-weights"]), mentions: ["not registered at resolution 512"])
    }

    func testMissingModelFile() throws {
        assertFails(try ZooBinary.run(["encode", "/nonexistent/model.tzw", PackagePaths.fixture(legacy, "input_0.png")]), mentions: ["no such model file"])
    }

    func testCorruptPNG() throws {
        let dir = try TempDir()
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        bytes += Array(repeating: 0x41, count: 64)
        try Data(bytes).write(to: URL(fileURLWithPath: dir.file("bad.png")))
        let model = try FixtureModels.shared.path(legacy)
        assertFails(try ZooBinary.run(["encode", model, dir.file("bad.png")]), mentions: ["bad.png", "PNG"])
        try Data("hello".utf8).write(to: URL(fileURLWithPath: dir.file("text.png")))
        assertFails(try ZooBinary.run(["encode", model, dir.file("text.png")]), mentions: ["not a PNG or JPEG"])
        assertFails(try ZooBinary.run(["encode", model, dir.file("missing.png")]), mentions: ["missing.png"])
    }

    func testWrongSizeWithNoResize() throws {
        let model = try FixtureModels.shared.path(legacy)
        let big = PackagePaths.fixture("tiny_legacy_vq_r128_t64", "input_0.png")
        assertFails(try ZooBinary.run(["encode", model, big, "--no-resize"]), mentions: ["is 128x128", "64x64", "--no-resize"])
        assertFails(try ZooBinary.run(["run", model, "--image", big, "--no-resize"]), mentions: ["is 128x128"])
    }

    func testTokenJSONWithWrongCountRangeOrKind() throws {
        let model = try FixtureModels.shared.path(legacy)
        let dir = try TempDir()
        func decode(_ json: String) throws -> ProcessResult {
            try Data(json.utf8).write(to: URL(fileURLWithPath: dir.file("t.json")))
            return try ZooBinary.run(["decode", model, dir.file("t.json"), "--out-dir", dir.file("out")])
        }
        let ok = Array(repeating: "1", count: 32).joined(separator: ",")
        let ones31 = Array(repeating: "1", count: 31).joined(separator: ",")
        assertFails(try decode("{\"tokens\": [[\(ok)], [1, 2, 3]]}"), mentions: ["image 1 has 3 tokens", "32 per image"])
        assertFails(try decode("{\"tokens\": [[\(ones31),4096]]}"), mentions: ["4096", "outside the codebook 0..<4096"])
        assertFails(try decode("{\"tokens\": [[\(ones31),-1]]}"), mentions: ["-1", "outside the codebook"])
        assertFails(try decode("{\"tokens\": [[\(ones31),1.5]]}"), mentions: ["not an integer"])
        assertFails(try decode("{\"latents\": [[[0.5]]]}"), mentions: ["holds latents", "VQ model"])
        assertFails(try decode("{\"tokens\": []}"), mentions: ["no images"])
        assertFails(try decode("{\"model\": \"x\"}"), mentions: ["neither \"tokens\" nor \"latents\""])
        assertFails(try decode("[1, 2"), mentions: ["not valid JSON"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("out/0.png")), "nothing is written for bad input")
    }

    func testVAEModelRejectsTokens() throws {
        let model = try FixtureModels.shared.path("tiny_vae_r64_t32")
        let dir = try TempDir()
        try Data("{\"tokens\": [[1, 2]]}".utf8).write(to: URL(fileURLWithPath: dir.file("t.json")))
        assertFails(try ZooBinary.run(["decode", model, dir.file("t.json"), "--out-dir", dir.path]), mentions: ["VAE model", "latents"])
        try Data("{\"latents\": [[[1, 2]]]}".utf8).write(to: URL(fileURLWithPath: dir.file("l.json")))
        assertFails(try ZooBinary.run(["decode", model, dir.file("l.json"), "--out-dir", dir.path]), mentions: ["1 latent channels", "uses 16"])
    }

    func testUnwritableOutputs() throws {
        let model = try FixtureModels.shared.path(legacy)
        let dir = try TempDir()
        try Data("not a folder".utf8).write(to: URL(fileURLWithPath: dir.file("file")))
        let input = PackagePaths.fixture(legacy, "input_0.png")
        assertFails(try ZooBinary.run(["run", model, "--image", input, "--out", dir.file("file/x.png")]), mentions: ["file/x.png"])
        assertFails(try ZooBinary.run(["run", model, "--image", input, "--tokens-out", dir.file("file/t.json")]), mentions: ["file/t.json"])
        assertFails(try ZooBinary.run(["encode", model, input, "--npy", dir.file("file/z.npy")]), mentions: ["file/z.npy"])
        let enc = try ZooBinary.run(["encode", model, input, "--json"])
        XCTAssertEqual(enc.status, 0, enc.stderr)
        try Data(enc.stdout.utf8).write(to: URL(fileURLWithPath: dir.file("t.json")))
        assertFails(try ZooBinary.run(["decode", model, dir.file("t.json"), "--out-dir", dir.file("file")]), mentions: ["not a folder"])
        assertFails(try ZooBinary.run(["decode", model, dir.file("t.json"), "--out-dir", dir.file("file/sub")]), mentions: ["file/sub"])
    }

    func testUsageErrorsExit64() throws {
        assertFails(try ZooBinary.run(["bench", "TiTok-S-128", "--batch", "0"]), status: 64, mentions: ["--batch"])
        assertFails(try ZooBinary.run(["encode", "TiTok-S-128"]), status: 64, mentions: ["IMAGE"])
        assertFails(try ZooBinary.run(["encode", "m.tzw", "x.png", "--random-weights"]), status: 64, mentions: ["--random-weights"])
        assertFails(try ZooBinary.run(["run", "TiTok-S-128", "--threads", "-1"]), status: 64, mentions: ["--threads"])
        assertFails(try ZooBinary.run(["frobnicate"]), status: 64, mentions: ["frobnicate"])
    }
}
