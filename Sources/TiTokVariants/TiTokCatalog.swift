import ModelZoo

/// The registered TiTok variants: the S/B/L x 32/64/128 legacy grid at 256 and 512, and the
/// released single-stage VQ and VAE models; configs, hub repos and costs.
public enum TiTokCatalog {
    struct Entry {
        let name: String
        let kind: TiTokKind
        let encoder: ViTSize, decoder: ViTSize
        let tokens: Int
        let resolutions: [Int]
        let hub: [Int: String]
        let summary: String
    }

    static let sizes: [(letter: String, size: ViTSize, word: String)] = [("S", .small, "ViT-S"), ("B", .base, "ViT-B"), ("L", .large, "ViT-L")]

    static let entries: [Entry] = {
        var out: [Entry] = []
        let released = ["L-32": "yucornetto/tokenizer_titok_l32_imagenet", "B-64": "yucornetto/tokenizer_titok_b64_imagenet",
                        "S-128": "yucornetto/tokenizer_titok_s128_imagenet"]
        for (letter, size, word) in sizes {
            for n in [32, 64, 128] {
                let key = "\(letter)-\(n)"
                out.append(Entry(name: "TiTok-\(key)", kind: .legacyVQ, encoder: size, decoder: size, tokens: n,
                                 resolutions: [256, 512], hub: released[key].map { [256: $0] } ?? [:],
                                 summary: "\(word) encoder/decoder, \(n) tokens, two-stage VQ (4096 codes) + MaskGIT-VQGAN pixel decoder"))
            }
        }
        func single(_ enc: String, _ dec: String, _ n: Int, _ kind: TiTokKind, _ repo: String) -> Entry {
            let e = ViTSize.named(enc)!, d = ViTSize.named(dec)!
            let suffix = kind == .vae ? "VAE" : "VQ"
            let what = kind == .vae ? "VAE (16 channels)" : "single-stage VQ (8192 codes)"
            return Entry(name: "TiTok-\(enc)\(dec)-\(n)-\(suffix)", kind: kind, encoder: e, decoder: d, tokens: n,
                         resolutions: [256], hub: [256: repo],
                         summary: "ViT-\(enc) encoder, ViT-\(dec) decoder, \(n) tokens, \(what), RGB head")
        }
        out += [single("B", "L", 64, .vq, "yucornetto/tokenizer_titok_bl64_vq8k_imagenet"),
                single("B", "L", 128, .vq, "yucornetto/tokenizer_titok_bl128_vq8k_imagenet"),
                single("S", "L", 256, .vq, "yucornetto/tokenizer_titok_sl256_vq8k_imagenet"),
                single("L", "L", 32, .vae, "yucornetto/tokenizer_titok_ll32_vae_c16_imagenet"),
                single("B", "L", 64, .vae, "yucornetto/tokenizer_titok_bl64_vae_c16_imagenet"),
                single("B", "L", 128, .vae, "yucornetto/tokenizer_titok_bl128_vae_c16_imagenet")]
        return out
    }()

    static func config(_ e: Entry, resolution: Int) -> TiTokConfig {
        switch e.kind {
        case .legacyVQ:
            return TiTokConfig(kind: .legacyVQ, resolution: resolution, numTokens: e.tokens, codebookSize: 4096, tokenSize: 12,
                               useL2Norm: true, encoder: e.encoder, decoder: e.decoder)
        case .vq:
            return TiTokConfig(kind: .vq, resolution: resolution, numTokens: e.tokens, codebookSize: 8192, tokenSize: 64,
                               useL2Norm: false, encoder: e.encoder, decoder: e.decoder)
        case .vae:
            return TiTokConfig(kind: .vae, resolution: resolution, numTokens: e.tokens, codebookSize: 0, tokenSize: 16,
                               useL2Norm: false, encoder: e.encoder, decoder: e.decoder)
        }
    }

    static func entry(_ name: String) -> Entry? { entries.first { $0.name.lowercased() == name.lowercased() } }

    /// The registry entries.
    public static var variants: [VariantInfo] {
        entries.map { e in
            var costs: [Int: VariantCost] = [:]
            for r in e.resolutions {
                let c = config(e, resolution: r)
                costs[r] = VariantCost(parameters: TiTokTensorLayout.parameterCount(c),
                                       encodeGFLOPs: TiTokCost.encodeFLOPs(c) / 1e9, decodeGFLOPs: TiTokCost.decodeFLOPs(c) / 1e9)
            }
            let c0 = config(e, resolution: e.resolutions[0])
            return VariantInfo(name: e.name, family: "titok", kind: .tokenizer, resolutions: e.resolutions, numTokens: e.tokens,
                               codebookSize: c0.kind == .vae ? 0 : c0.codebookSize, tokenDim: c0.tokenSize, isVAE: c0.kind == .vae,
                               summary: e.summary, hubRepos: e.hub, costs: costs)
        }
    }

    /// The config of a registered variant at a resolution.
    public static func config(variant: String, resolution: Int) throws -> TiTokConfig {
        guard let e = entry(variant) else {
            throw ZooError.unknownVariant(variant, suggestions: NameSuggestions.closest(to: variant, among: entries.map(\.name)))
        }
        guard e.resolutions.contains(resolution) else {
            throw ZooError.unsupportedResolution(variant: e.name, resolution: resolution, supported: e.resolutions)
        }
        return config(e, resolution: resolution)
    }

    /// The canonical registry name of a config, when it matches a registered variant.
    public static func registeredName(for c: TiTokConfig) -> String? {
        entries.first { e in e.resolutions.contains(c.resolution) && config(e, resolution: c.resolution) == c }?.name
    }
}

/// FLOPs (2 per multiply-add) of the matrix products and convolutions of one image.
public enum TiTokCost {
    static func vit(_ s: ViTSize, tokens t: Int, queryRowsLastLayer q: Int? = nil) -> Double {
        let w = Double(s.width), tt = Double(t)
        var total = 0.0
        for i in 0..<s.layers {
            let rows = (i == s.layers - 1 ? q.map(Double.init) : nil) ?? tt
            total += 2 * tt * w * 3 * w          // qkv projections
            total += 2 * 2 * rows * tt * w       // scores and weighted values
            total += 2 * rows * w * w + 2 * 2 * rows * w * 4 * w  // out projection + MLP
        }
        return total
    }

    public static func encodeFLOPs(_ c: TiTokConfig) -> Double {
        let g = Double(c.numPatches), w = Double(c.encoder.width), p = Double(c.patchSize)
        return 2 * g * w * 3 * p * p + vit(c.encoder, tokens: c.numPatches + 1 + c.numTokens)
            + 2 * Double(c.numTokens) * w * Double(c.preQuantChannels)
    }

    public static func decodeFLOPs(_ c: TiTokConfig) -> Double {
        let g = Double(c.numPatches), w = Double(c.decoder.width), n = Double(c.numTokens)
        var total = 2 * n * Double(c.tokenSize) * w + vit(c.decoder, tokens: c.numPatches + 1 + c.numTokens)
        switch c.kind {
        case .legacyVQ:
            let k = Double(c.pixelCodebookSize)
            total += 2 * g * w * 2 * w + 2 * g * 2 * w * k + 2 * g * k * Double(c.pixelZChannels)
            total += pixelDecoderFLOPs(c)
        case .vq, .vae:
            let p = Double(c.patchSize), r = Double(c.resolution)
            total += 2 * g * w * p * p * 3 + 2 * 9 * 3 * 3 * r * r
        }
        return total
    }

    /// The MaskGIT-VQGAN decoder's convolutions.
    public static func pixelDecoderFLOPs(_ c: TiTokConfig) -> Double {
        let h = c.pixelHiddenChannels
        var side = Double(c.gridSide)
        func conv(_ cin: Int, _ cout: Int, _ k: Double) -> Double { 2 * k * k * Double(cin) * Double(cout) * side * side }
        func block(_ cin: Int, _ cout: Int) -> Double { conv(cin, cout, 3) + conv(cout, cout, 3) + (cin != cout ? conv(cout, cout, 1) : 0) }
        let top = h * PixelDecoderLayout.channelMultipliers.last!
        var total = conv(c.pixelZChannels, top, 3) + 2 * block(top, top)
        for i in stride(from: PixelDecoderLayout.channelMultipliers.count - 1, through: 0, by: -1) {
            let (cin, cout) = PixelDecoderLayout.levelChannels(i, hidden: h)
            total += block(cin, cout) + block(cout, cout)
            if i != 0 { side *= 2; total += conv(cout, cout, 3) }
        }
        return total + conv(h, 3, 3)
    }
}
