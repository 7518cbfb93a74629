import WeightFormat

/// Which of the three TiTok checkpoint kinds a model is.
public enum TiTokKind: String, Sendable, Codable, CaseIterable {
    /// Two-stage: VQ (L2-normalised codebook) + ViT decoder to 1024 logits + MaskGIT-VQGAN pixel decoder.
    case legacyVQ = "legacy_vq"
    /// Single-stage VQ with an RGB head.
    case vq = "vq"
    /// Diagonal-Gaussian VAE with an RGB head.
    case vae = "vae"
}

/// Width, depth and heads of one ViT (encoder or decoder).
public struct ViTSize: Sendable, Codable, Equatable {
    public var width: Int
    public var layers: Int
    public var heads: Int
    public init(width: Int, layers: Int, heads: Int) { self.width = width; self.layers = layers; self.heads = heads }

    public static let small = ViTSize(width: 512, layers: 8, heads: 8)
    public static let base = ViTSize(width: 768, layers: 12, heads: 12)
    public static let large = ViTSize(width: 1024, layers: 24, heads: 16)

    /// "small" / "base" / "large" (the reference's `vit_*_model_size`).
    public static func named(_ name: String) -> ViTSize? {
        switch name.lowercased() {
        case "small", "s": return .small
        case "base", "b": return .base
        case "large", "l": return .large
        default: return nil
        }
    }
}

/// The full architecture of one TiTok model: everything needed to build it and check a
/// checkpoint's tensor shapes. Stored as the `config` object of a weight file's metadata.
public struct TiTokConfig: Sendable, Codable, Equatable {
    public var kind: TiTokKind
    /// Input/output image side R (256, 512, ...).
    public var resolution: Int
    /// Patch size P (16).
    public var patchSize: Int
    /// N latent tokens.
    public var numTokens: Int
    /// VQ codebook size (0 for VAE).
    public var codebookSize: Int
    /// C: codebook dimension / VAE latent channels.
    public var tokenSize: Int
    public var useL2Norm: Bool
    public var encoder: ViTSize
    public var decoder: ViTSize
    /// Legacy only: MaskGIT-VQGAN decoder hidden channels h (128 released) and z channels Z (256).
    public var pixelHiddenChannels: Int
    public var pixelZChannels: Int
    /// Legacy only: size of the MaskGIT-VQGAN pixel codebook (1024).
    public var pixelCodebookSize: Int

    public init(kind: TiTokKind, resolution: Int, patchSize: Int = 16, numTokens: Int, codebookSize: Int,
                tokenSize: Int, useL2Norm: Bool, encoder: ViTSize, decoder: ViTSize,
                pixelHiddenChannels: Int = 128, pixelZChannels: Int = 256, pixelCodebookSize: Int = 1024) {
        self.kind = kind; self.resolution = resolution; self.patchSize = patchSize
        self.numTokens = numTokens; self.codebookSize = codebookSize; self.tokenSize = tokenSize
        self.useL2Norm = useL2Norm; self.encoder = encoder; self.decoder = decoder
        self.pixelHiddenChannels = pixelHiddenChannels; self.pixelZChannels = pixelZChannels
        self.pixelCodebookSize = pixelCodebookSize
    }

    enum CodingKeys: String, CodingKey {
        case kind, resolution
        case patchSize = "patch_size"
        case numTokens = "num_tokens"
        case codebookSize = "codebook_size"
        case tokenSize = "token_size"
        case useL2Norm = "use_l2_norm"
        case encoder, decoder
        case pixelHiddenChannels = "pixel_hidden_channels"
        case pixelZChannels = "pixel_z_channels"
        case pixelCodebookSize = "pixel_codebook_size"
    }

    /// g = R / P: patches per side.
    public var gridSide: Int { resolution / patchSize }
    /// G = g * g patches.
    public var numPatches: Int { gridSide * gridSide }
    /// C': encoder output channels (2C for VAE).
    public var preQuantChannels: Int { kind == .vae ? 2 * tokenSize : tokenSize }
    public var isVAE: Bool { kind == .vae }

    /// The config as the metadata JSON object.
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "kind": .string(kind.rawValue),
            "resolution": .number(Double(resolution)),
            "patch_size": .number(Double(patchSize)),
            "num_tokens": .number(Double(numTokens)),
            "codebook_size": .number(Double(codebookSize)),
            "token_size": .number(Double(tokenSize)),
            "use_l2_norm": .bool(useL2Norm),
            "encoder": .object(["width": .number(Double(encoder.width)), "layers": .number(Double(encoder.layers)), "heads": .number(Double(encoder.heads))]),
            "decoder": .object(["width": .number(Double(decoder.width)), "layers": .number(Double(decoder.layers)), "heads": .number(Double(decoder.heads))]),
        ]
        if kind == .legacyVQ {
            o["pixel_hidden_channels"] = .number(Double(pixelHiddenChannels))
            o["pixel_z_channels"] = .number(Double(pixelZChannels))
            o["pixel_codebook_size"] = .number(Double(pixelCodebookSize))
        }
        return .object(o)
    }

    /// Reads a config from metadata JSON; the error names the missing or bad key.
    public init(json: JSONValue) throws {
        func int(_ k: String) throws -> Int {
            guard let v = json[k]?.intValue else { throw TiTokConfigError.badKey(k) }
            return v
        }
        func size(_ k: String) throws -> ViTSize {
            guard let o = json[k], let w = o["width"]?.intValue, let l = o["layers"]?.intValue, let h = o["heads"]?.intValue
            else { throw TiTokConfigError.badKey(k) }
            return ViTSize(width: w, layers: l, heads: h)
        }
        guard let k = json["kind"]?.stringValue, let kind = TiTokKind(rawValue: k) else { throw TiTokConfigError.badKey("kind") }
        self.init(kind: kind, resolution: try int("resolution"), patchSize: try int("patch_size"),
                  numTokens: try int("num_tokens"), codebookSize: try int("codebook_size"),
                  tokenSize: try int("token_size"), useL2Norm: json["use_l2_norm"]?.boolValue ?? (kind == .legacyVQ),
                  encoder: try size("encoder"), decoder: try size("decoder"),
                  pixelHiddenChannels: json["pixel_hidden_channels"]?.intValue ?? 128,
                  pixelZChannels: json["pixel_z_channels"]?.intValue ?? 256,
                  pixelCodebookSize: json["pixel_codebook_size"]?.intValue ?? 1024)
        try validate()
    }

    /// Checks the numbers are positive and consistent (heads divide widths, patches tile R).
    public func validate() throws {
        // Bounds first, so no size derived from a (possibly hostile) config can overflow.
        let limits: [(String, Int, ClosedRange<Int>)] = [
            ("resolution", resolution, 1...16384), ("patch_size", patchSize, 1...256), ("num_tokens", numTokens, 1...16384),
            ("codebook_size", codebookSize, 0...(1 << 24)), ("token_size", tokenSize, 1...65536),
            ("encoder.width", encoder.width, 1...65536), ("encoder.layers", encoder.layers, 0...1024), ("encoder.heads", encoder.heads, 1...4096),
            ("decoder.width", decoder.width, 1...65536), ("decoder.layers", decoder.layers, 0...1024), ("decoder.heads", decoder.heads, 1...4096),
            ("pixel_hidden_channels", pixelHiddenChannels, 1...16384), ("pixel_z_channels", pixelZChannels, 1...65536),
            ("pixel_codebook_size", pixelCodebookSize, 1...(1 << 20)),
        ]
        for (name, value, range) in limits where !range.contains(value) {
            throw TiTokConfigError.inconsistent("\(name) \(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        guard resolution > 0, patchSize > 0, resolution % patchSize == 0 else {
            throw TiTokConfigError.inconsistent("resolution \(resolution) is not a multiple of patch size \(patchSize)")
        }
        guard numTokens > 0, tokenSize > 0 else { throw TiTokConfigError.inconsistent("num_tokens and token_size must be positive") }
        for (side, s) in [("encoder", encoder), ("decoder", decoder)] {
            guard s.width > 0, s.layers >= 0, s.heads > 0, s.width % s.heads == 0 else {
                throw TiTokConfigError.inconsistent("\(side) width \(s.width) is not divisible by \(s.heads) heads")
            }
        }
        if kind != .vae, codebookSize <= 0 { throw TiTokConfigError.inconsistent("a VQ model needs codebook_size > 0") }
        if kind == .legacyVQ, pixelHiddenChannels % 32 != 0 {
            throw TiTokConfigError.inconsistent("pixel_hidden_channels \(pixelHiddenChannels) is not a multiple of 32 (GroupNorm groups)")
        }
    }
}

/// A config that cannot describe a TiTok model.
public enum TiTokConfigError: Error, CustomStringConvertible, Equatable {
    case badKey(String)
    case inconsistent(String)
    public var description: String {
        switch self {
        case .badKey(let k): return "TiTok config: key '\(k)' is missing or has the wrong type"
        case .inconsistent(let m): return "TiTok config: \(m)"
        }
    }
}
