import CKernels

/// The Winograd algorithm of a convolution: F(4x4, 3x3) (36 products per 4x4 output tile, 2.25
/// per output) or F(2x2, 3x3) (16 per 2x2 tile, 4 per output, transformed filters 16/9 of the
/// weight instead of 4x: for small images with many channels, where the filters dominate).
public enum WinogradTile: Sendable, CustomStringConvertible {
    case f4x4, f2x2

    /// Output pixels per tile side.
    public var outputSide: Int { self == .f4x4 ? 4 : 2 }
    /// Input pixels per tile side (outputSide + 2).
    public var inputSide: Int { outputSide + 2 }
    /// Transform points (products) per tile.
    public var points: Int { inputSide * inputSide }
    public var description: String { self == .f4x4 ? "F(4x4,3x3)" : "F(2x2,3x3)" }

    /// U = G g G^T of `count` consecutive 3x3 filters (`f`: [count][9]): point p of filter j
    /// at u[p * stride + j]. The C kernels, vectorised across filters, with the bits of
    /// `transformFilter` (tests compare them).
    @inline(__always)
    func transformFilters(_ f: UnsafePointer<Float>, count: Int, _ u: UnsafeMutablePointer<Float>, stride: Int) {
        switch self {
        case .f4x4: ck_winograd43_filters(f, Int32(count), u, stride)
        case .f2x2: ck_winograd23_filters(f, Int32(count), u, stride)
        }
    }

    /// U = G g G^T of one 3x3 filter `f`, its `points` values written `stride` floats apart.
    @inline(__always)
    func transformFilter(_ f: UnsafePointer<Float>, _ u: UnsafeMutablePointer<Float>, stride: Int) {
        switch self {
        case .f4x4: WinogradF43.transformFilter(f, u, stride: stride)
        case .f2x2: WinogradF23.transformFilter(f, u, stride: stride)
        }
    }
}

// The fixed matrices of Winograd F(4x4, 3x3) (Lavin & Gray, interpolation points 0, ±1, ±2, ∞)
// and F(2x2, 3x3) (points 0, ±1, ∞): the filter transforms, done once per convolution. The input and output tile transforms run in
// CKernels (winograd.c), vectorised over tiles; the loops over channels and tiles live in WinogradConv3x3.

/// Winograd F(4x4, 3x3): a 6x6 input tile gives a 4x4 output tile; 36 products per tile.
enum WinogradF43 {
    static let tile = 6
    static let out = 4
    static let points = 36

    /// U = G g G^T for one 3x3 filter `f` (row-major), in Double, written to `u[p * stride]` for
    /// the 36 points p (row-major 6x6). G (6x3) rows: [1/4, 0, 0], [-1/6, -1/6, -1/6],
    /// [-1/6, 1/6, -1/6], [1/24, 1/12, 1/6], [1/24, -1/12, 1/6], [0, 0, 1].
    @inline(__always)
    static func transformFilter(_ f: UnsafePointer<Float>, _ u: UnsafeMutablePointer<Float>, stride: Int) {
        // t = G f: 6 rows of 3.
        var t = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        withUnsafeMutableBytes(of: &t) { raw in
            let tp = raw.baseAddress!.assumingMemoryBound(to: Double.self)
            for j in 0..<3 {
                let a = Double(f[j]), b = Double(f[3 + j]), c = Double(f[6 + j])
                tp[j] = a / 4
                tp[3 + j] = -(a + b + c) / 6
                tp[6 + j] = -(a - b + c) / 6
                tp[9 + j] = a / 24 + b / 12 + c / 6
                tp[12 + j] = a / 24 - b / 12 + c / 6
                tp[15 + j] = c
            }
            // U = t G^T: row i of t (3 values) -> 6 values.
            for i in 0..<6 {
                let a = tp[i * 3], b = tp[i * 3 + 1], c = tp[i * 3 + 2]
                let o = u + i * 6 * stride
                o[0] = Float(a / 4)
                o[stride] = Float(-(a + b + c) / 6)
                o[2 * stride] = Float(-(a - b + c) / 6)
                o[3 * stride] = Float(a / 24 + b / 12 + c / 6)
                o[4 * stride] = Float(a / 24 - b / 12 + c / 6)
                o[5 * stride] = Float(c)
            }
        }
    }
}

/// Winograd F(2x2, 3x3): a 4x4 input tile gives a 2x2 output tile; 16 products per tile.
enum WinogradF23 {
    /// U = G g G^T for one 3x3 filter `f` (row-major), in Double, written to `u[p * stride]` for
    /// the 16 points p (row-major 4x4). G (4x3) rows: [1, 0, 0], [1/2, 1/2, 1/2],
    /// [1/2, -1/2, 1/2], [0, 0, 1].
    @inline(__always)
    static func transformFilter(_ f: UnsafePointer<Float>, _ u: UnsafeMutablePointer<Float>, stride: Int) {
        // t = G f: 4 rows of 3.
        var t = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        withUnsafeMutableBytes(of: &t) { raw in
            let tp = raw.baseAddress!.assumingMemoryBound(to: Double.self)
            for j in 0..<3 {
                let a = Double(f[j]), b = Double(f[3 + j]), c = Double(f[6 + j])
                tp[j] = a
                tp[3 + j] = (a + b + c) / 2
                tp[6 + j] = (a - b + c) / 2
                tp[9 + j] = c
            }
            // U = t G^T: row i of t (3 values) -> 4 values.
            for i in 0..<4 {
                let a = tp[i * 3], b = tp[i * 3 + 1], c = tp[i * 3 + 2]
                let o = u + i * 4 * stride
                o[0] = Float(a)
                o[stride] = Float((a + b + c) / 2)
                o[2 * stride] = Float((a - b + c) / 2)
                o[3 * stride] = Float(c)
            }
        }
    }
}
