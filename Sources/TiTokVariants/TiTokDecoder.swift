import Kernels
import WeightFormat

/// The ViT decoder: latents [B, C, N] -> features of the G patch positions [B * G, W] (after ln_post).
struct TiTokDecoder: @unchecked Sendable {
    let config: TiTokConfig
    let embedW, embedB, latentPos, lnPreW, lnPreB, lnPostW, lnPostB: Float32Tensor
    let stack: TransformerStack
    /// The input-independent rows 0...G: [class; G mask tokens] + positional embedding, after ln_pre.
    let maskPart: InputIndependentRows

    init(_ w: CheckedWeights, config c: TiTokConfig) throws {
        config = c
        embedW = try w("decoder.decoder_embed.weight"); embedB = try w("decoder.decoder_embed.bias")
        latentPos = try w("decoder.latent_token_positional_embedding")
        lnPreW = try w("decoder.ln_pre.weight"); lnPreB = try w("decoder.ln_pre.bias")
        lnPostW = try w("decoder.ln_post.weight"); lnPostB = try w("decoder.ln_post.bias")
        stack = try TransformerStack(w, prefix: "decoder", size: c.decoder)
        let width = c.decoder.width, gg = c.numPatches
        // Keep the tensors (and so their storage) alive while reading them.
        let clsT = try w("decoder.class_embedding"), maskT = try w("decoder.mask_token")
        let posT = try w("decoder.positional_embedding")
        var part = [Float](repeating: 0, count: (gg + 1) * width)
        withExtendedLifetime((clsT, maskT, posT)) {
            let cls = clsT.buffer, mask = maskT.buffer, pos = posT.buffer
            for j in 0..<width { part[j] = cls[j] + pos[j] }
            for i in 1...gg { for j in 0..<width { part[i * width + j] = mask[j] + pos[i * width + j] } }
        }
        TransformerStack.normalize(&part, width: width, weight: lnPreW, bias: lnPreB)
        maskPart = InputIndependentRows(range: 0..<(gg + 1), values: part)
    }

    /// `latents` [B, C, N] (C = token size); returns the patch rows after ln_post, [B * G, W]
    /// (images split over the threads as `ImageBatch` says).
    func decode(_ latents: UnsafePointer<Float>, batch: Int) -> [Float] {
        ImageBatch.map(batch: batch, input: latents, inputPerImage: config.tokenSize * config.numTokens,
                       outputPerImage: config.numPatches * config.decoder.width) { decodeImages($0, batch: $1) }
    }

    /// The decoder ViT over `batch` images (`ImageBatch` hands it one at a time).
    private func decodeImages(_ latents: UnsafePointer<Float>, batch: Int) -> [Float] {
        let c = config, w = c.decoder.width, gg = c.numPatches, n = c.numTokens, ch = c.tokenSize
        let t = gg + 1 + n
        let seq = AlignedFloats.allocate(batch * t * w), rows = AlignedFloats.allocate(n * ch)
        defer { AlignedFloats.free(seq); AlignedFloats.free(rows) }
        for b in 0..<batch {
            let s = seq + b * t * w
            maskPart.values.withUnsafeBufferPointer { s.update(from: $0.baseAddress!, count: (gg + 1) * w) }
            let lat = latents + b * ch * n
            for j in 0..<n { for ci in 0..<ch { rows[j * ch + ci] = lat[ci * n + j] } }
            let dst = s + (gg + 1) * w
            Dense.linear(rows, rows: n, inFeatures: ch, weight: embedW.baseAddress, bias: embedB.baseAddress,
                         outFeatures: w, into: dst)
            let lp = latentPos.baseAddress
            for i in 0..<(n * w) { dst[i] += lp[i] }
            LayerNorm.apply(dst, rows: n, width: w, weight: lnPreW.baseAddress, bias: lnPreB.baseAddress,
                            eps: TransformerStack.layerNormEps, into: dst)
        }
        // Only the patch positions are read after the stack: its last block runs for them alone,
        // leaving them compacted as [batch * gg, W].
        stack.forward(seq, batch: batch, tokens: t, keep: 1..<(1 + gg), constant: maskPart)
        var out = [Float](repeating: 0, count: batch * gg * w)
        out.withUnsafeMutableBufferPointer { o in
            LayerNorm.apply(seq, rows: batch * gg, width: w, weight: lnPostW.baseAddress, bias: lnPostB.baseAddress,
                            eps: TransformerStack.layerNormEps, into: o.baseAddress!)
        }
        return out
    }
}

/// Legacy head: 1x1 conv W->2W, tanh, 1x1 conv 2W->1024 logits; softmax mix of the pixel codebook.
struct LegacyHead: @unchecked Sendable {
    let width: Int
    let classes: Int
    let zChannels: Int
    let b0, b2, pixelCodebook: Float32Tensor
    let w0, w2: PackedLinearWeight

    init(_ w: CheckedWeights, config c: TiTokConfig) throws {
        width = c.decoder.width; classes = c.pixelCodebookSize; zChannels = c.pixelZChannels
        w0 = try w.linear("decoder.ffn.0.weight"); b0 = try w("decoder.ffn.0.bias")
        w2 = try w.linear("decoder.ffn.2.weight"); b2 = try w("decoder.ffn.2.bias")
        pixelCodebook = try w("pixel_quantize.embedding.weight")
    }

    /// features [rows, W] -> logits [rows, 1024] (rows = B * G, position-major).
    func logits(_ features: [Float], rows: Int) -> [Float] {
        var hidden = [Float](repeating: 0, count: rows * 2 * width)
        var out = [Float](repeating: 0, count: rows * classes)
        features.withUnsafeBufferPointer { f in
            hidden.withUnsafeMutableBufferPointer { h in
                Dense.linear(f.baseAddress!, rows: rows, weight: w0, bias: b0.baseAddress, into: h.baseAddress!)
                Activations.tanh(h.baseAddress!, count: rows * 2 * width)
                out.withUnsafeMutableBufferPointer { o in
                    Dense.linear(h.baseAddress!, rows: rows, weight: w2, bias: b2.baseAddress, into: o.baseAddress!)
                }
            }
        }
        return out
    }

    /// logits [rows, 1024] -> softmax-weighted codebook mix [rows, Z].
    func mix(_ logits: [Float], rows: Int) -> [Float] {
        var p = logits
        var q = [Float](repeating: 0, count: rows * zChannels)
        p.withUnsafeMutableBufferPointer { pp in
            Activations.softmaxRows(pp.baseAddress!, rows: rows, width: classes)
            q.withUnsafeMutableBufferPointer { qp in
                Dense.gemm(m: rows, n: zChannels, k: classes, a: pp.baseAddress!, lda: classes,
                           b: pixelCodebook.baseAddress, ldb: zChannels, c: qp.baseAddress!, ldc: zChannels)
            }
        }
        return q
    }
}

/// Single-stage head: 1x1 conv W -> P*P*3, depth-to-space, 3x3 conv 3->3.
struct RGBHead: @unchecked Sendable {
    let config: TiTokConfig
    let b0, convW, convB: Float32Tensor
    let w0: PackedLinearWeight

    init(_ w: CheckedWeights, config c: TiTokConfig) throws {
        config = c
        w0 = try w.linear("decoder.ffn.0.weight"); b0 = try w("decoder.ffn.0.bias")
        convW = try w("decoder.conv_out.weight"); convB = try w("decoder.conv_out.bias")
    }

    /// features [B * G, W] -> pixels [B, 3, R, R].
    func pixels(_ features: [Float], batch: Int) -> [Float] {
        let c = config, p = c.patchSize, g = c.gridSide, gg = c.numPatches, r = c.resolution
        let outF = p * p * 3
        var patches = [Float](repeating: 0, count: batch * gg * outF)
        features.withUnsafeBufferPointer { f in
            patches.withUnsafeMutableBufferPointer { pt in
                Dense.linear(f.baseAddress!, rows: batch * gg, weight: w0, bias: b0.baseAddress, into: pt.baseAddress!)
            }
        }
        var image = [Float](repeating: 0, count: 3 * r * r)
        var out = [Float](repeating: 0, count: batch * 3 * r * r)
        for b in 0..<batch {
            for idx in 0..<gg {
                let row = idx / g, col = idx % g
                let src = b * gg * outF + idx * outF
                for p1 in 0..<p { for p2 in 0..<p { for ch in 0..<3 {
                    image[ch * r * r + (row * p + p1) * r + col * p + p2] = patches[src + (p1 * p + p2) * 3 + ch]
                } } }
            }
            image.withUnsafeBufferPointer { im in
                out.withUnsafeMutableBufferPointer { o in
                    Convolution.conv2d(im.baseAddress!, channels: 3, height: r, width: r, weight: convW.baseAddress,
                                       bias: convB.baseAddress, outChannels: 3, kernel: 3, into: o.baseAddress! + b * 3 * r * r)
                }
            }
        }
        return out
    }
}
