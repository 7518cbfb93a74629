/// LayerNorm over the last axis of [rows, width] row-major data (weight and bias per feature).
public enum LayerNorm {
    /// y = (x - mean) / sqrt(var + eps) * weight + bias; `x` and `y` may be the same buffer.
    /// `ldx`/`ldy` are row strides (default `width`).
    public static func apply(_ x: UnsafePointer<Float>, rows: Int, width: Int, weight: UnsafePointer<Float>,
                             bias: UnsafePointer<Float>, eps: Float, into y: UnsafeMutablePointer<Float>,
                             ldx: Int? = nil, ldy: Int? = nil) {
        let sx = ldx ?? width, sy = ldy ?? width
        Parallel.forEach(rows) { r in
            let src = x + r * sx, dst = y + r * sy
            var sum: Double = 0
            for j in 0..<width { sum += Double(src[j]) }
            let mean = sum / Double(width)
            var sq: Double = 0
            for j in 0..<width { let d = Double(src[j]) - mean; sq += d * d }
            let rstd = Float(1 / (sq / Double(width) + Double(eps)).squareRoot())
            let m = Float(mean)
            for j in 0..<width { dst[j] = (src[j] - m) * rstd * weight[j] + bias[j] }
        }
    }
}
