import CKernels

/// GroupNorm followed by SiLU in one pass over the data (the statistics take two more reads):
/// y = silu((x - mean_g) / sqrt(var_g + eps) * gamma_c + beta_c), silu(v) = v * sigmoid(v).
/// Layout [batch, channels, spatial] row-major; groups are contiguous runs of channels.
public enum GroupNormSiLUFused {
    /// Normalises `input` into `output` (same count; they may be the same buffer).
    /// `silu: false` gives a plain GroupNorm.
    public static func apply(input: UnsafeBufferPointer<Float>, output: UnsafeMutableBufferPointer<Float>,
                             batch: Int, channels: Int, spatial: Int, groups: Int,
                             gamma: UnsafeBufferPointer<Float>, beta: UnsafeBufferPointer<Float>,
                             eps: Float, silu: Bool = true) throws {
        guard batch > 0, channels > 0, spatial > 0, groups > 0, channels % groups == 0 else {
            throw WinogradError(description: "GroupNorm: \(channels) channels cannot form \(groups) groups (batch \(batch), spatial \(spatial))")
        }
        let (cs, o1) = channels.multipliedReportingOverflow(by: spatial)
        let (n, o2) = cs.multipliedReportingOverflow(by: batch)
        guard !o1, !o2, input.count == n, output.count == n else {
            throw WinogradError(description: "GroupNorm: buffers hold \(input.count) and \(output.count) values, expected \(batch)x\(channels)x\(spatial)")
        }
        guard gamma.count == channels, beta.count == channels else {
            throw WinogradError(description: "GroupNorm: affine parameters have \(gamma.count) and \(beta.count) values, expected \(channels)")
        }
        let perGroup = channels / groups
        let src = input.baseAddress!, dst = output.baseAddress!
        let g = gamma.baseAddress!, bt = beta.baseAddress!
        Parallel.forEach(batch * groups) { item in
            let b = item / groups, grp = item % groups
            let start = (b * channels + grp * perGroup) * spatial
            let count = perGroup * spatial
            let (mean, variance) = meanAndVariance(src + start, count: count)
            let rstd = Float(1 / (variance + Double(eps)).squareRoot())
            for c in (grp * perGroup)..<((grp + 1) * perGroup) {
                let scale = g[c] * rstd
                let shift = bt[c] - Float(mean) * scale
                let off = (b * channels + c) * spatial
                if silu {
                    scaleShiftSiLU(src + off, dst + off, count: spatial, scale: scale, shift: shift)
                } else {
                    for i in 0..<spatial { dst[off + i] = src[off + i] * scale + shift }
                }
            }
        }
    }

    /// Mean and (biased) variance, two passes; blocks of 1024 summed in Float (`ck_block_sum`: 64
    /// interleaved partial sums, the same bits on every instruction set), blocks added in Double.
    static func meanAndVariance(_ x: UnsafePointer<Float>, count: Int) -> (Double, Double) {
        let block = 1024
        var total = 0.0
        var i = 0
        while i < count {
            let e = min(count, i + block)
            total += Double(ck_block_sum(x + i, e - i, 0, 0))
            i = e
        }
        let mean = total / Double(count)
        let m = Float(mean)
        var sq = 0.0
        i = 0
        while i < count {
            let e = min(count, i + block)
            sq += Double(ck_block_sum(x + i, e - i, 1, m))
            i = e
        }
        return (mean, sq / Double(count))
    }

    /// dst[i] = silu(src[i] * scale + shift) (the C kernel, vectorised for this CPU).
    @inline(__always)
    static func scaleShiftSiLU(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int, scale: Float, shift: Float) {
        ck_scale_shift_silu(src, dst, count, scale, shift)
    }
}

/// exp and SiLU on eight floats at a time (Cephes expf polynomial, about 1 ulp on [-87, 88]), with
/// the polynomial's multiply-adds fused: the definition the C loops (`ck_scale_shift_silu`,
/// `ck_softmax_rows`, `ck_tanh`) and the attention heads' exponentials compute bit for bit.
public enum VectorExp {
    @inline(__always)
    public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let xc = clamp(x, -87.3, 88.3)
        // Round x*log2(e) to an integer n with the 1.5*2^23 trick; its bits carry n as well.
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let shifted = xc * 1.442_695_04 + magic
        let n = shifted - magic
        var r = xc.addingProduct(n, -0.693_359_375)
        r = r.addingProduct(n, 2.121_944_4e-4)
        var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
        p = SIMD8(repeating: 1.398_199_95e-3).addingProduct(p, r)
        p = SIMD8(repeating: 8.333_451_9e-3).addingProduct(p, r)
        p = SIMD8(repeating: 4.166_579_59e-2).addingProduct(p, r)
        p = SIMD8(repeating: 1.666_666_55e-1).addingProduct(p, r)
        p = SIMD8(repeating: 5.000_000_12e-1).addingProduct(p, r)
        let y = r.addingProduct(p * r, r) + 1
        let bits = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        let scale = unsafeBitCast((bits &+ 127) &<< 23, to: SIMD8<Float>.self)
        return y * scale
    }

    /// Lane-wise min(max(x, lo), hi) (concrete code: the generic `clamped` is not inlined).
    @inline(__always)
    public static func clamp(_ x: SIMD8<Float>, _ lo: Float, _ hi: Float) -> SIMD8<Float> {
        SIMD8(Swift.min(Swift.max(x[0], lo), hi), Swift.min(Swift.max(x[1], lo), hi),
              Swift.min(Swift.max(x[2], lo), hi), Swift.min(Swift.max(x[3], lo), hi),
              Swift.min(Swift.max(x[4], lo), hi), Swift.min(Swift.max(x[5], lo), hi),
              Swift.min(Swift.max(x[6], lo), hi), Swift.min(Swift.max(x[7], lo), hi))
    }

    /// v * sigmoid(v) = v / (1 + exp(-v)).
    @inline(__always)
    public static func silu(_ v: SIMD8<Float>) -> SIMD8<Float> {
        v / (1 + exp(-v))
    }
}
