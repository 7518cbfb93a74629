import Foundation
import ImageIO
import XCTest

/// The `zoo` subcommands on fixture-converted files and on a small random-weight variant.
final class CLICommandTests: XCTestCase {
    let legacy = "tiny_legacy_vq_r64_t32"

    func testEverySubcommandExplainsItself() throws {
        for sub in ["list", "info", "verify", "encode", "decode", "run", "bench"] {
            let r = try ZooBinary.run([sub, "--help"])
            XCTAssertEqual(r.status, 0, "\(sub): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("USAGE: zoo \(sub)"), "\(sub) --help: \(r.stdout)")
        }
        let root = try ZooBinary.run(["--help"])
        for sub in ["list", "info", "verify", "encode", "decode", "run", "bench"] {
            XCTAssertTrue(root.stdout.contains("\n  \(sub) "), "zoo --help lists \(sub): \(root.stdout)")
        }
    }

    func testListShowsVariantsAndWhereTheirWeightsAre() throws {
        let models = try TempDir()
        try Data().write(to: URL(fileURLWithPath: models.file("TiTok-L-32-256.tzw")))
        let r = try ZooBinary.run(["list", "--models", models.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = r.stdout.split(separator: "\n").map(String.init)
        func row(_ name: String, _ res: Int) -> String? { rows.first { $0.hasPrefix(name + " ") && $0.contains(" \(res) ") } }
        XCTAssertTrue(row("TiTok-L-32", 256)?.contains(models.file("TiTok-L-32-256.tzw")) ?? false, r.stdout)
        XCTAssertTrue(row("TiTok-B-64", 256)?.contains("on the hub as ") ?? false, r.stdout)
        XCTAssertTrue(row("TiTok-L-32", 512)?.contains("never published") ?? false, r.stdout)
        for name in ["TiTok-S-128", "TiTok-BL-64-VQ", "TiTok-BL-128-VQ", "TiTok-SL-256-VQ", "TiTok-LL-32-VAE", "TiTok-BL-64-VAE", "TiTok-BL-128-VAE"] {
            XCTAssertNotNil(row(name, 256), "\(name) is listed")
        }

        let j = try ZooBinary.run(["list", "--json", "--models", models.path])
        XCTAssertEqual(j.status, 0, j.stderr)
        let entries = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [[String: Any]])
        let l32 = try XCTUnwrap(entries.first { $0["name"] as? String == "TiTok-L-32" && $0["resolution"] as? Int == 256 })
        XCTAssertEqual(l32["tokens"] as? Int, 32)
        XCTAssertEqual(l32["codebook_size"] as? Int, 4096)
        XCTAssertEqual((l32["weights"] as? [String: Any])?["status"] as? String, "installed")
        XCTAssertGreaterThan(l32["parameters"] as? Int ?? 0, 100_000_000)
        XCTAssertGreaterThan(l32["encode_gflops"] as? Double ?? 0, 0)
        let vae = try XCTUnwrap(entries.first { $0["name"] as? String == "TiTok-LL-32-VAE" })
        XCTAssertEqual(vae["vae"] as? Bool, true)
    }

    func testEncodeSummaryAndJSONAgree() throws {
        let model = try FixtureModels.shared.path(legacy)
        let input = PackagePaths.fixture(legacy, "input_1.png")
        let text = try ZooBinary.run(["encode", model, input])
        XCTAssertEqual(text.status, 0, text.stderr)
        let json = try ZooBinary.run(["encode", model, input, "--json", "--threads", "1"])
        let tokens = try XCTUnwrap(try json.json()["tokens"] as? [[Int]])
        XCTAssertEqual(tokens.count, 1)
        XCTAssertTrue(text.stdout.contains("32 tokens: " + tokens[0].map(String.init).joined(separator: " ")), text.stdout)
    }

    func testRunOnTheShippedPhotoResizesIt() throws {
        let model = try FixtureModels.shared.path("tiny_legacy_vq_r128_t64")
        let dir = try TempDir()
        let r = try ZooBinary.run(["run", model, "--out", dir.file("side.png"), "--tokens-out", dir.file("t.json")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("ILSVRC2012_val_00008636.png"), r.stdout)
        XCTAssertTrue(r.stdout.contains("256x256, resized"), r.stdout)
        XCTAssertTrue(r.stdout.contains("128*128*24 = 393216 bits of RGB -> 64 tokens x log2(4096) = 768 bits (512x smaller)"), r.stdout)
        let side = try ImageFile.read(dir.file("side.png"))
        XCTAssertEqual([side.width, side.height], [256, 128])
        let tokens = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("t.json")))) as? [String: Any])
        let ids = try XCTUnwrap(tokens["tokens"] as? [[Int]])
        XCTAssertEqual(ids.first?.count, 64)
        XCTAssertTrue(r.stdout.contains("tokens:  64: " + ids[0].map(String.init).joined(separator: " ")), r.stdout)
    }

    func testEncodeResizesAJPEGOfAnotherShape() throws {
        let model = try FixtureModels.shared.path(legacy)
        let dir = try TempDir()
        let photo = try ImageFile.read(PackagePaths.at("assets/images/ILSVRC2012_val_00010240.png"))
        try ImageFile.writeJPEG(try photo.cropped(x: 0, y: 20, width: 256, height: 200), to: dir.file("wide.jpg"))
        let r = try ZooBinary.run(["encode", model, dir.file("wide.jpg"), "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual((try r.json()["tokens"] as? [[Int]])?.first?.count, 32)
        let strict = try ZooBinary.run(["encode", model, dir.file("wide.jpg"), "--no-resize"])
        XCTAssertEqual(strict.status, 1)
        XCTAssertTrue(strict.stderr.contains("is 256x200"), strict.stderr)
    }

    func testDecodeWarnsWhenTheTokensCameFromAnotherModel() throws {
        let model = try FixtureModels.shared.path(legacy)
        let dir = try TempDir()
        let ids = Array(repeating: "7", count: 32).joined(separator: ", ")
        try Data("{\"model\": \"TiTok-L-32\", \"tokens\": [[\(ids)]]}".utf8).write(to: URL(fileURLWithPath: dir.file("t.json")))
        let r = try ZooBinary.run(["decode", model, dir.file("t.json"), "--out-dir", dir.file("out")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("warning: \(dir.file("t.json")) was encoded by TiTok-L-32"), r.stderr)
        XCTAssertEqual(try ImageFile.read(dir.file("out/0.png")).width, 64)
    }

    func testRunFindsTheDefaultPhotoUnderTITOK_ASSETS() throws {
        let model = try FixtureModels.shared.path(legacy)
        let assets = try TempDir()
        try FileManager.default.createDirectory(atPath: assets.file("images"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: PackagePaths.fixture(legacy, "input_0.png"),
                                         toPath: assets.file("images/ILSVRC2012_val_00008636.png"))
        let r = try ZooBinary.run(["run", model, "--no-resize"], environment: ["TITOK_ASSETS": assets.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("image:   \(assets.file("images/ILSVRC2012_val_00008636.png")) (64x64)"), r.stdout)
    }

    func testRunAndEncodeGiveTheSameTokensForAnExactSizeImage() throws {
        let model = try FixtureModels.shared.path("tiny_vq8k_r64_t16")
        let input = PackagePaths.fixture("tiny_vq8k_r64_t16", "input_0.png")
        let dir = try TempDir()
        let run = try ZooBinary.run(["run", model, "--image", input, "--no-resize", "--tokens-out", dir.file("t.json")])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("(64x64)"), run.stdout)
        let enc = try ZooBinary.run(["encode", model, input, "--json"])
        XCTAssertEqual(try String(contentsOfFile: dir.file("t.json"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
                       enc.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func testBenchReportsTimesAndMemory() throws {
        let model = try FixtureModels.shared.path("tiny_vae_r64_t32")
        let r = try ZooBinary.run(["bench", model, "--batch", "2", "--warmup", "0", "--iterations", "1", "--threads", "1", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try r.json()
        XCTAssertEqual(o["batch"] as? Int, 2)
        XCTAssertEqual(o["threads"] as? Int, 1)
        XCTAssertGreaterThan(o["encode_ms_per_image"] as? Double ?? 0, 0)
        XCTAssertGreaterThan(o["decode_ms_per_image"] as? Double ?? 0, 0)
        // No warm-up and one timed call: the first calls are the timed ones.
        XCTAssertEqual(o["first_encode_ms_per_image"] as? Double, o["encode_ms_per_image"] as? Double)
        XCTAssertEqual(o["first_decode_ms_per_image"] as? Double, o["decode_ms_per_image"] as? Double)
        XCTAssertGreaterThan(o["peak_rss_bytes"] as? Int ?? 0, 1 << 20)
        // The converted fixture's Linear weights are used from the map: some file pages are resident.
        XCTAssertGreaterThan(o["resident_file_bytes"] as? Int ?? 0, 0)
        XCTAssertGreaterThan(o["resident_anon_bytes"] as? Int ?? 0, 1 << 20)
        // Of those, what is mapped in 2 MiB pages (a part, in whole 2 MiB pages).
        for kind in ["file", "anon"] {
            let huge = try XCTUnwrap(o["resident_\(kind)_huge_bytes"] as? Int, "resident_\(kind)_huge_bytes")
            XCTAssertLessThanOrEqual(huge, o["resident_\(kind)_bytes"] as? Int ?? 0, kind)
            XCTAssertEqual(huge % (2 << 20), 0, kind)
        }
        let text = try ZooBinary.run(["bench", model, "--warmup", "0", "--iterations", "1"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("per image"), text.stdout)
        XCTAssertTrue(text.stdout.contains("peak resident"), text.stdout)
        XCTAssertTrue(text.stdout.contains("of mapped file pages"), text.stdout)
        XCTAssertTrue(text.stdout.contains("mapped in 2 MiB pages"), text.stdout)
        XCTAssertTrue(text.stdout.contains("first:   encode"), text.stdout)
    }

    func testRandomWeightVariantRunsEndToEnd() throws {
        let dir = try TempDir()
        let r = try ZooBinary.run(["run", "titok-s-128", "--res", "256", "--random-weights", "--seed", "3",
                                   "--out", dir.file("o.png"), "--tokens-out", dir.file("t.json")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("TiTok-S-128 at 256x256 (random weights (seed 3, untrained))"), r.stdout)
        XCTAssertTrue(r.stdout.contains("128 tokens x log2(4096) = 1536 bits (1024x smaller)"), r.stdout)
        let side = try ImageFile.read(dir.file("o.png"))
        XCTAssertEqual([side.width, side.height], [512, 256])
        let dec = try ZooBinary.run(["decode", "TiTok-S-128", dir.file("t.json"), "--random-weights", "--seed", "3", "--out-dir", dir.file("d")])
        XCTAssertEqual(dec.status, 0, dec.stderr)
        let again = try ImageFile.read(dir.file("d/0.png"))
        XCTAssertEqual(again.pixels, try ImageFile.read(dir.file("o.png")).cropped(x: 256, y: 0, width: 256, height: 256).pixels,
                       "decoding the saved tokens with the same seed gives the same reconstruction")
    }
}
