import Kernels
import WeightFormat

/// The ViT encoder: pixels [B, 3, R, R] -> pre-quantization latents z [B, C', N].
struct TiTokEncoder: @unchecked Sendable {
    let config: TiTokConfig
    let patchW, patchB, classEmb, posEmb, latentTokens, latentPos, lnPreW, lnPreB, lnPostW, lnPostB, convW, convB: Float32Tensor
    let stack: TransformerStack
    /// The input-independent rows 1+G..<1+G+N: latent tokens + their positional embedding, after ln_pre.
    let latentRows: InputIndependentRows

    init(_ w: CheckedWeights, config c: TiTokConfig) throws {
        config = c
        patchW = try w("encoder.patch_embed.weight"); patchB = try w("encoder.patch_embed.bias")
        classEmb = try w("encoder.class_embedding"); posEmb = try w("encoder.positional_embedding")
        latentTokens = try w("latent_tokens"); latentPos = try w("encoder.latent_token_positional_embedding")
        lnPreW = try w("encoder.ln_pre.weight"); lnPreB = try w("encoder.ln_pre.bias")
        lnPostW = try w("encoder.ln_post.weight"); lnPostB = try w("encoder.ln_post.bias")
        convW = try w("encoder.conv_out.weight"); convB = try w("encoder.conv_out.bias")
        stack = try TransformerStack(w, prefix: "encoder", size: c.encoder)
        let width = c.encoder.width, n = c.numTokens, first = 1 + c.numPatches
        var rows = [Float](repeating: 0, count: n * width)
        let tokens = latentTokens, positions = latentPos
        withExtendedLifetime((tokens, positions)) {
            let lt = tokens.baseAddress, lp = positions.baseAddress
            for i in 0..<(n * width) { rows[i] = lt[i] + lp[i] }
        }
        TransformerStack.normalize(&rows, width: width, weight: lnPreW, bias: lnPreB)
        latentRows = InputIndependentRows(range: first..<(first + n), values: rows)
    }

    /// `pixels` holds batch * 3 * R * R values; returns [B, C', N] (images split over the
    /// threads as `ImageBatch` says).
    func encode(_ pixels: UnsafePointer<Float>, batch: Int) -> [Float] {
        ImageBatch.map(batch: batch, input: pixels, inputPerImage: 3 * config.resolution * config.resolution,
                       outputPerImage: config.preQuantChannels * config.numTokens) { encodeImages($0, batch: $1) }
    }

    /// The encoder over `batch` images (`ImageBatch` hands it one at a time).
    private func encodeImages(_ pixels: UnsafePointer<Float>, batch: Int) -> [Float] {
        let c = config, w = c.encoder.width, p = c.patchSize, g = c.gridSide, gg = c.numPatches
        let n = c.numTokens, r = c.resolution, t = 1 + gg + n, pp3 = 3 * p * p
        let seq = AlignedFloats.allocate(batch * t * w), patches = AlignedFloats.allocate(gg * pp3)
        defer { AlignedFloats.free(seq); AlignedFloats.free(patches) }
        for b in 0..<batch {
            let img = pixels + b * 3 * r * r
            // Patch vectors ordered (channel, row in patch, column in patch), as the conv weight.
            Parallel.forEach(gg) { idx in
                let py = idx / g, px = idx % g
                let dst = patches + idx * pp3
                for ch in 0..<3 {
                    for y in 0..<p {
                        (dst + (ch * p + y) * p).update(from: img + ch * r * r + (py * p + y) * r + px * p, count: p)
                    }
                }
            }
            let s = seq + b * t * w
            Dense.linear(patches, rows: gg, inFeatures: pp3, weight: patchW.baseAddress, bias: patchB.baseAddress,
                         outFeatures: w, into: s + w)
            let pos = posEmb.baseAddress, cls = classEmb.baseAddress
            for j in 0..<w { s[j] = cls[j] + pos[j] }
            for i in 1...gg { let row = s + i * w, pr = pos + i * w; for j in 0..<w { row[j] += pr[j] } }
            LayerNorm.apply(s, rows: 1 + gg, width: w, weight: lnPreW.baseAddress, bias: lnPreB.baseAddress,
                            eps: TransformerStack.layerNormEps, into: s)
            latentRows.values.withUnsafeBufferPointer { (s + (1 + gg) * w).update(from: $0.baseAddress!, count: n * w) }
        }
        stack.forward(seq, batch: batch, tokens: t, keep: (t - n)..<t, constant: latentRows)
        LayerNorm.apply(seq, rows: batch * n, width: w, weight: lnPostW.baseAddress, bias: lnPostB.baseAddress,
                        eps: TransformerStack.layerNormEps, into: seq)
        // Projection to C' channels: out[c, n].
        let cp = c.preQuantChannels
        var z = [Float](repeating: 0, count: batch * cp * n)
        z.withUnsafeMutableBufferPointer { zb in
            for b in 0..<batch {
                let x = seq + b * n * w, out = zb.baseAddress! + b * cp * n
                for ci in 0..<cp { for j in 0..<n { out[ci * n + j] = convB.baseAddress[ci] } }
                if c.kind == .legacyVQ {
                    // The reference reshapes the row-major [N, W] buffer to [W, N] (no transpose).
                    Dense.gemm(m: cp, n: n, k: w, a: convW.baseAddress, lda: w, b: x, ldb: n, beta: 1, c: out, ldc: n)
                } else {
                    Dense.gemm(transB: true, m: cp, n: n, k: w, a: convW.baseAddress, lda: w, b: x, ldb: w, beta: 1, c: out, ldc: n)
                }
            }
        }
        return z
    }
}
