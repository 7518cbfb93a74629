import CKernels

/// Multi-head self-attention without mask over sequences laid out [batch * T, features].
public enum Attention {
    /// Per-worker scores buffers, kept between calls.
    private static let scratch = ScratchPool<ScratchBuffer>(limit: 4) { ScratchBuffer() }

    /// `qkv`: [batch * T, 3W] with Q, K, V stacked along the features (heads = contiguous slices
    /// of W/heads); writes softmax(Q K^T / sqrt(d)) V into `out` [batch * T, W].
    /// `queries`: when given (a range within 0..<T), only those positions of each sequence are
    /// computed (their outputs go to `out` as [batch * queries.count, W]); keys and values span
    /// all T positions.
    public static func selfAttention(qkv: UnsafePointer<Float>, batch: Int, tokens t: Int, width w: Int, heads: Int,
                                     into out: UnsafeMutablePointer<Float>, queries: Range<Int>? = nil) {
        let d = w / heads
        let queries = queries ?? 0..<t
        precondition(queries.lowerBound >= 0 && queries.upperBound <= t, "attention queries \(queries) outside 0..<\(t)")
        let q = queries.count, first = queries.lowerBound
        let scale = 1 / Float(d).squareRoot()
        let ld = 3 * w
        // One (sequence, head) per worker, each running its small products on its own thread.
        Parallel.forEach(batch * heads) { item in
            let b = item / heads, h = item % heads
            let base = qkv + b * t * ld
            let qp = base + first * ld + h * d, kp = base + w + h * d, vp = base + 2 * w + h * d
            scratch.with { buffer in
                let o = out + b * q * w + h * d
                if let head = VectorGEMM.kernel?.attentionHead {
                    // The fused C head: scores, unnormalised softmax, E V scaled by 1 / row sum.
                    let count = Int(ck_attention_scratch_count(Int32(q), Int32(t), Int32(d)))
                    head(qp, kp, vp, ld, Int32(q), Int32(t), Int32(d), scale, o, w, buffer.pointer(count: count))
                    return
                }
                // scores = Q K^T, then softmax(scale * scores) V (the scale folded into the softmax).
                let scores = buffer.pointer(count: q * t)
                Dense.gemm(transB: true, m: q, n: t, k: d, a: qp, lda: ld, b: kp, ldb: ld, c: scores, ldc: t, parallel: false)
                ck_softmax_rows(scores, Int32(q), Int32(t), t, scale)
                Dense.gemm(m: q, n: d, k: t, a: scores, lda: t, b: vp, ldb: ld, c: o, ldc: w, parallel: false)
            }
        }
    }
}
