import Kernels
import WeightFormat

/// Nearest-codebook-entry quantizer (optionally in L2-normalised space).
struct VectorQuantizer: @unchecked Sendable {
    let size: Int
    let dim: Int
    let l2: Bool
    /// The codebook as used for search and lookup ([K, C]; normalised rows in L2 mode).
    let codebook: Float32Tensor
    /// |e_k|^2 per entry.
    let squaredNorms: [Float]

    init(embedding: Float32Tensor, size: Int, dim: Int, l2: Bool) {
        self.size = size; self.dim = dim; self.l2 = l2
        if l2 {
            var rows = Array(embedding.buffer)
            for k in 0..<size { Self.normalize(&rows, offset: k * dim, count: dim) }
            codebook = Float32Tensor(shape: [size, dim], values: rows)
        } else {
            codebook = embedding
        }
        let cb = codebook.buffer
        squaredNorms = (0..<size).map { k in
            var s: Float = 0
            for j in 0..<dim { s += cb[k * dim + j] * cb[k * dim + j] }
            return s
        }
    }

    static func normalize(_ v: inout [Float], offset: Int, count: Int) {
        var s: Float = 0
        for j in 0..<count { s += v[offset + j] * v[offset + j] }
        let inv = 1 / max(s.squareRoot(), 1e-12)
        for j in 0..<count { v[offset + j] *= inv }
    }

    /// z: [B, C, N] -> (tokens [B, N], z_q [B, C, N]).
    func quantize(_ z: [Float], batch: Int, tokens n: Int) -> (tokens: [Int32], zq: [Float]) {
        let c = dim, rows = batch * n
        // Rows of z as [B*N, C] (normalised in L2 mode).
        var zr = [Float](repeating: 0, count: rows * c)
        for b in 0..<batch { for ci in 0..<c { for j in 0..<n { zr[(b * n + j) * c + ci] = z[(b * c + ci) * n + j] } } }
        if l2 { for r in 0..<rows { Self.normalize(&zr, offset: r * c, count: c) } }
        var dots = [Float](repeating: 0, count: rows * size)
        zr.withUnsafeBufferPointer { zp in
            dots.withUnsafeMutableBufferPointer { dp in
                Dense.gemm(transB: true, m: rows, n: size, k: c, a: zp.baseAddress!, lda: c,
                           b: codebook.baseAddress, ldb: c, c: dp.baseAddress!, ldc: size)
            }
        }
        var tokens = [Int32](repeating: 0, count: rows)
        zr.withUnsafeBufferPointer { zp in
            dots.withUnsafeBufferPointer { dp in
                tokens.withUnsafeMutableBufferPointer { tp in
                    squaredNorms.withUnsafeBufferPointer { en in
                        Parallel.forEach(rows) { r in
                            var zz: Float = 0
                            for j in 0..<c { zz += zp[r * c + j] * zp[r * c + j] }
                            var best = 0, bestD = Float.infinity
                            let d = dp.baseAddress! + r * size
                            for k in 0..<size {
                                let dist = zz + en[k] - 2 * d[k]
                                if dist < bestD { bestD = dist; best = k }
                            }
                            tp[r] = Int32(best)
                        }
                    }
                }
            }
        }
        return (tokens, lookup(tokens, batch: batch, tokens: n))
    }

    /// Codebook rows for token ids [B, N] as latents [B, C, N]. Ids must be in range.
    func lookup(_ ids: [Int32], batch: Int, tokens n: Int) -> [Float] {
        let c = dim, cb = codebook.buffer
        var zq = [Float](repeating: 0, count: batch * c * n)
        for b in 0..<batch {
            for j in 0..<n {
                let k = Int(ids[b * n + j])
                for ci in 0..<c { zq[(b * c + ci) * n + j] = cb[k * c + ci] }
            }
        }
        return zq
    }
}
