import CBLAS
import CKernels

/// Matrix products: our AVX-512 or AVX2 kernel where `VectorGEMM.isEnabled`, else OpenBLAS. Every pointer
/// argument is row-major and sized by the caller; callers check sizes once at their entry.
public enum Dense {
    /// y[m, n] = x[m, k] * w[n, k]^T (+ bias[n]) (+ y when `accumulate`): PyTorch's Linear with weight [out, in].
    public static func linear(_ x: UnsafePointer<Float>, rows m: Int, inFeatures k: Int,
                              weight w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, outFeatures n: Int,
                              into y: UnsafeMutablePointer<Float>, accumulate: Bool = false, ldx: Int? = nil, ldy: Int? = nil) {
        guard m > 0, n > 0 else { return }
        BLASCore.ensureSelected()
        let ldy = ldy ?? n
        // Large products: column blocks on our threads, each a single-threaded sgemm.
        let parts = min(ComputeThreads.count, n / 64)
        if parts > 1, k > 0, m * n >= 1 << 16 {
            Parallel.forEach(parts) { p in
                let lo = (n * p / parts) & ~15, hi = p == parts - 1 ? n : (n * (p + 1) / parts) & ~15
                linearBlock(x, rows: m, inFeatures: k, weight: w, bias: bias, columns: lo..<hi, into: y,
                            accumulate: accumulate, ldx: ldx ?? k, ldy: ldy)
            }
            return
        }
        var beta: Float = accumulate ? 1 : 0
        if let b = bias {
            seedBias(b, rows: m, columns: 0..<n, into: y, ldy: ldy, accumulate: accumulate)
            beta = 1
        }
        guard k > 0 else { return }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1,
                    x, Int32(ldx ?? k), w, Int32(k), beta, y, Int32(ldy))
    }

    /// `linear` of `transform`(x) (GELU or LayerNorm of each row): on the packed-row kernel the
    /// rows are transformed as they are packed and `x` is left as it is; otherwise they are
    /// written to `staging` ([m, k], row stride k; may be `x` itself when ldx is k) and multiplied
    /// from there. `y` must not overlap `x` or `staging`.
    public static func linear(_ x: UnsafePointer<Float>, rows m: Int, transform: RowTransform,
                              staging: UnsafeMutablePointer<Float>, weight: PackedLinearWeight, bias: UnsafePointer<Float>?,
                              into y: UnsafeMutablePointer<Float>, accumulate: Bool = false, ldx: Int? = nil, ldy: Int? = nil) {
        let n = weight.outFeatures, k = weight.inFeatures
        guard m > 0, n > 0, k > 0 else { return }
        let ldx = ldx ?? k
        if VectorGEMM.isEnabled, VectorGEMM.usesPackedRows {
            let parts = packedLinearParts(rows: m, outFeatures: n, inFeatures: k, threads: ComputeThreads.count)
            VectorGEMM.packedRowsLinear(x, rows: m, ldx: ldx, transform: transform, strips: weight.strips(), outFeatures: n,
                                        inFeatures: k, parts: parts, bias: bias, into: y, ldy: ldy ?? n, accumulate: accumulate)
            return
        }
        transform.apply(x, rows: m, columns: k, ldx: ldx, into: staging, ldy: k)
        linear(staging, rows: m, weight: weight, bias: bias, into: y, accumulate: accumulate, ldy: ldy)
    }

    /// `linear` with a packed weight: our kernel on the pre-packed panels where enabled
    /// (`VectorGEMM`), otherwise OpenBLAS on the original weight.
    public static func linear(_ x: UnsafePointer<Float>, rows m: Int, weight: PackedLinearWeight, bias: UnsafePointer<Float>?,
                              into y: UnsafeMutablePointer<Float>, accumulate: Bool = false, ldx: Int? = nil, ldy: Int? = nil) {
        let n = weight.outFeatures, k = weight.inFeatures
        guard VectorGEMM.isEnabled, m > 0, n > 0, k > 0 else {
            linear(x, rows: m, inFeatures: k, weight: weight.weight, bias: bias, outFeatures: n, into: y,
                   accumulate: accumulate, ldx: ldx, ldy: ldy)
            return
        }
        let ldx = ldx ?? k, ldy = ldy ?? n
        let parts = packedLinearParts(rows: m, outFeatures: n, inFeatures: k, threads: ComputeThreads.count)
        if VectorGEMM.usesPackedRows {
            VectorGEMM.packedRowsLinear(x, rows: m, ldx: ldx, strips: weight.strips(), outFeatures: n, inFeatures: k, parts: parts,
                                        bias: bias, into: y, ldy: ldy, accumulate: accumulate)
            return
        }
        // AVX-512: column ranges of whole 48-column panels (ranges on 16-column boundaries cut
        // panels into 16- and 32-column tiles, which load more per multiply-add: 289x4096x1024
        // ran at 107 GFLOP/s instead of 138 on one Emerald Rapids core), each thread taking them
        // in order from its own stretch of the weight, the kernel told how many columns follow
        // its range so it can ask for their first block ahead. A weight stored as strips16 is
        // read where it lies in the file, three strips per panel (16-bit ones widened block by
        // block into each item's 192 KiB of scratch); any other is read from the panels packed
        // on first use.
        let width = VectorGEMM.panelColumns
        let items = VectorGEMM.workItems(units: (n + width - 1) / width, threads: parts)
        let stored = weight.storedStrips
        let panels = stored == nil ? weight.panels() : nil
        let scratchFloats = Int(ck_gemm_rows_by_half_strips_scratch_count())
        func run(scratch: UnsafeMutablePointer<Float>?) {
            Parallel.forEach(items) { item in
                let j0 = packedLinearPanelBoundary(item, of: items, outFeatures: n)
                let j1 = packedLinearPanelBoundary(item + 1, of: items, outFeatures: n)
                guard j0 < j1 else { return }
                let itemBias = bias.map { $0 + j0 }
                switch stored {
                case .float32(let strips)?:
                    ck_gemm_rows_by_strips(0, Int32(m), Int32(j1 - j0), Int32(k), x, ldx, strips + j0 * k, 16 * k,
                                           y + j0, ldy, accumulate ? 1 : 0, itemBias, Int32(n - j1))
                case .half(let strips, let bf16)?:
                    ck_gemm_rows_by_half_strips(0, Int32(m), Int32(j1 - j0), Int32(k), x, ldx, strips + j0 * k, bf16 ? 1 : 0,
                                                16 * k, y + j0, ldy, accumulate ? 1 : 0, itemBias,
                                                scratch.unsafelyUnwrapped + item * scratchFloats, Int32(n - j1))
                case nil:
                    VectorGEMM.rowsByColumns(0, m, n: j1 - j0, k: k, a: x, lda: ldx, b: panels.unsafelyUnwrapped + j0 * k,
                                             ldb: width, panelStride: k * width, c: y + j0, ldc: ldy, accumulate: accumulate,
                                             bias: itemBias)
                }
            }
        }
        if case .half? = stored {
            halfPanelScratch.with { run(scratch: $0.pointer(count: scratchFloats * items)) }
        } else {
            run(scratch: nil)
        }
    }

    /// First output column of part `part` of `parts` (a thread's share or a work item) in a packed Linear: a multiple of 16.
    public static func packedLinearBoundary(_ part: Int, of parts: Int, outFeatures n: Int) -> Int {
        part >= parts ? n : min(n, (n * part / parts) / 16 * 16)
    }

    /// Widened panel blocks of 16-bit strips on the AVX-512 kernel, one set per concurrent caller.
    private static let halfPanelScratch = ScratchPool<ScratchBuffer>(limit: 4) { ScratchBuffer() }

    /// First output column of part `part` of `parts` in a packed Linear on 48-column panels (the
    /// AVX-512 kernel): a multiple of the panel width, the panels shared out as evenly as whole panels allow.
    public static func packedLinearPanelBoundary(_ part: Int, of parts: Int, outFeatures n: Int) -> Int {
        let width = VectorGEMM.panelColumns, panels = (n + width - 1) / width
        return part >= parts ? n : min(n, panels * part / parts * width)
    }

    /// Threads a packed Linear of this shape runs on: its column panels are split over up to
    /// `threads` (each weight value read by one thread only), about one per MFLOP/2 of work.
    public static func packedLinearParts(rows m: Int, outFeatures n: Int, inFeatures k: Int, threads: Int) -> Int {
        let panelCount = (n + VectorGEMM.panelColumns - 1) / VectorGEMM.panelColumns
        // Parenthesised: Swift's `>>` binds tighter than `*`.
        return max(1, min(threads, panelCount, (m * n * k) >> 20))
    }

    /// Columns `columns` of rows 0..<m of y start from the bias (added to what y holds when
    /// `accumulate`), so the product can then be accumulated onto them.
    private static func seedBias(_ b: UnsafePointer<Float>, rows m: Int, columns: Range<Int>, into y: UnsafeMutablePointer<Float>,
                                 ldy: Int, accumulate: Bool) {
        for r in 0..<m {
            let row = y + r * ldy
            if accumulate { for j in columns { row[j] += b[j] } } else { for j in columns { row[j] = b[j] } }
        }
    }

    /// Output columns `columns` of `linear` (rows `columns` of the weight).
    private static func linearBlock(_ x: UnsafePointer<Float>, rows m: Int, inFeatures k: Int, weight w: UnsafePointer<Float>,
                                    bias: UnsafePointer<Float>?, columns: Range<Int>, into y: UnsafeMutablePointer<Float>,
                                    accumulate: Bool, ldx: Int, ldy: Int) {
        guard !columns.isEmpty else { return }
        let n0 = columns.lowerBound, nb = columns.count
        var beta: Float = accumulate ? 1 : 0
        if let b = bias {
            seedBias(b, rows: m, columns: columns, into: y, ldy: ldy, accumulate: accumulate)
            beta = 1
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(nb), Int32(k), 1,
                    x, Int32(ldx), w + n0 * k, Int32(k), beta, y + n0, Int32(ldy))
    }

    /// c[m, n] = alpha * op(a) * op(b) + beta * c with explicit leading dimensions. Large products
    /// are split by columns over the compute threads unless `parallel` is false (callers already
    /// running one product per thread).
    public static func gemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, parallel: Bool = true) {
        guard m > 0, n > 0 else { return }
        BLASCore.ensureSelected()
        if k == 0 {
            for r in 0..<m { for j in 0..<n { c[r * ldc + j] *= beta } }
            return
        }
        if VectorGEMM.isEnabled, !transA, alpha == 1, beta == 0 || beta == 1 {
            VectorGEMM.product(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, bTransposed: transB,
                               c: c, ldc: ldc, accumulate: beta == 1, parallel: parallel)
            return
        }
        // Large products: column blocks of c on our threads (OpenBLAS is single-threaded). Block
        // edges sit on multiples of 16 columns, the sgemm kernels' unroll, so every element is
        // summed exactly as one whole-matrix call sums it (row blocks would change the tails).
        let parts = parallel ? min(ComputeThreads.count, n / 64) : 1
        if parts > 1, m * n * k >= 1 << 21 {
            Parallel.forEach(parts) { p in
                let lo = (n * p / parts) & ~15, hi = p == parts - 1 ? n : (n * (p + 1) / parts) & ~15
                guard lo < hi else { return }
                let bBlock = transB ? b + lo * ldb : b + lo
                cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                            Int32(m), Int32(hi - lo), Int32(k), alpha, a, Int32(lda), bBlock, Int32(ldb), beta,
                            c + lo, Int32(ldc))
            }
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
