import CKernels
import Foundation

/// Element-wise activations and row softmax, in place over a buffer.
public enum Activations {
    /// Exact GELU: x * (1 + erf(x / sqrt 2)) / 2.
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        VectorActivations.gelu(x, count: count)  // erf to within 1e-6, eight lanes at a time
    }

    /// tanh to within 2e-7 (the C kernel, vectorised for this CPU), in chunks over the threads.
    public static func tanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forEach(chunks(count)) { c in
            let (lo, hi) = range(c, count)
            ck_tanh(x + lo, hi - lo)
        }
    }

    /// SiLU: x * sigmoid(x) (the C kernel `ck_scale_shift_silu`, as in GroupNorm+SiLU: every
    /// element, the tail included, through the one exponential), in chunks over the threads.
    public static func silu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forEach(chunks(count)) { c in
            let (lo, hi) = range(c, count)
            ck_scale_shift_silu(x + lo, x + lo, hi - lo, 1, 0)
        }
    }

    /// Softmax over each of `rows` contiguous rows of `width` values (max-subtracted), in blocks
    /// of rows over the compute threads.
    public static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        let block = 64
        Parallel.forEach((rows + block - 1) / block) { c in
            let r0 = c * block
            ck_softmax_rows(x + r0 * width, Int32(min(block, rows - r0)), Int32(width), width, 1)
        }
    }

    /// Softmax of one row in place (the C kernel, vectorised for this CPU).
    @inline(__always)
    public static func softmaxRow(_ p: UnsafeMutablePointer<Float>, width: Int) {
        ck_softmax_rows(p, 1, Int32(width), width, 1)
    }

    private static let chunkSize = 1 << 14
    private static func chunks(_ n: Int) -> Int { (n + chunkSize - 1) / chunkSize }
    private static func range(_ c: Int, _ n: Int) -> (Int, Int) { (c * chunkSize, min(n, (c + 1) * chunkSize)) }
}
