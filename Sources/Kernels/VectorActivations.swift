import CKernels

/// Activations on eight floats at a time, for the hot loops: exact-form GELU through a rational
/// erf approximation (within 1e-6 of erf everywhere, float32 evaluation).
public enum VectorActivations {
    /// erf(x): odd rational minimax approximation on [-4, 4] (the form used by Eigen and XLA),
    /// the polynomials' multiply-adds fused (as `ck_gelu` computes them).
    @inline(__always)
    public static func erf(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let x = VectorExp.clamp(x, -4, 4)
        let x2 = x * x
        var p = SIMD8<Float>(repeating: 2.770_681_424_959_02e-08).addingProduct(x2, -2.726_142_258_013_06e-10)
        p = SIMD8(repeating: -2.101_024_020_825_08e-06).addingProduct(x2, p)
        p = SIMD8(repeating: -5.692_506_394_623_46e-05).addingProduct(x2, p)
        p = SIMD8(repeating: -7.349_906_303_268_55e-04).addingProduct(x2, p)
        p = SIMD8(repeating: -2.954_599_808_540_25e-03).addingProduct(x2, p)
        p = SIMD8(repeating: -1.609_603_332_624_15e-02).addingProduct(x2, p)
        p = x * p
        var q = SIMD8<Float>(repeating: -2.133_740_552_789_05e-04).addingProduct(x2, -1.456_607_184_649_96e-05)
        q = SIMD8(repeating: -1.682_826_974_382_03e-03).addingProduct(x2, q)
        q = SIMD8(repeating: -7.373_329_167_204_68e-03).addingProduct(x2, q)
        q = SIMD8(repeating: -1.426_473_905_141_89e-02).addingProduct(x2, q)
        return p / q
    }

    /// GELU, erf form: x (1 + erf(x / sqrt 2)) / 2, as h + h erf(x / sqrt 2) with h = x / 2 (one rounding).
    @inline(__always)
    public static func gelu(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let h = 0.5 * x
        return h.addingProduct(h, erf(x * 0.707_106_781_186_547_6))
    }

    /// GELU in place over `count` floats, split over the compute threads.
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let chunk = 1 << 14
        Parallel.forEach((count + chunk - 1) / chunk) { c in
            let lo = c * chunk, hi = min(count, lo + chunk)
            ck_gelu(x + lo, hi - lo)  // the same arithmetic as `gelu(_:)`, vectorised for this CPU
        }
    }
}
