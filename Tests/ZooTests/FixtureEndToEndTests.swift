import Foundation
import ImageIO
import WeightFormat
import XCTest

/// Every fixture checkpoint, converted by the Python converter, run through `zoo encode` and
/// `zoo decode`, must give the reference's tokens and reconstructions.
final class FixtureEndToEndTests: XCTestCase {
    func testLegacyVQ64() throws { try checkCase("tiny_legacy_vq_r64_t32") }
    func testLegacyVQ128() throws { try checkCase("tiny_legacy_vq_r128_t64") }
    func testSingleStageVQ() throws { try checkCase("tiny_vq8k_r64_t16") }
    func testVAE() throws { try checkCase("tiny_vae_r64_t32") }

    private func checkCase(_ name: String) throws {
        let model = try FixtureModels.shared.path(name)
        let expected = try SafetensorsFile(path: PackagePaths.fixture(name, "expected.safetensors"))
        let inputs = [PackagePaths.fixture(name, "input_0.png"), PackagePaths.fixture(name, "input_1.png")]
        let work = try TempDir()

        // encode --json --npy
        let enc = try ZooBinary.run(["encode", model] + inputs + ["--json", "--no-resize", "--npy", work.file("z.npy")])
        XCTAssertEqual(enc.status, 0, enc.stderr)
        let json = try enc.json()
        XCTAssertEqual(json["model"] as? String, "custom-\(name)")
        let zPre = try expected.doubles("z_pre")
        let npy = try NPYReader.float32(path: work.file("z.npy"))
        let zShape = try XCTUnwrap(expected.shape(of: "z_pre"))
        XCTAssertEqual(npy.shape, [zShape[0], zShape[1], zShape[3]])
        XCTAssertLessThan(maxAbsDiff(npy.values, zPre), 1e-5, "z_pre (tolerance of Tests/Fixtures/README.md)")

        if let tokens = json["tokens"] as? [[Int]] {
            XCTAssertEqual(tokens.flatMap { $0 }, try expected.ints("tokens"), "tokens must match the reference exactly")
        } else {
            let latents = try XCTUnwrap(json["latents"] as? [[[Double]]], "VQ tokens or VAE latents expected")
            let flat = latents.flatMap { $0.flatMap { $0 } }.map(Float.init)
            XCTAssertLessThan(maxAbsDiff(flat, try expected.doubles("posterior_mean")), 1e-5, "posterior mean")
        }

        // decode the JSON back to pixels
        try Data(enc.stdout.utf8).write(to: URL(fileURLWithPath: work.file("tokens.json")))
        let out = work.file("recon")
        let dec = try ZooBinary.run(["decode", model, work.file("tokens.json"), "--out-dir", out, "--npy", work.file("pixels.npy")])
        XCTAssertEqual(dec.status, 0, dec.stderr)
        let recon = try expected.uint8s("recon_u8")
        let decoded = try expected.doubles("decoded")
        let side = try XCTUnwrap(expected.shape(of: "recon_u8"))[1]
        let plane = side * side * 3
        for b in 0..<2 {
            let img = try ImageFile.read((out as NSString).appendingPathComponent("\(b).png"))
            XCTAssertEqual([img.width, img.height], [side, side])
            let ref = Array(recon[(b * plane)..<((b + 1) * plane)])
            let diffs = zip(img.pixels, ref).map { abs(Int($0) - Int($1)) }
            let off = diffs.filter { $0 > 1 }.count
            XCTAssertLessThanOrEqual(Double(off) / Double(plane), 0.001, "\(name) image \(b): \(off) of \(plane) values differ by more than one grey level")
            XCTAssertLessThanOrEqual(diffs.max() ?? 0, 3, "\(name) image \(b)")
        }
        let pixels = try NPYReader.float32(path: work.file("pixels.npy"))
        XCTAssertEqual(pixels.shape, [2, 3, side, side])
        XCTAssertLessThan(maxAbsDiff(pixels.values, decoded), name.contains("legacy") ? 1e-3 : 1e-5, "decoded pixels (tolerance of Tests/Fixtures/README.md)")
    }

    private func maxAbsDiff(_ a: [Float], _ b: [Double]) -> Double {
        XCTAssertEqual(a.count, b.count, "element counts")
        return zip(a, b).map { abs(Double($0) - $1) }.max() ?? .infinity
    }
}
