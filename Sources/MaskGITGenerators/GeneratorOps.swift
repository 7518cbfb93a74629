import Foundation
import Kernels
import ModelZoo
import WeightFormat

/// The layer operations of one generator forward call over `rows` sequences of T = N+1 positions,
/// on row-major [rows * T, features] activations. Sizes are checked once, at `init`.
struct GeneratorOps {
    let rows: Int
    let tokens: Int
    let hidden: Int
    let heads: Int
    let vocabulary: Int

    init(rows: Int, config c: MaskGITConfig, sequences: UnsafeBufferPointer<Int32>) throws {
        guard rows >= 1 else { throw ZooError.invalidArgument("no sequences to run") }
        let (positions, o1) = rows.multipliedReportingOverflow(by: c.sequenceLength)
        let (widest, o2) = positions.multipliedReportingOverflow(by: max(3 * c.hidden, c.intermediate, c.numTokens > 0 ? c.codebookSize : 0))
        guard !o1, !o2, widest <= 1 << 40 else { throw ZooError.invalidArgument("batch of \(rows) sequences is too large") }
        guard sequences.count == positions else {
            throw ZooError.invalidArgument("expected \(rows) x \(c.sequenceLength) token ids, got \(sequences.count)")
        }
        for (i, id) in sequences.enumerated() where id < 0 || Int(id) >= c.vocabulary {
            throw ZooError.invalidArgument("token id \(id) at position \(i) is outside the vocabulary 0..<\(c.vocabulary)")
        }
        self.rows = rows; tokens = c.sequenceLength; hidden = c.hidden; heads = c.heads; vocabulary = c.vocabulary
    }

    var positions: Int { rows * tokens }

    func buffer(_ count: Int) -> [Float] { [Float](repeating: 0, count: count) }

    /// table[id] + positions[t] (+ extra) for every position.
    func embed(_ ids: UnsafeBufferPointer<Int32>, table: Float32Tensor, positions posTable: UnsafeBufferPointer<Float>,
               extra: UnsafeBufferPointer<Float>?) throws -> [Float] {
        let h = hidden
        var x = buffer(positions * h)
        x.withUnsafeMutableBufferPointer { out in
            for p in 0..<positions {
                let id = Int(ids[p]), t = p % tokens
                for j in 0..<h {
                    var v = table.buffer[id * h + j] + posTable[t * h + j]
                    if let e = extra { v += e[j] }
                    out[p * h + j] = v
                }
            }
        }
        return x
    }

    /// y = x W^T + b over all positions.
    func linear(_ x: [Float], _ w: LinearWeights, into y: inout [Float]) {
        let m = x.count / w.inFeatures
        linearRows(x, count: m, w, into: &y)
    }

    private func linearRows(_ x: [Float], count m: Int, _ w: LinearWeights, into y: inout [Float]) {
        let n = w.outFeatures
        if y.count != m * n { y = buffer(m * n) }
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                Dense.linear(xp.baseAddress!, rows: m, weight: w.weight, bias: w.bias?.baseAddress, into: yp.baseAddress!)
            }
        }
    }

    func layerNorm(_ x: inout [Float], _ w: NormWeights) {
        let h = hidden
        x.withUnsafeMutableBufferPointer { p in
            LayerNorm.apply(p.baseAddress!, rows: p.count / h, width: h, weight: w.weight.baseAddress,
                            bias: w.bias.baseAddress, eps: w.epsilon, into: p.baseAddress!)
        }
    }

    func layerNorm(_ x: [Float], _ w: NormWeights, into y: inout [Float]) {
        let h = hidden
        if y.count != x.count { y = buffer(x.count) }
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                LayerNorm.apply(xp.baseAddress!, rows: x.count / h, width: h, weight: w.weight.baseAddress,
                                bias: w.bias.baseAddress, eps: w.epsilon, into: yp.baseAddress!)
            }
        }
    }

    func gelu(_ x: inout [Float]) {
        x.withUnsafeMutableBufferPointer { Activations.gelu($0.baseAddress!, count: $0.count) }
    }

    func add(_ a: [Float], into x: inout [Float]) {
        x.withUnsafeMutableBufferPointer { xp in a.withUnsafeBufferPointer { ap in for i in xp.indices { xp[i] += ap[i] } } }
    }

    /// Multi-head self-attention from qkv [positions, 3h] (q | k | v, heads contiguous), no mask.
    func attention(_ qkv: [Float], into out: inout [Float]) {
        qkv.withUnsafeBufferPointer { q in
            out.withUnsafeMutableBufferPointer { o in
                Attention.selfAttention(qkv: q.baseAddress!, batch: rows, tokens: tokens, width: hidden, heads: heads,
                                        into: o.baseAddress!)
            }
        }
    }

    /// concat[a, b] along the features: [positions, 2h].
    func concatenate(_ a: [Float], _ b: [Float], features h: Int, into y: inout [Float]) {
        for p in 0..<positions {
            for j in 0..<h { y[p * 2 * h + j] = a[p * h + j]; y[p * 2 * h + h + j] = b[p * h + j] }
        }
    }

    /// lm_head over the N image positions of every row (the class position dropped): [rows, N, K].
    func imageLogits(_ x: [Float], head: LinearWeights) -> [Float] {
        let h = hidden, n = tokens - 1
        var images = buffer(rows * n * h)
        for r in 0..<rows {
            for i in 0..<n { for j in 0..<h { images[(r * n + i) * h + j] = x[(r * tokens + 1 + i) * h + j] } }
        }
        var out = buffer(rows * n * head.outFeatures)
        linearRows(images, count: rows * n, head, into: &out)
        return out
    }
}
