import Kernels
import ModelZoo
import WeightFormat

/// Every tensor a TiTok checkpoint holds for a config, with its shape (reference key names).
/// The single source of truth for load-time shape checks, random weights and parameter counts.
public enum TiTokTensorLayout {
    public static func expectedShapes(_ c: TiTokConfig) -> [(name: String, shape: [Int])] {
        var out: [(String, [Int])] = []
        let p = c.patchSize, g2 = c.numPatches, n = c.numTokens
        let we = c.encoder.width, wd = c.decoder.width
        func vit(_ prefix: String, _ s: ViTSize) {
            let w = s.width
            out += [("\(prefix).ln_pre.weight", [w]), ("\(prefix).ln_pre.bias", [w]),
                    ("\(prefix).ln_post.weight", [w]), ("\(prefix).ln_post.bias", [w])]
            for i in 0..<s.layers {
                let b = "\(prefix).transformer.\(i)"
                out += [("\(b).ln_1.weight", [w]), ("\(b).ln_1.bias", [w]),
                        ("\(b).attn.in_proj_weight", [3 * w, w]), ("\(b).attn.in_proj_bias", [3 * w]),
                        ("\(b).attn.out_proj.weight", [w, w]), ("\(b).attn.out_proj.bias", [w]),
                        ("\(b).ln_2.weight", [w]), ("\(b).ln_2.bias", [w]),
                        ("\(b).mlp.c_fc.weight", [4 * w, w]), ("\(b).mlp.c_fc.bias", [4 * w]),
                        ("\(b).mlp.c_proj.weight", [w, 4 * w]), ("\(b).mlp.c_proj.bias", [w])]
            }
        }
        out += [("latent_tokens", [n, we]),
                ("encoder.class_embedding", [1, we]), ("encoder.positional_embedding", [g2 + 1, we]),
                ("encoder.latent_token_positional_embedding", [n, we]),
                ("encoder.patch_embed.weight", [we, 3, p, p]), ("encoder.patch_embed.bias", [we]),
                ("encoder.conv_out.weight", [c.preQuantChannels, we, 1, 1]), ("encoder.conv_out.bias", [c.preQuantChannels])]
        vit("encoder", c.encoder)
        out += [("decoder.class_embedding", [1, wd]), ("decoder.positional_embedding", [g2 + 1, wd]),
                ("decoder.mask_token", [1, 1, wd]), ("decoder.latent_token_positional_embedding", [n, wd]),
                ("decoder.decoder_embed.weight", [wd, c.tokenSize]), ("decoder.decoder_embed.bias", [wd])]
        vit("decoder", c.decoder)
        if c.kind != .vae { out.append(("quantize.embedding.weight", [c.codebookSize, c.tokenSize])) }
        switch c.kind {
        case .legacyVQ:
            out += [("decoder.ffn.0.weight", [2 * wd, wd, 1, 1]), ("decoder.ffn.0.bias", [2 * wd]),
                    ("decoder.ffn.2.weight", [c.pixelCodebookSize, 2 * wd, 1, 1]), ("decoder.ffn.2.bias", [c.pixelCodebookSize]),
                    ("pixel_quantize.embedding.weight", [c.pixelCodebookSize, c.pixelZChannels])]
            out += PixelDecoderLayout.shapes(hidden: c.pixelHiddenChannels, zChannels: c.pixelZChannels)
        case .vq, .vae:
            out += [("decoder.ffn.0.weight", [p * p * 3, wd, 1, 1]), ("decoder.ffn.0.bias", [p * p * 3]),
                    ("decoder.conv_out.weight", [3, 3, 3, 3]), ("decoder.conv_out.bias", [3])]
        }
        return out
    }

    /// Whether the model reads `name` as a Linear weight (`CheckedWeights.linear`): the tensors a
    /// converter stores as `strips16` so the AVX2 kernel uses them straight from the map.
    public static func isLinearWeight(_ name: String) -> Bool {
        name.hasSuffix(".attn.in_proj_weight") || name.hasSuffix(".attn.out_proj.weight")
            || name.hasSuffix(".mlp.c_fc.weight") || name.hasSuffix(".mlp.c_proj.weight")
            || name == "decoder.ffn.0.weight" || name == "decoder.ffn.2.weight"
    }

    /// Total parameter count of a config.
    public static func parameterCount(_ c: TiTokConfig) -> Int {
        expectedShapes(c).reduce(0) { $0 + $1.shape.reduce(1, *) }
    }
}

/// The MaskGIT-VQGAN pixel decoder's structure: channel multipliers and per-level channels.
public enum PixelDecoderLayout {
    public static let channelMultipliers = [1, 1, 2, 2, 4]
    public static let blocksPerLevel = 2

    /// (in, out) channels of level i's first block.
    public static func levelChannels(_ i: Int, hidden h: Int) -> (input: Int, output: Int) {
        let m = channelMultipliers
        return (i == m.count - 1 ? h * m[m.count - 1] : h * m[i + 1], h * m[i])
    }

    static func shapes(hidden h: Int, zChannels z: Int) -> [(String, [Int])] {
        var out: [(String, [Int])] = []
        let top = h * channelMultipliers.last!
        func block(_ name: String, _ cin: Int, _ cout: Int) {
            out += [("\(name).norm1.weight", [cin]), ("\(name).norm1.bias", [cin]),
                    ("\(name).conv1.weight", [cout, cin, 3, 3]),
                    ("\(name).norm2.weight", [cout]), ("\(name).norm2.bias", [cout]),
                    ("\(name).conv2.weight", [cout, cout, 3, 3])]
            if cin != cout { out.append(("\(name).nin_shortcut.weight", [cout, cout, 1, 1])) }
        }
        out += [("pixel_decoder.conv_in.weight", [top, z, 3, 3]), ("pixel_decoder.conv_in.bias", [top])]
        block("pixel_decoder.mid.0", top, top)
        block("pixel_decoder.mid.1", top, top)
        for i in stride(from: channelMultipliers.count - 1, through: 0, by: -1) {
            let (cin, cout) = levelChannels(i, hidden: h)
            block("pixel_decoder.up.\(i).block.0", cin, cout)
            block("pixel_decoder.up.\(i).block.1", cout, cout)
            if i != 0 {
                out += [("pixel_decoder.up.\(i).upsample_conv.weight", [cout, cout, 3, 3]),
                        ("pixel_decoder.up.\(i).upsample_conv.bias", [cout])]
            }
        }
        out += [("pixel_decoder.norm_out.weight", [h]), ("pixel_decoder.norm_out.bias", [h]),
                ("pixel_decoder.conv_out.weight", [3, h, 3, 3]), ("pixel_decoder.conv_out.bias", [3])]
        return out
    }
}

/// Fetches tensors with the shape the config expects; every expected tensor is checked up
/// front, so a mismatch names the tensor before any layer is built.
struct CheckedWeights {
    let tensors: TensorProvider
    let expected: [String: [Int]]

    init(_ tensors: TensorProvider, config: TiTokConfig) throws {
        self.tensors = tensors
        var e: [String: [Int]] = [:]
        for (name, shape) in TiTokTensorLayout.expectedShapes(config) { e[name] = shape }
        expected = e
        for (name, shape) in e.sorted(by: { $0.key < $1.key }) { try tensors.checkShape(name, shape) }
    }

    func callAsFunction(_ name: String) throws -> Float32Tensor {
        guard let shape = expected[name] else {
            throw ZooError.incompatibleWeights("tensor '\(name)' is not part of this architecture")
        }
        return try tensors.checkedFloat32(name, shape: shape)
    }

    /// A raw 16-bit (or f64, or f32 not stored row-major) file tensor of the expected shape, to be
    /// read as float32 where it is used (no copy at open); nil for raw row-major f32, compressed
    /// tensors and other providers.
    func deferred(_ name: String) -> DeferredFloat32Tensor? {
        guard let file = tensors as? WeightFile, let tensor = file.deferredFloat32(name),
              tensor.shape == expected[name] else { return nil }
        return tensor
    }

    /// A Linear weight [out, in] (or a 1x1 convolution's [out, in, 1, 1]) for
    /// `Dense.linear(_:rows:weight:...)`, read as `TensorProvider.packedLinearWeight` reads it.
    func linear(_ name: String) throws -> PackedLinearWeight {
        guard let shape = expected[name] else {
            throw ZooError.incompatibleWeights("tensor '\(name)' is not part of this architecture")
        }
        assert(TiTokTensorLayout.isLinearWeight(name), "'\(name)' is read as a Linear weight but not listed in isLinearWeight")
        return try tensors.packedLinearWeight(name, shape: shape)
    }

    /// Gives back `tensor`'s memory-mapped pages when it lies in a weight file's map (raw f32 used
    /// in place), for a caller that keeps its own copy; nil for other providers.
    func releaseResidentPages(of tensor: Float32Tensor) -> (@Sendable () -> Void)? {
        guard let file = tensors as? WeightFile else { return nil }
        return { @Sendable in file.releaseResidentPages(of: tensor) }
    }
}
