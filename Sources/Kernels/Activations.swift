import Foundation

/// Element-wise activations and row softmax, in place over a buffer.
public enum Activations {
    /// Exact GELU: x * (1 + erf(x / sqrt 2)) / 2.
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forEach(chunks(count)) { c in
            let (lo, hi) = range(c, count)
            for i in lo..<hi { let v = x[i]; x[i] = 0.5 * v * (1 + erff(v * 0.7071067811865476)) }
        }
    }

    public static func tanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forEach(chunks(count)) { c in
            let (lo, hi) = range(c, count)
            for i in lo..<hi { x[i] = tanhf(x[i]) }
        }
    }

    /// SiLU: x * sigmoid(x).
    public static func silu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forEach(chunks(count)) { c in
            let (lo, hi) = range(c, count)
            for i in lo..<hi { let v = x[i]; x[i] = v / (1 + expf(-v)) }
        }
    }

    /// Softmax over each of `rows` contiguous rows of `width` values (max-subtracted).
    public static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        Parallel.forEach(rows) { r in softmaxRow(x + r * width, width: width) }
    }

    /// Softmax of one row in place.
    @inline(__always)
    public static func softmaxRow(_ p: UnsafeMutablePointer<Float>, width: Int) {
        var m = -Float.infinity
        for j in 0..<width { m = max(m, p[j]) }
        var sum: Float = 0
        for j in 0..<width { let e = expf(p[j] - m); p[j] = e; sum += e }
        let inv = 1 / sum
        for j in 0..<width { p[j] *= inv }
    }

    private static let chunkSize = 1 << 14
    private static func chunks(_ n: Int) -> Int { (n + chunkSize - 1) / chunkSize }
    private static func range(_ c: Int, _ n: Int) -> (Int, Int) { (c * chunkSize, min(n, (c + 1) * chunkSize)) }
}
