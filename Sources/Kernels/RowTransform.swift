/// What a Linear applies to each row of its input before the product: nothing, exact GELU, or a
/// LayerNorm. On the packed-row kernel it is applied while the rows are packed (the input is
/// read once and left as it is); elsewhere the transformed rows are written out first. Both
/// give the same bits as running `Activations.gelu` or `LayerNorm.apply` before the product.
public enum RowTransform: @unchecked Sendable {
    case none
    /// x (1 + erf(x / sqrt 2)) / 2, as `Activations.gelu`.
    case gelu
    /// (x - mean) / sqrt(var + eps) * weight + bias over each row, as `LayerNorm.apply`.
    case layerNorm(weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, eps: Float)

    /// Rows 0..<m of `x` (row stride `ldx`, `k` columns) transformed into `y` (row stride `ldy`);
    /// `y` may be `x` (with the same stride) for every case.
    func apply(_ x: UnsafePointer<Float>, rows m: Int, columns k: Int, ldx: Int, into y: UnsafeMutablePointer<Float>, ldy: Int) {
        switch self {
        case .none:
            guard UnsafePointer(y) != x else { return }
            for r in 0..<m { (y + r * ldy).update(from: x + r * ldx, count: k) }
        case .gelu:
            if UnsafePointer(y) != x { for r in 0..<m { (y + r * ldy).update(from: x + r * ldx, count: k) } }
            if ldy == k {
                Activations.gelu(y, count: m * k)
            } else {
                for r in 0..<m { Activations.gelu(y + r * ldy, count: k) }
            }
        case .layerNorm(let weight, let bias, let eps):
            LayerNorm.apply(x, rows: m, width: k, weight: weight, bias: bias, eps: eps, into: y, ldx: ldx, ldy: ldy)
        }
    }
}
