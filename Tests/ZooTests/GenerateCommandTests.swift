import Foundation
import XCTest
import WeightFormat

/// `zoo generate` end to end on the generator fixture and its paired tokenizer fixture.
final class GenerateCommandTests: XCTestCase {
    private func convertGenerator(into dir: TempDir) throws -> String {
        let out = dir.file("gen.tzw")
        let r = try runProcess("/usr/bin/env", ["python3", PackagePaths.at("tools/convert_checkpoint.py"),
                                                 PackagePaths.at("Tests/Fixtures/generator/tiny_gen_bert_t32"),
                                                 "--out", out, "--quiet"])
        guard r.status == 0 else { throw CLITestError.conversionFailed(r.stderr) }
        return out
    }

    func testGenerateWritesReferenceTokensImagesAndDecodableJSON() throws {
        let dir = try TempDir()
        let gen = try convertGenerator(into: dir)
        let tok = try FixtureModels.shared.path("tiny_legacy_vq_r64_t32")
        let expected = try SafetensorsFile(path: PackagePaths.at("Tests/Fixtures/generator/tiny_gen_bert_t32/expected.safetensors"))
        let labels = try expected.ints("labels")
        let want = try expected.ints("generate_constant_g3_s8")
        // Classes by number and by ImageNet name (label 0 is "tench").
        var args = ["generate", gen, "--tokenizer", tok, "--steps", "8", "--guidance", "3", "--decay", "constant",
                    "--temperature", "0", "--annealing", "off", "--tokens-out", dir.file("t.json"), "--out", dir.file("png")]
        for l in labels { args += ["--class", String(l)] }
        let r = try ZooBinary.run(args)
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: dir.file("t.json"))))
        let rows = try XCTUnwrap(json["tokens"]?.arrayValue)
        XCTAssertEqual(rows.flatMap { $0.arrayValue ?? [] }.compactMap(\.intValue), want)
        for i in 0..<labels.count { XCTAssertTrue(FileManager.default.fileExists(atPath: dir.file("png/\(i).png"))) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.file("png/grid.png")))
        let d = try ZooBinary.run(["decode", tok, dir.file("t.json"), "--out-dir", dir.file("decoded")])
        XCTAssertEqual(d.status, 0, d.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir.file("decoded/0.png"))),
                       try Data(contentsOf: URL(fileURLWithPath: dir.file("png/0.png"))))
    }

    func testClassNamesResolveOrSuggest() throws {
        let dir = try TempDir()
        let gen = try convertGenerator(into: dir)
        let ok = try ZooBinary.run(["generate", gen, "--class", "tench", "--class", "golden retriever", "--steps", "2",
                                 "--no-images", "--tokens-out", dir.file("t.json")])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let typo = try ZooBinary.run(["generate", gen, "--class", "golden retrever", "--no-images", "--tokens-out", dir.file("u.json")])
        XCTAssertNotEqual(typo.status, 0)
        XCTAssertTrue(typo.stderr.contains("golden retriever"), typo.stderr)
        let range = try ZooBinary.run(["generate", gen, "--class", "1000", "--no-images", "--tokens-out", dir.file("v.json")])
        XCTAssertNotEqual(range.status, 0)
        XCTAssertTrue(range.stderr.contains("1000"), range.stderr)
        let mismatched = try ZooBinary.run(["generate", gen, "--class", "1", "--tokenizer", try FixtureModels.shared.path("tiny_vq8k_r64_t16"),
                                         "--out", dir.file("w")])
        XCTAssertNotEqual(mismatched.status, 0)
        XCTAssertTrue(mismatched.stderr.contains("codebook") || mismatched.stderr.contains("tokens"), mismatched.stderr)
    }
}
