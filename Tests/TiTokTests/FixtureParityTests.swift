import Kernels
import XCTest
import ModelZoo
import WeightFormat
@testable import TiTokVariants

/// Every stage of every fixture case against the reference's float64 goldens.
final class FixtureParityTests: XCTestCase {
    func testEncodeStagesMatchReference() throws {
        for name in TiTokFixture.all {
            let f = try TiTokFixture(name)
            let model = try f.model()
            let px = try f.pixels()
            let s = try px.withUnsafeBufferPointer { try model.encodeStages(pixels: $0, batch: f.batch) }
            assertClose(s.zPre, try f.expected.doubles("z_pre"), tolerance: f.tolerance("z_pre"), "\(name) z_pre")
            if f.config.isVAE {
                assertClose(s.zq, try f.expected.doubles("posterior_mean"), tolerance: f.tolerance("posterior_mean"), "\(name) posterior mean")
                assertClose(s.posteriorStd!, try f.expected.doubles("posterior_std"), tolerance: f.tolerance("posterior_std"), "\(name) posterior std")
                XCTAssertNil(s.tokens)
            } else {
                let tokens = try f.expected.ints("tokens")
                XCTAssertEqual(s.tokens?.map(Int.init), tokens, "\(name) tokens")
                assertClose(s.zq, try f.expected.doubles("z_q"), tolerance: f.tolerance("z_q"), "\(name) z_q")
            }
        }
    }

    func testDecodeStagesMatchReference() throws {
        for name in TiTokFixture.all {
            let f = try TiTokFixture(name)
            let model = try f.model()
            // Decode the reference's own quantized latents (VAE: its float32 posterior mean).
            let latents = try f.expected.doubles(f.config.isVAE ? "posterior_mean" : "z_q").map { Float($0) }
            let d = try latents.withUnsafeBufferPointer { try model.decodeStages(latents: $0, batch: f.batch) }
            if f.config.kind == .legacyVQ {
                assertClose(d.logits!, try f.expected.doubles("decoder_logits"), tolerance: f.tolerance("decoder_logits"), "\(name) decoder_logits")
            }
            assertClose(d.pixels, try f.expected.doubles("decoded"), tolerance: f.tolerance("decoded"), "\(name) decoded")
            let bytes = PixelLayout.rgbBytes(fromPlanar: d.pixels, batch: f.batch, side: f.config.resolution)
            let m = byteMismatch(bytes, try f.expected.uint8s("recon_u8"))
            XCTAssertLessThanOrEqual(m.maxDiff, 1, "\(name) recon_u8 differs by \(m.maxDiff) grey levels")
        }
    }

    func testDecodingGivenTokensOrLatents() throws {
        for name in TiTokFixture.all {
            let f = try TiTokFixture(name)
            let model = try f.model()
            let pixels: [Float]
            if f.config.isVAE {
                let given = try f.expected.doubles("latent_given").map { Float($0) }
                pixels = try given.withUnsafeBufferPointer { try model.decode(latents: $0, batch: f.batch) }
                assertClose(pixels, try f.expected.doubles("decoded_from_latent_given"),
                            tolerance: f.tolerance("decoded_from_latent_given"), "\(name) decoded_from_latent_given")
            } else {
                let given = try f.expected.ints("tokens_given").map { Int32($0) }
                pixels = try given.withUnsafeBufferPointer { try model.decode(tokens: $0, batch: f.batch) }
                assertClose(pixels, try f.expected.doubles("decoded_from_tokens_given"),
                            tolerance: f.tolerance("decoded_from_tokens_given"), "\(name) decoded_from_tokens_given")
            }
        }
    }

    func testFullRoundTripFromBytes() throws {
        for name in TiTokFixture.all {
            let f = try TiTokFixture(name)
            let model = try f.model()
            let r = f.config.resolution
            let u8 = try f.expected.uint8s("image_u8")
            let px = PixelLayout.planarFloats(fromRGB: u8, batch: f.batch, side: r)
            XCTAssertEqual(px, try f.pixels(), "\(name): x/255 in float32 must equal the reference's pixel_values")
            let enc = try px.withUnsafeBufferPointer { try model.encode(pixels: $0, batch: f.batch) }
            let out: [Float]
            if let tokens = enc.tokens {
                out = try tokens.withUnsafeBufferPointer { try model.decode(tokens: $0, batch: f.batch) }
            } else {
                out = try enc.latents.withUnsafeBufferPointer { try model.decode(latents: $0, batch: f.batch) }
            }
            let bytes = PixelLayout.rgbBytes(fromPlanar: out, batch: f.batch, side: r)
            let m = byteMismatch(bytes, try f.expected.uint8s("recon_u8"))
            XCTAssertLessThanOrEqual(m.fractionOverOne, 0.001, "\(name): \(m.fractionOverOne * 100)% of bytes differ by more than 1")
        }
    }

    func testEachImageAloneMatchesTheBatch() throws {
        for name in TiTokFixture.all {
            let f = try TiTokFixture(name)
            let model = try f.model()
            let px = try f.pixels()
            let per = px.count / f.batch
            let both = try px.withUnsafeBufferPointer { try model.encode(pixels: $0, batch: f.batch) }
            for b in 0..<f.batch {
                let one = Array(px[(b * per)..<((b + 1) * per)])
                let alone = try one.withUnsafeBufferPointer { try model.encode(pixels: $0, batch: 1) }
                let n = f.config.numTokens
                if let t = both.tokens {
                    XCTAssertEqual(alone.tokens!, Array(t[(b * n)..<((b + 1) * n)]), "\(name) image \(b) tokens alone vs batch")
                }
                let c = f.config.tokenSize * n
                let fromBatch = Array(both.latents[(b * c)..<((b + 1) * c)])
                let worst = zip(alone.latents, fromBatch).map { abs(Double($0) - Double($1)) }.max() ?? 0
                XCTAssertLessThanOrEqual(worst, VectorGEMM.isEnabled ? 0 : 1e-6, "\(name) image \(b) latents alone vs batch")
            }
            // Decoding: the batch's images bit for bit those decoded one at a time.
            let decodedBoth = try both.latents.withUnsafeBufferPointer { try model.decode(latents: $0, batch: f.batch) }
            let c = both.latents.count / f.batch, pixels = decodedBoth.count / f.batch
            for b in 0..<f.batch {
                let one = Array(both.latents[(b * c)..<((b + 1) * c)])
                let alone = try one.withUnsafeBufferPointer { try model.decode(latents: $0, batch: 1) }
                let fromBatch = Array(decodedBoth[(b * pixels)..<((b + 1) * pixels)])
                let worst = zip(alone, fromBatch).map { abs(Double($0) - Double($1)) }.max() ?? 0
                // Our kernels sum every element in one order whatever the batch; OpenBLAS's sgemm may
                // sum a differently shaped Winograd chunk in another order (measured: 2e-5 at most).
                XCTAssertLessThanOrEqual(worst, VectorGEMM.isEnabled ? 0 : 1e-4, "\(name) image \(b) decoded alone vs batch")
            }
        }
    }
}
