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
    /// `keep`: only these positions of each sequence (a range within 0..<tokens) are needed after
    /// the stack; the final block then computes queries, projections and MLP for those rows only,
    /// and the result is written compacted into `x` as [batch * keep.count, W].
    /// `constant`: rows of every sequence that enter the stack the same for every input; layer 0
    /// takes their Q/K/V from it (computed once) instead of recomputing them.
    func forward(_ x: UnsafeMutablePointer<Float>, batch: Int, tokens t: Int, keep: Range<Int>? = nil,
                 constant: InputIndependentRows? = nil) {
        let w = width, rows = batch * t
        if let keep { precondition(keep.lowerBound >= 0 && keep.upperBound <= t, "kept rows \(keep) outside 0..<\(t)") }
        let h = AlignedFloats.allocate(rows * w), qkv = AlignedFloats.allocate(rows * 3 * w)
        let attn = AlignedFloats.allocate(rows * w), mlp = AlignedFloats.allocate(rows * 4 * w)
        defer { [h, qkv, attn, mlp].forEach(AlignedFloats.free) }
        for (index, L) in layers.enumerated() {
            let trimmed = index == layers.count - 1 ? keep : nil
            if index == 0, let constant, constant.range.upperBound <= t {
                firstLayerQueryKeyValue(L, x, batch: batch, tokens: t, constant: constant, normed: h, into: qkv, spare: mlp)
            } else {
                Dense.linear(x, rows: rows, transform: .layerNorm(weight: L.ln1w.baseAddress, bias: L.ln1b.baseAddress,
                                                                  eps: Self.layerNormEps),
                             staging: h, weight: L.inW, bias: L.inB.baseAddress, into: qkv)
            }
            Attention.selfAttention(qkv: qkv, batch: batch, tokens: t, width: w, heads: heads, into: attn, queries: trimmed)
            let q = trimmed?.count ?? t
            if let trimmed { compact(x, batch: batch, tokens: t, keep: trimmed) }
            let live = batch * q
            Dense.linear(attn, rows: live, weight: L.outW, bias: L.outB.baseAddress, into: x, accumulate: true)
            Dense.linear(x, rows: live, transform: .layerNorm(weight: L.ln2w.baseAddress, bias: L.ln2b.baseAddress,
                                                              eps: Self.layerNormEps),
                         staging: h, weight: L.fcW, bias: L.fcB.baseAddress, into: mlp)
            Dense.linear(mlp, rows: live, transform: .gelu, staging: mlp, weight: L.projW, bias: L.projB.baseAddress,
                         into: x, accumulate: true)
        }
        if layers.isEmpty, let keep { compact(x, batch: batch, tokens: t, keep: keep) }
    }

    /// The kept residual rows moved to the front, sequence by sequence: x[b, 0..<n] <- x[b, keep].
    private func compact(_ x: UnsafeMutablePointer<Float>, batch: Int, tokens t: Int, keep: Range<Int>) {
        let w = width, n = keep.count
        for b in 0..<batch { memmove(x + b * n * w, x + (b * t + keep.lowerBound) * w, n * w * 4) }
    }
}

extension TransformerStack {
    /// LayerNorm (eps 1e-5) of every row of `rows` [count, width] in place.
    static func normalize(_ rows: inout [Float], width: Int, weight: Float32Tensor, bias: Float32Tensor) {
        withExtendedLifetime((weight, bias)) {
            rows.withUnsafeMutableBufferPointer { r in
                LayerNorm.apply(r.baseAddress!, rows: r.count / width, width: width, weight: weight.baseAddress,
                                bias: bias.baseAddress, eps: layerNormEps, into: r.baseAddress!)
            }
        }
    }

    /// Layer `L`'s LN1 and Q/K/V projection for the rows of each sequence outside `constant.range`
    /// (gathered into one product through `normed` and `spare`), with the constant rows' Q/K/V copied.
    private func firstLayerQueryKeyValue(_ L: TransformerLayer, _ x: UnsafeMutablePointer<Float>, batch: Int, tokens t: Int,
                               constant: InputIndependentRows, normed h: UnsafeMutablePointer<Float>,
                               into qkv: UnsafeMutablePointer<Float>, spare: UnsafeMutablePointer<Float>) {
        let w = width, fixed = constant.range
        let segments = [0..<fixed.lowerBound, fixed.upperBound..<t].filter { !$0.isEmpty }
        var r = 0
        for b in 0..<batch {
            for s in segments {
                LayerNorm.apply(x + (b * t + s.lowerBound) * w, rows: s.count, width: w, weight: L.ln1w.baseAddress,
                                bias: L.ln1b.baseAddress, eps: Self.layerNormEps, into: h + r * w)
                r += s.count
            }
        }
        Dense.linear(h, rows: r, weight: L.inW, bias: L.inB.baseAddress, into: spare)
        let fixedQKV = constant.queryKeyValue(of: self)
        r = 0
        for b in 0..<batch {
            for s in segments {
                (qkv + (b * t + s.lowerBound) * 3 * w).update(from: spare + r * 3 * w, count: s.count * 3 * w)
                r += s.count
            }
            fixedQKV.withUnsafeBufferPointer {
                (qkv + (b * t + fixed.lowerBound) * 3 * w).update(from: $0.baseAddress!, count: fixed.count * 3 * w)
            }
        }
    }
}

/// Rows of every sequence that enter a stack the same whatever the input (learned tokens plus
/// positional embeddings, after ln_pre): the model writes `values` there, and the stack's first
/// layer takes their Q/K/V, computed on first use and kept, instead of projecting them per call.
final class InputIndependentRows: @unchecked Sendable {
    /// Where the rows sit in each sequence.
    let range: Range<Int>
    /// The rows as they enter the stack, [range.count, W].
    let values: [Float]
    private let lock = NSLock()
    private var projected: [Float]?

    init(range: Range<Int>, values: [Float]) {
        self.range = range
        self.values = values
    }

    /// Layer 0's Q/K/V of `values`, [range.count, 3W] (made once; `stack` is the stack they enter).
    func queryKeyValue(of stack: TransformerStack) -> [Float] {
        lock.lock()
        defer { lock.unlock() }
        if let projected { return projected }
        let w = stack.width, n = range.count, L = stack.layers[0]
        precondition(values.count == n * w, "input-independent rows: \(values.count) values for \(n) rows of \(w)")
        var normed = [Float](repeating: 0, count: n * w), out = [Float](repeating: 0, count: n * 3 * w)
        values.withUnsafeBufferPointer { v in
            normed.withUnsafeMutableBufferPointer { h in
                LayerNorm.apply(v.baseAddress!, rows: n, width: w, weight: L.ln1w.baseAddress, bias: L.ln1b.baseAddress,
                                eps: TransformerStack.layerNormEps, into: h.baseAddress!)
                out.withUnsafeMutableBufferPointer { o in
                    Dense.linear(h.baseAddress!, rows: n, weight: L.inW, bias: L.inB.baseAddress, into: o.baseAddress!)
                }
            }
        }
        projected = out
        return out
    }
}
