import ModelZoo
import WeightFormat

/// A tiny in-test model family: lets the registry be tested without any real model.
struct FakeFamily: ModelFamily {
    var name: String = "fake"
    var variants: [VariantInfo] = [
        FakeFamily.info("TiTok-L-32", resolutions: [256, 512], hub: [256: "yucornetto/tokenizer_titok_l32_imagenet"]),
        FakeFamily.info("TiTok-B-64", resolutions: [256, 512], hub: [256: "yucornetto/tokenizer_titok_b64_imagenet"]),
        FakeFamily.info("TiTok-S-128", resolutions: [256, 512], hub: [256: "yucornetto/tokenizer_titok_s128_imagenet"]),
        FakeFamily.info("TiTok-BL-64-VQ", resolutions: [256], hub: [:]),
    ]

    static func info(_ name: String, resolutions: [Int], hub: [Int: String]) -> VariantInfo {
        VariantInfo(name: name, family: "fake", kind: .tokenizer, resolutions: resolutions, numTokens: 32,
                    codebookSize: 4096, tokenDim: 12, isVAE: false, summary: "fake", hubRepos: hub,
                    costs: Dictionary(uniqueKeysWithValues: resolutions.map { ($0, VariantCost(parameters: 1, encodeGFLOPs: 1, decodeGFLOPs: 1)) }))
    }

    func load(metadata: ModelMetadata, tensors: TensorProvider, options: LoadOptions) throws -> LoadedModel {
        guard let r = metadata.config["resolution"]?.intValue else { throw ZooError.incompatibleWeights("no resolution") }
        return .tokenizer(FakeTokenizer(variant: metadata.variant, resolution: r, seed: 0))
    }

    func randomModel(variant: String, resolution: Int, seed: UInt64, options: LoadOptions) throws -> LoadedModel {
        .tokenizer(FakeTokenizer(variant: variant, resolution: resolution, seed: seed))
    }
}

/// A tokenizer that only reports what it was built with.
final class FakeTokenizer: ImageTokenizer {
    let info: TokenizerInfo
    let seed: UInt64

    init(variant: String, resolution: Int, seed: UInt64) {
        info = TokenizerInfo(variant: variant, family: "fake", resolution: resolution, numTokens: 32, codebookSize: 4096,
                             tokenDim: 12, preQuantChannels: 12, isVAE: false, untrained: true)
        self.seed = seed
    }

    func encode(pixels: UnsafeBufferPointer<Float>, batch: Int) throws -> TokenizerEncoding {
        throw ZooError.unsupported("fake")
    }
    func decode(tokens: UnsafeBufferPointer<Int32>, batch: Int) throws -> [Float] { throw ZooError.unsupported("fake") }
    func decode(latents: UnsafeBufferPointer<Float>, batch: Int) throws -> [Float] { throw ZooError.unsupported("fake") }
}
