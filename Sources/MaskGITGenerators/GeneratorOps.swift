import CBLAS
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
        let n = w.outFeatures, k = w.inFeatures
        if y.count != m * n { y = buffer(m * n) }
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                if let b = w.bias {
                    for r in 0..<m { for j in 0..<n { yp[r * n + j] = b.buffer[j] } }
                }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1,
                            xp.baseAddress, Int32(k), w.weight.baseAddress, Int32(k), w.bias == nil ? 0 : 1,
                            yp.baseAddress, Int32(n))
            }
        }
    }

    func layerNorm(_ x: inout [Float], _ w: NormWeights) {
        let copy = x
        layerNorm(copy, w, into: &x)
    }

    func layerNorm(_ x: [Float], _ w: NormWeights, into y: inout [Float]) {
        let h = hidden
        if y.count != x.count { y = buffer(x.count) }
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                for r in 0..<(x.count / h) {
                    var mean: Float = 0
                    for j in 0..<h { mean += xp[r * h + j] }
                    mean /= Float(h)
                    var variance: Float = 0
                    for j in 0..<h { let d = xp[r * h + j] - mean; variance += d * d }
                    variance /= Float(h)
                    let inv = 1 / (variance + w.epsilon).squareRoot()
                    for j in 0..<h { yp[r * h + j] = (xp[r * h + j] - mean) * inv * w.weight.buffer[j] + w.bias.buffer[j] }
                }
            }
        }
    }

    func gelu(_ x: inout [Float]) {
        x.withUnsafeMutableBufferPointer { p in
            for i in p.indices { let v = p[i]; p[i] = 0.5 * v * (1 + erff(v * 0.70710678118654752)) }
        }
    }

    func add(_ a: [Float], into x: inout [Float]) {
        x.withUnsafeMutableBufferPointer { xp in a.withUnsafeBufferPointer { ap in for i in xp.indices { xp[i] += ap[i] } } }
    }

    /// Multi-head self-attention from qkv [positions, 3h] (q | k | v, heads contiguous), no mask.
    func attention(_ qkv: [Float], into out: inout [Float]) {
        let h = hidden, d = h / heads, t = tokens
        let scale = 1 / Float(d).squareRoot()
        var scores = [Float](repeating: 0, count: t * t)
        qkv.withUnsafeBufferPointer { q in
            out.withUnsafeMutableBufferPointer { o in
                scores.withUnsafeMutableBufferPointer { s in
                    for b in 0..<rows {
                        let base = q.baseAddress! + b * t * 3 * h
                        for head in 0..<heads {
                            let qp = base + head * d, kp = base + h + head * d, vp = base + 2 * h + head * d
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(t), Int32(t), Int32(d), scale,
                                        qp, Int32(3 * h), kp, Int32(3 * h), 0, s.baseAddress, Int32(t))
                            for i in 0..<t {
                                var m = -Float.infinity
                                for j in 0..<t { m = max(m, s[i * t + j]) }
                                var sum: Float = 0
                                for j in 0..<t { let e = expf(s[i * t + j] - m); s[i * t + j] = e; sum += e }
                                for j in 0..<t { s[i * t + j] /= sum }
                            }
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(t), Int32(d), Int32(t), 1,
                                        s.baseAddress, Int32(t), vp, Int32(3 * h), 0,
                                        o.baseAddress! + b * t * h + head * d, Int32(h))
                        }
                    }
                }
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
