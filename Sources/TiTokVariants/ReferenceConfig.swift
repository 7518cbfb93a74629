import ModelZoo
import WeightFormat

extension TiTokConfig {
    /// Maps a reference training config (`config.json` on the hub: `model.vq_model.*`,
    /// `dataset.preprocessing.crop_size`) plus the checkpoint's tensor shapes to a config.
    /// Values missing from the config are read off the shapes; contradictions are errors.
    public init(referenceConfig json: JSONValue, tensors: TensorProvider) throws {
        guard let vq = json.at("model.vq_model") else { throw TiTokConfigError.badKey("model.vq_model") }
        func shape(_ name: String) throws -> [Int] {
            guard let s = tensors.shape(of: name) else { throw ZooError.incompatibleWeights("tensor '\(name)' is missing") }
            return s
        }
        let quantizeMode = vq["quantize_mode"]?.stringValue ?? "vq"
        let isLegacy = vq["is_legacy"]?.boolValue ?? true
        let kind: TiTokKind
        if quantizeMode == "vae" { kind = .vae }
        else if quantizeMode == "vq" { kind = isLegacy ? .legacyVQ : .vq }
        else { throw TiTokConfigError.inconsistent("unknown quantize_mode '\(quantizeMode)'") }
        if kind == .legacyVQ, vq["finetune_decoder"]?.boolValue == false {
            throw ZooError.unsupported("a legacy stage-1 checkpoint (finetune_decoder: false) has no pixel decoder; only fine-tuned checkpoints are supported")
        }

        func size(_ side: String) throws -> ViTSize {
            let name = vq["vit_\(side)_model_size"]?.stringValue ?? "large"
            if let s = ViTSize.named(name) { return s }
            guard name == "custom", let w = vq["vit_\(side)_width"]?.intValue, let l = vq["vit_\(side)_num_layers"]?.intValue,
                  let h = vq["vit_\(side)_num_heads"]?.intValue
            else { throw TiTokConfigError.badKey("model.vq_model.vit_\(side)_model_size") }
            return ViTSize(width: w, layers: l, heads: h)
        }
        let enc = try size("enc"), dec = try size("dec")
        let patch = vq["vit_enc_patch_size"]?.intValue ?? 16
        let pos = try shape("encoder.positional_embedding")
        let grid = Int(Double(max(pos[0] - 1, 0)).squareRoot().rounded())
        let resolution = json.at("dataset.preprocessing.crop_size")?.intValue ?? grid * patch
        let latent = try shape("latent_tokens")
        let tokens = vq["num_latent_tokens"]?.intValue ?? latent[0]
        let tokenSize = vq["token_size"]?.intValue ?? 12
        let codebook = kind == .vae ? 0 : (vq["codebook_size"]?.intValue ?? 4096)
        var pixelHidden = vq["pixel_hidden_channels"]?.intValue ?? 128
        var pixelZ = vq["pixel_z_channels"]?.intValue ?? 256
        if kind == .legacyVQ, vq["pixel_hidden_channels"] == nil, let s = tensors.shape(of: "pixel_decoder.conv_out.weight") { pixelHidden = s[1] }
        if kind == .legacyVQ, vq["pixel_z_channels"] == nil, let s = tensors.shape(of: "pixel_decoder.conv_in.weight") { pixelZ = s[1] }
        self.init(kind: kind, resolution: resolution, patchSize: patch, numTokens: tokens, codebookSize: codebook,
                  tokenSize: tokenSize, useL2Norm: vq["use_l2_norm"]?.boolValue ?? (kind == .legacyVQ),
                  encoder: enc, decoder: dec, pixelHiddenChannels: pixelHidden, pixelZChannels: pixelZ,
                  pixelCodebookSize: tensors.shape(of: "pixel_quantize.embedding.weight")?.first ?? 1024)
        try validate()
        _ = try CheckedWeights(tensors, config: self)
    }
}
