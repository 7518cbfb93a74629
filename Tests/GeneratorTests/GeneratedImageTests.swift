import Foundation
import MaskGITGenerators
import ModelZoo
import TiTokVariants
import WeightFormat
import XCTest

/// Generated ids decoded by the paired tokenizer fixture give the reference's images.
final class GeneratedImageTests: XCTestCase {
    func testConstantGuidanceImagesMatchReference() throws {
        let tokDir = Fixture.tokenizerDirectory
        let weights = try SafetensorsFile(path: tokDir.appendingPathComponent("model.safetensors").path)
        let cfg = try JSONValue.parse(Data(contentsOf: tokDir.appendingPathComponent("config.json")))
        let tokenizer = try TiTokModel(config: try TiTokConfig(referenceConfig: cfg, tensors: weights), tensors: weights,
                                       variant: "tiny_legacy_vq_r64_t32")
        for name in ParityTests.cases {
            let f = try Fixture.generator(name)
            let exp = try f.expected()
            let setting = try XCTUnwrap(try f.samplings().first { $0.name == "constant_g3_s8" })
            let ids = try f.generator().generate(labels: try exp.ints("labels"), parameters: setting.params).ids
            XCTAssertEqual(ids, try exp.ints("generate_constant_g3_s8").map { Int32($0) }, name)
            let batch = ids.count / 32
            let pixels = try ids.withUnsafeBufferPointer { try tokenizer.decode(tokens: $0, batch: batch) }
            let bytes = PixelLayout.rgbBytes(fromPlanar: pixels, batch: batch, side: 64)
            let want = try exp.uint8s("image_from_constant_g3_s8")
            XCTAssertEqual(bytes.count, want.count)
            var worst = 0, overOne = 0
            for i in bytes.indices { let d = abs(Int(bytes[i]) - Int(want[i])); worst = max(worst, d); if d > 1 { overOne += 1 } }
            XCTAssertLessThanOrEqual(Double(overOne) / Double(bytes.count), 0.001, "\(name): \(overOne) values off by more than one (max \(worst))")
        }
    }
}
