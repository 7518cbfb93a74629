/// Direct 2D convolutions over NCHW data with "same" padding, as sums of shifted matrix products
/// (no im2col copy): for each kernel offset, out[K, H x (W+2)] += w_offset[K, C] * xpad_shifted[C, H x (W+2)].
public enum Convolution {
    /// 3x3 (pad 1) or 1x1 (pad 0) convolution, stride 1, of one image [C, H, W] into [K, H, W].
    /// `weight` is [K, C, k, k]; `bias` optional. Adds into `out` when `accumulate`.
    public static func conv2d(_ x: UnsafePointer<Float>, channels c: Int, height hgt: Int, width wid: Int,
                              weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, outChannels k: Int, kernel: Int,
                              into out: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        let plane = hgt * wid
        if kernel == 1 {
            // out[K, P] = W[K, C] * x[C, P]
            if let bias {
                for o in 0..<k { let row = out + o * plane; let bv = bias[o]
                    if accumulate { for i in 0..<plane { row[i] += bv } } else { for i in 0..<plane { row[i] = bv } } }
            }
            Dense.gemm(m: k, n: plane, k: c, a: weight, lda: c, b: x, ldb: plane,
                       beta: (accumulate || bias != nil) ? 1 : 0, c: out, ldc: plane)
            return
        }
        precondition(kernel == 3, "Convolution.conv2d supports 1x1 and 3x3 kernels")
        let pw = wid + 2, ph = hgt + 2
        // Padded input with one extra row so the last shifted read stays inside the buffer.
        let padded = UnsafeMutablePointer<Float>.allocate(capacity: c * ph * pw + 2 * pw)
        defer { padded.deallocate() }
        padded.initialize(repeating: 0, count: c * ph * pw + 2 * pw)
        Parallel.forEach(c) { ci in
            for y in 0..<hgt {
                (padded + ci * ph * pw + (y + 1) * pw + 1).update(from: x + ci * plane + y * wid, count: wid)
            }
        }
        // Output computed over H rows of width W+2 (two junk columns per row), then compacted.
        let wide = UnsafeMutablePointer<Float>.allocate(capacity: k * hgt * pw)
        defer { wide.deallocate() }
        let n = hgt * pw
        // Reorder weights to [9][K][C] so each offset is a contiguous matrix.
        let wk = UnsafeMutablePointer<Float>.allocate(capacity: 9 * k * c)
        defer { wk.deallocate() }
        for o in 0..<k { for ci in 0..<c { for t in 0..<9 { wk[(t * k + o) * c + ci] = weight[(o * c + ci) * 9 + t] } } }
        for t in 0..<9 {
            let ky = t / 3, kx = t % 3
            Dense.gemm(m: k, n: n, k: c, a: wk + t * k * c, lda: c, b: padded + ky * pw + kx, ldb: ph * pw,
                       beta: t == 0 ? 0 : 1, c: wide, ldc: n)
        }
        Parallel.forEach(k) { o in
            let bv = bias?[o] ?? 0
            for y in 0..<hgt {
                let src = wide + o * n + y * pw, dst = out + o * plane + y * wid
                if accumulate { for i in 0..<wid { dst[i] += src[i] + bv } } else { for i in 0..<wid { dst[i] = src[i] + bv } }
            }
        }
    }

    /// Nearest-neighbour 2x upsampling of [C, H, W] into [C, 2H, 2W].
    public static func upsampleNearest2x(_ x: UnsafePointer<Float>, channels c: Int, height h: Int, width w: Int,
                                         into out: UnsafeMutablePointer<Float>) {
        Parallel.forEach(c) { ci in
            let src = x + ci * h * w, dst = out + ci * 4 * h * w
            for y in 0..<h {
                let row = dst + 2 * y * 2 * w
                for xx in 0..<w { let v = src[y * w + xx]; row[2 * xx] = v; row[2 * xx + 1] = v }
                (row + 2 * w).update(from: row, count: 2 * w)
            }
        }
    }
}
