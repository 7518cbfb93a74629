import Foundation
import Kernels
import WeightFormat

/// One pre-norm residual block: x += MHA(LN1(x)); x += MLP(LN2(x)) with exact GELU.
struct TransformerLayer: @unchecked Sendable {
    let ln1w, ln1b, inB, outB, ln2w, ln2b, fcB, projB: Float32Tensor
    let inW, outW, fcW, projW: PackedLinearWeight

    init(_ w: CheckedWeights, prefix p: String) throws {
        ln1w = try w("\(p).ln_1.weight"); ln1b = try w("\(p).ln_1.bias")
        inW = try w.linear("\(p).attn.in_proj_weight"); inB = try w("\(p).attn.in_proj_bias")
        outW = try w.linear("\(p).attn.out_proj.weight"); outB = try w("\(p).attn.out_proj.bias")
        ln2w = try w("\(p).ln_2.weight"); ln2b = try w("\(p).ln_2.bias")
        fcW = try w.linear("\(p).mlp.c_fc.weight"); fcB = try w("\(p).mlp.c_fc.bias")
        projW = try w.linear("\(p).mlp.c_proj.weight"); projB = try w("\(p).mlp.c_proj.bias")
    }
}

/// A ViT's stack of blocks over sequences laid out [batch * T, W].
struct TransformerStack: @unchecked Sendable {
    static let layerNormEps: Float = 1e-5
    let width: Int
    let heads: Int
    let layers: [TransformerLayer]

    init(_ w: CheckedWeights, prefix: String, size: ViTSize) throws {
        width = size.width
        heads = size.heads
        layers = try (0..<size.layers).map { try TransformerLayer(w, prefix: "\(prefix).transformer.\($0)") }
    }

    /// Runs every block over `x` [batch * tokens, W] in place.
    /// `keepLast`: only the last `keepLast` positions of each sequence are needed after the stack;
    /// the final block then computes queries, projections and MLP for those rows only, and the
    /// result is written compacted into `x` as [batch * keepLast, W].
    func forward(_ x: UnsafeMutablePointer<Float>, batch: Int, tokens t: Int, keepLast: Int? = nil) {
        let w = width, rows = batch * t
        let h = UnsafeMutablePointer<Float>.allocate(capacity: rows * w)
        let qkv = UnsafeMutablePointer<Float>.allocate(capacity: rows * 3 * w)
        let attn = UnsafeMutablePointer<Float>.allocate(capacity: rows * w)
        let mlp = UnsafeMutablePointer<Float>.allocate(capacity: rows * 4 * w)
        defer { h.deallocate(); qkv.deallocate(); attn.deallocate(); mlp.deallocate() }
        for (index, L) in layers.enumerated() {
            let trimmed = index == layers.count - 1 ? keepLast : nil
            LayerNorm.apply(x, rows: rows, width: w, weight: L.ln1w.baseAddress, bias: L.ln1b.baseAddress,
                            eps: Self.layerNormEps, into: h)
            Dense.linear(h, rows: rows, weight: L.inW, bias: L.inB.baseAddress, into: qkv)
            Attention.selfAttention(qkv: qkv, batch: batch, tokens: t, width: w, heads: heads, into: attn, queryRows: trimmed)
            let q = trimmed ?? t
            if let n = trimmed {
                // Compact the surviving residual rows: x[b, n rows] <- x[b, last n rows].
                for b in 0..<batch { memmove(x + b * n * w, x + (b * t + t - n) * w, n * w * 4) }
            }
            let live = batch * q
            Dense.linear(attn, rows: live, weight: L.outW, bias: L.outB.baseAddress, into: x, accumulate: true)
            LayerNorm.apply(x, rows: live, width: w, weight: L.ln2w.baseAddress, bias: L.ln2b.baseAddress,
                            eps: Self.layerNormEps, into: h)
            Dense.linear(h, rows: live, weight: L.fcW, bias: L.fcB.baseAddress, into: mlp)
            Activations.gelu(mlp, count: live * 4 * w)
            Dense.linear(mlp, rows: live, weight: L.projW, bias: L.projB.baseAddress, into: x, accumulate: true)
        }
        if layers.isEmpty, let n = keepLast {
            for b in 0..<batch { memmove(x + b * n * w, x + (b * t + t - n) * w, n * w * 4) }
        }
    }
}
