// The fixed matrices of Winograd F(4x4, 3x3) (Lavin & Gray, interpolation points 0, ±1, ±2, ∞)
// and the per-tile transforms built from them. Every function here works on one 6x6 tile or
// one row; the loops over channels and tiles live in WinogradConv3x3.

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

    /// The row half of the input transform (B^T d) over whole rows: `t[i][x] = sum_j BT[i][j] r[j][x]`
    /// for six input rows `r` of `n` floats each (stride `n`), written as six rows of `t` (stride `n`).
    @inline(__always)
    static func inputRows(_ r: UnsafePointer<Float>, _ t: UnsafeMutablePointer<Float>, n: Int) {
        let r0 = r, r1 = r + n, r2 = r + 2 * n, r3 = r + 3 * n, r4 = r + 4 * n, r5 = r + 5 * n
        let t0 = t, t1 = t + n, t2 = t + 2 * n, t3 = t + 3 * n, t4 = t + 4 * n, t5 = t + 5 * n
        for x in 0..<n {
            let a0 = r0[x], a1 = r1[x], a2 = r2[x], a3 = r3[x], a4 = r4[x], a5 = r5[x]
            let p = a4 - 4 * a2, q = a3 - 4 * a1
            let s = a4 - a2, d = 2 * (a3 - a1)
            t0[x] = 4 * a0 - 5 * a2 + a4
            t1[x] = p + q
            t2[x] = p - q
            t3[x] = s + d
            t4[x] = s - d
            t5[x] = 4 * a1 - 5 * a3 + a5
        }
    }

    /// The column half of the input transform for one tile: for each of the six rows of `t`
    /// (stride `n`), the six values at `x0..<x0+6` become `d B`, stored at `v[(i*6+l) * pointStride]`.
    @inline(__always)
    static func inputColumns(_ t: UnsafePointer<Float>, n: Int, x0: Int, _ v: UnsafeMutablePointer<Float>, pointStride: Int) {
        for i in 0..<6 {
            let row = t + i * n + x0
            let a0 = row[0], a1 = row[1], a2 = row[2], a3 = row[3], a4 = row[4], a5 = row[5]
            let p = a4 - 4 * a2, q = a3 - 4 * a1
            let s = a4 - a2, d = 2 * (a3 - a1)
            let base = v + (i * 6) * pointStride
            base[0] = 4 * a0 - 5 * a2 + a4
            base[pointStride] = p + q
            base[2 * pointStride] = p - q
            base[3 * pointStride] = s + d
            base[4 * pointStride] = s - d
            base[5 * pointStride] = 4 * a1 - 5 * a3 + a5
        }
    }

    /// The output transform A^T m A of one tile: reads the 36 products `m[p * pointStride]`
    /// and writes the 4x4 result to `y` (row-major 4x4).
    @inline(__always)
    static func outputTile(_ m: UnsafePointer<Float>, pointStride: Int, _ y: UnsafeMutablePointer<Float>) {
        // Columns first: for each of the 6 columns j, A^T applied down the 6 rows -> 4 rows.
        var c = (Float(0), Float(0), Float(0), Float(0), Float(0), Float(0),
                 Float(0), Float(0), Float(0), Float(0), Float(0), Float(0),
                 Float(0), Float(0), Float(0), Float(0), Float(0), Float(0),
                 Float(0), Float(0), Float(0), Float(0), Float(0), Float(0))
        withUnsafeMutableBytes(of: &c) { raw in
            let w = raw.baseAddress!.assumingMemoryBound(to: Float.self)  // 4x6
            for j in 0..<6 {
                let m0 = m[j * pointStride], m1 = m[(6 + j) * pointStride], m2 = m[(12 + j) * pointStride]
                let m3 = m[(18 + j) * pointStride], m4 = m[(24 + j) * pointStride], m5 = m[(30 + j) * pointStride]
                let a = m1 + m2, b = m1 - m2, e = m3 + m4, f = m3 - m4
                w[j] = m0 + a + e
                w[6 + j] = b + 2 * f
                w[12 + j] = a + 4 * e
                w[18 + j] = b + 8 * f + m5
            }
            for i in 0..<4 {
                let r = w + i * 6
                let a = r[1] + r[2], b = r[1] - r[2], e = r[3] + r[4], f = r[3] - r[4]
                y[i * 4] = r[0] + a + e
                y[i * 4 + 1] = b + 2 * f
                y[i * 4 + 2] = a + 4 * e
                y[i * 4 + 3] = b + 8 * f + r[5]
            }
        }
    }

    /// `inputColumns` for 8 consecutive tiles at once (tile l starts at column x0 + 4l): the lanes
    /// are tiles, so each of the 36 results is one 8-float store at `v + p * pointStride`.
    @inline(__always)
    static func inputColumns8(_ t: UnsafePointer<Float>, n: Int, x0: Int, _ v: UnsafeMutablePointer<Float>, pointStride: Int) {
        for i in 0..<6 {
            let r = t + i * n + x0
            @inline(__always) func lanes(_ m: Int) -> SIMD8<Float> {
                SIMD8(r[m], r[4 + m], r[8 + m], r[12 + m], r[16 + m], r[20 + m], r[24 + m], r[28 + m])
            }
            let a0 = lanes(0), a1 = lanes(1), a2 = lanes(2), a3 = lanes(3), a4 = lanes(4), a5 = lanes(5)
            let p = a4 - 4 * a2, q = a3 - 4 * a1
            let s = a4 - a2, d = 2 * (a3 - a1)
            let base = UnsafeMutableRawPointer(v + (i * 6) * pointStride)
            let step = pointStride * MemoryLayout<Float>.size
            base.storeBytes(of: 4 * a0 - 5 * a2 + a4, as: SIMD8<Float>.self)
            (base + step).storeBytes(of: p + q, as: SIMD8<Float>.self)
            (base + 2 * step).storeBytes(of: p - q, as: SIMD8<Float>.self)
            (base + 3 * step).storeBytes(of: s + d, as: SIMD8<Float>.self)
            (base + 4 * step).storeBytes(of: s - d, as: SIMD8<Float>.self)
            (base + 5 * step).storeBytes(of: 4 * a1 - 5 * a3 + a5, as: SIMD8<Float>.self)
        }
    }

    /// `outputTile` for 8 consecutive tiles at once: reads `m + p * pointStride` as 8 floats (one per
    /// tile) and writes y[(i * 4 + j) * 8 + tile] (16 vectors of 8) to `y`.
    @inline(__always)
    static func outputTiles8(_ m: UnsafePointer<Float>, pointStride: Int, _ y: UnsafeMutablePointer<Float>) {
        let raw = UnsafeRawPointer(m), step = pointStride * MemoryLayout<Float>.size
        @inline(__always) func at(_ p: Int) -> SIMD8<Float> { (raw + p * step).loadUnaligned(as: SIMD8<Float>.self) }
        let out = UnsafeMutableRawPointer(y), vec = 8 * MemoryLayout<Float>.size
        // Rows of A^T m (4 x 6), one column j at a time, then A applied along each row.
        var r0 = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
        var r1 = r0, r2 = r0, r3 = r0
        @inline(__always) func column(_ j: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
            let m0 = at(j), m1 = at(6 + j), m2 = at(12 + j), m3 = at(18 + j), m4 = at(24 + j), m5 = at(30 + j)
            let a = m1 + m2, b = m1 - m2, e = m3 + m4, f = m3 - m4
            return (m0 + a + e, b + 2 * f, a + 4 * e, b + 8 * f + m5)
        }
        (r0.0, r1.0, r2.0, r3.0) = column(0)
        (r0.1, r1.1, r2.1, r3.1) = column(1)
        (r0.2, r1.2, r2.2, r3.2) = column(2)
        (r0.3, r1.3, r2.3, r3.3) = column(3)
        (r0.4, r1.4, r2.4, r3.4) = column(4)
        (r0.5, r1.5, r2.5, r3.5) = column(5)
        @inline(__always) func row(_ i: Int, _ r: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)) {
            let a = r.1 + r.2, b = r.1 - r.2, e = r.3 + r.4, f = r.3 - r.4
            let o = out + i * 4 * vec
            o.storeBytes(of: r.0 + a + e, as: SIMD8<Float>.self)
            (o + vec).storeBytes(of: b + 2 * f, as: SIMD8<Float>.self)
            (o + 2 * vec).storeBytes(of: a + 4 * e, as: SIMD8<Float>.self)
            (o + 3 * vec).storeBytes(of: b + 8 * f + r.5, as: SIMD8<Float>.self)
        }
        row(0, r0); row(1, r1); row(2, r2); row(3, r3)
    }
}
