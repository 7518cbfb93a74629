import ModelZoo

/// The registered MaskGIT generators of the paper: network sizes, paired tokenizer, sampling defaults.
public enum MaskGITVariants {
    /// One registered generator.
    public struct Entry: Sendable {
        public let name: String
        public let config: MaskGITConfig
        public let hubRepo: String
        public let gFID: Double
    }

    /// Generators are trained on 256x256 ImageNet only.
    public static let resolution = 256

    public static let all: [Entry] = [
        Entry(name: "MaskGIT-TiTok-L-32",
              config: vit(tokens: 32, tokenizer: "TiTok-L-32",
                          sampling: GenerationParams(steps: 8, guidanceScale: 4.5, guidanceDecay: .linear,
                                                     randomizeTemperature: 9.5, softmaxTemperatureAnnealing: true)),
              hubRepo: "yucornetto/generator_titok_l32_imagenet", gFID: 2.77),
        Entry(name: "MaskGIT-TiTok-B-64",
              config: vit(tokens: 64, tokenizer: "TiTok-B-64",
                          sampling: GenerationParams(steps: 8, guidanceScale: 3.0, guidanceDecay: .linear,
                                                     randomizeTemperature: 11.0, softmaxTemperatureAnnealing: true)),
              hubRepo: "yucornetto/generator_titok_b64_imagenet", gFID: 2.48),
        Entry(name: "MaskGIT-TiTok-S-128",
              config: MaskGITConfig(kind: .uvit, numTokens: 128, codebookSize: 4096, numClasses: 1000, hidden: 1024,
                                    layers: 20, heads: 16, intermediate: 4096, tokenizerVariant: "TiTok-S-128",
                                    sampling: GenerationParams(steps: 64, guidanceScale: 6.9, guidanceDecay: .powerCosine,
                                                               randomizeTemperature: 2.8, softmaxTemperatureAnnealing: true)),
              hubRepo: "yucornetto/generator_titok_s128_imagenet", gFID: 1.97),
    ]

    private static func vit(tokens: Int, tokenizer: String, sampling: GenerationParams) -> MaskGITConfig {
        MaskGITConfig(kind: .vit, numTokens: tokens, codebookSize: 4096, numClasses: 1000, hidden: 768, layers: 24,
                      heads: 16, intermediate: 3072, tokenizerVariant: tokenizer, sampling: sampling)
    }

    /// The registered entry with this name (case-insensitive).
    public static func entry(named name: String) -> Entry? {
        all.first { $0.name.lowercased() == name.lowercased() }
    }

    /// The registry's view of an entry. For generators `VariantCost.encodeGFLOPs` holds the GFLOPs of
    /// one network pass over one sequence (a guided step runs two), `decodeGFLOPs` is 0.
    static func info(_ e: Entry) -> VariantInfo {
        let c = e.config
        let kind = c.kind == .vit ? "ViT/BERT" : "UViT"
        return VariantInfo(
            name: e.name, family: MaskGITFamily.familyName, kind: .generator, resolutions: [resolution],
            numTokens: c.numTokens, codebookSize: c.codebookSize, tokenDim: 0, isVAE: false,
            summary: "MaskGIT \(kind) generator (\(c.layers) layers, width \(c.hidden)) for \(c.tokenizerVariant ?? "?"), ImageNet gFID \(e.gFID)",
            hubRepos: [resolution: e.hubRepo],
            costs: [resolution: VariantCost(parameters: c.parameterCount, encodeGFLOPs: c.forwardGFLOPs, decodeGFLOPs: 0)],
            pairedTokenizer: c.tokenizerVariant)
    }
}
