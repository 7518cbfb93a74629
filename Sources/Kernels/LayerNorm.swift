import CKernels

/// LayerNorm over the last axis of [rows, width] row-major data (weight and bias per feature).
public enum LayerNorm {
    /// y = (x - mean) / sqrt(var + eps) * weight + bias; `x` and `y` may be the same buffer.
    /// `ldx`/`ldy` are row strides (default `width`). Rows are split in blocks over the threads.
    public static func apply(_ x: UnsafePointer<Float>, rows: Int, width: Int, weight: UnsafePointer<Float>,
                             bias: UnsafePointer<Float>, eps: Float, into y: UnsafeMutablePointer<Float>,
                             ldx: Int? = nil, ldy: Int? = nil) {
        guard rows > 0, width > 0 else { return }
        let sx = ldx ?? width, sy = ldy ?? width
        // About 16K values per block: enough work per item to hide the hand-off.
        let blocks = min(rows, max(1, rows * width / 16_384))
        Parallel.forEach(blocks) { b in
            let r0 = rows * b / blocks, r1 = rows * (b + 1) / blocks
            ck_layer_norm_rows(x + r0 * sx, sx, y + r0 * sy, sy, Int32(r1 - r0), Int32(width), weight, bias, eps)
        }
    }
}
