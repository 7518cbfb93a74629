import CKernels
import Foundation

/// The library's own float32 matrix product (`CKernels`: register-tiled micro-kernels reading
/// weights pre-packed once), used instead of OpenBLAS where the CPU runs AVX-512 or AVX2+FMA.
/// Each output element is summed in the same order whatever the matrix sizes, the row position,
/// the thread split or the kernel (AVX-512 and AVX2 give the same bits), so results do not
/// depend on batch composition, thread count or CPU generation.
/// `TITOK_GEMM=openblas` turns it off (OpenBLAS for every product); `TITOK_GEMM=avx2` keeps
/// an AVX-512 CPU on the AVX2 kernel.
public enum VectorGEMM {
    /// One of the micro-kernels, by instruction set.
    public enum Kernel: String, CaseIterable, Sendable {
        case avx512, avx2

        /// The C entry point, `ck_gemm_rows_by_columns`'s contract.
        public typealias Function = @convention(c) (
            Int32, Int32, Int32, Int32, UnsafePointer<Float>?, Int, UnsafePointer<Float>?, Int, Int,
            UnsafeMutablePointer<Float>?, Int, Int32, Int32, UnsafePointer<Float>?) -> Void

        /// `ck_attention_head`'s contract.
        public typealias AttentionHead = @convention(c) (
            UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafePointer<Float>?, Int, Int32, Int32, Int32, Float,
            UnsafeMutablePointer<Float>?, Int, UnsafeMutablePointer<Float>?) -> Void

        /// Whether this CPU and OS run it.
        public var isSupported: Bool {
            switch self {
            case .avx512: return ck_avx512_usable() != 0
            case .avx2: return ck_avx2_fma_usable() != 0
            }
        }

        /// The C function.
        public var function: Function {
            switch self {
            case .avx512: return ck_gemm_rows_by_columns
            case .avx2: return ck_gemm_rows_by_columns_avx2
            }
        }

        /// The fused attention head on this kernel (same bits on both).
        public var attentionHead: AttentionHead {
            switch self {
            case .avx512: return ck_attention_head
            case .avx2: return ck_attention_head_avx2
            }
        }
    }

    /// The kernels this CPU runs, widest first.
    public static var supportedKernels: [Kernel] { Kernel.allCases.filter(\.isSupported) }

    /// The kernel products go through, or nil for OpenBLAS (decided once per process from the
    /// CPU and `TITOK_GEMM`: `openblas`, `avx2`, `avx512`; a kernel the CPU lacks falls back to
    /// the next narrower one).
    public static let kernel: Kernel? = {
        let setting = ProcessInfo.processInfo.environment["TITOK_GEMM"]?.lowercased() ?? ""
        if setting == "openblas" { return nil }
        let allowed: [Kernel] = setting == "avx2" ? [.avx2] : Kernel.allCases
        return allowed.first(where: \.isSupported)
    }()

    /// Whether products go through one of the library's kernels.
    public static var isEnabled: Bool { kernel != nil }

    /// Which engine runs the matrix products, for logs and benchmark reports.
    public static var engine: String { kernel?.rawValue ?? "openblas" }

    /// Columns per packed panel.
    public static let panelColumns = Int(CK_PANEL_COLS)

    /// The enabled kernel's `ck_gemm_rows_by_columns` (call only when `isEnabled`).
    static func rowsByColumns(_ row0: Int, _ row1: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                              b: UnsafePointer<Float>, ldb: Int, panelStride: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                              accumulate: Bool, bias: UnsafePointer<Float>? = nil) {
        kernel.unsafelyUnwrapped.function(Int32(row0), Int32(row1), Int32(n), Int32(k), a, lda, b, ldb, panelStride,
                                          c, ldc, 0, accumulate ? 1 : 0, bias)
    }

    /// c[rows, 0..<n] (+)= a[rows, k] * b[k, n], `b` plain row-major with row stride ldb;
    /// single-threaded. The caller has checked every size.
    static func multiply(rows: Range<Int>, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                         b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        rowsByColumns(rows.lowerBound, rows.upperBound, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                      panelStride: panelColumns, c: c, ldc: ldc, accumulate: accumulate)
    }
}

extension VectorGEMM {
    /// Scratch for column operands packed per call (transposed `b`), one per concurrent user.
    private static let packScratch = ScratchPool<ScratchBuffer>(limit: 4) { ScratchBuffer() }

    /// c[m, n] (+)= a[m, k] * b, where b is [k, n] (row stride ldb) or, with `bTransposed`,
    /// [n, k] (packed into column panels first). Rows are split over the compute threads when
    /// `parallel` and the product is large; the split never changes a result bit.
    static func product(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                        bTransposed: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, parallel: Bool) {
        guard m > 0, n > 0 else { return }
        let tileRows = Int(CK_TILE_ROWS)
        let parts = parallel && m * n * k >= 1 << 20 ? max(1, min(ComputeThreads.count, m / tileRows)) : 1
        let items = workItems(units: m / tileRows, threads: parts)
        func run(_ panels: UnsafePointer<Float>?) {
            Parallel.forEach(items) { p in
                // Row blocks on tile boundaries, so each item runs whole 8-row tiles.
                let lo = (m * p / items) / tileRows * tileRows
                let hi = p == items - 1 ? m : (m * (p + 1) / items) / tileRows * tileRows
                guard lo < hi else { return }
                if let panels {
                    rowsByColumns(lo, hi, n: n, k: k, a: a, lda: lda, b: panels, ldb: panelColumns,
                                  panelStride: k * panelColumns, c: c, ldc: ldc, accumulate: accumulate)
                } else {
                    multiply(rows: lo..<hi, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
                }
            }
        }
        guard bTransposed else { return run(nil) }
        packScratch.with { buffer in
            let panels = buffer.pointer(count: max(1, Int(ck_packed_columns_count(Int32(n), Int32(k)))))
            ck_pack_columns(Int32(n), Int32(k), b, ldb, panels)
            run(UnsafePointer(panels))
        }
    }
}

extension VectorGEMM {
    /// Whether products take their left operand packed as row tiles and Linear weights as
    /// 16-column strips (`ck_gemm_packed_rows_avx2`: the AVX2 kernel); otherwise plain rows and
    /// 48-column panels (AVX-512) or OpenBLAS.
    static var usesPackedRows: Bool { kernel == .avx2 }

    /// Rows per packed row tile.
    static let packedTileRows = Int(CK_PACKED_TILE_ROWS)

    /// Row tiles holding `rows` rows.
    static func packedRowTiles(_ rows: Int) -> Int { (rows + packedTileRows - 1) / packedTileRows }

    /// Work items per thread of a parallel product or packing pass. Items are claimed one at a
    /// time (`Parallel.forEach`), so when the machine slows one thread down (another process or
    /// virtual CPU on its core) the others take over its remaining items instead of waiting for
    /// its fixed share: with one core half taken by another process, an L-32 encode with one
    /// column range per thread ran 1.7-2.3x slower than on a quiet machine.
    static let itemsPerThread = 8

    /// Items of a pass of `units` independent units (row tiles, 16-column strips) on `threads`:
    /// one when single-threaded, else up to `itemsPerThread` per thread.
    static func workItems(units: Int, threads: Int) -> Int {
        threads <= 1 ? 1 : max(1, min(units, threads * itemsPerThread))
    }

    /// Packs rows 0..<m of `a` (row stride `lda`, `k` columns used) as row tiles into `dst`
    /// (`ck_pack_row_tiles`' layout), the tiles split into `workItems` over up to `threads`
    /// compute threads. A `transform` other than `.none` is applied to each row as it is packed
    /// (`a` is left as it is), with `rowScratch` holding k floats for each of
    /// `workItems(units: packedRowTiles(m), threads: threads)` items.
    static func packRowTiles(m: Int, k: Int, a: UnsafePointer<Float>, lda: Int, into dst: UnsafeMutablePointer<Float>,
                             threads: Int, transform: RowTransform = .none, rowScratch: UnsafeMutablePointer<Float>? = nil) {
        let tiles = packedRowTiles(m), packers = workItems(units: tiles, threads: threads)
        Parallel.forEach(packers) { p in
            let t0 = Int32(tiles * p / packers), t1 = Int32(tiles * (p + 1) / packers)
            switch transform {
            case .none:
                ck_pack_row_tiles(t0, t1, Int32(m), Int32(k), a, lda, dst)
            case .gelu:
                ck_pack_row_tiles_gelu(t0, t1, Int32(m), Int32(k), a, lda, rowScratch.unsafelyUnwrapped + p * k, dst)
            case .layerNorm(let weight, let bias, let eps):
                ck_pack_row_tiles_layer_norm(t0, t1, Int32(m), Int32(k), a, lda, weight, bias, eps,
                                             rowScratch.unsafelyUnwrapped + p * k, dst)
            }
        }
    }

    /// Scratch for rows packed per call and the threads' accumulators (`packedRowsLinear`).
    private static let rowScratch = ScratchPool<ScratchBuffer>(limit: 4) { ScratchBuffer() }

    /// Row tiles per product call of a packed-row Linear: more rows (a batch of sequences) run as
    /// equal groups of at most this many tiles (396 rows: every batch-1 sequence of the registry
    /// in one group), so each strip pass re-reads one group's packed rows (a 256-deep sub-block:
    /// at most 396 KiB) from L2 instead of every row from L3 (batch 8 of S-128 encoded 11 %
    /// slower per image than batch 1 before). Row groups never change a result bit.
    static let maxGroupTiles = 66

    /// The packed Linear on the AVX2 kernel (weight `strips` from `PackedLinearWeight.panels()`):
    /// the rows of `x` packed once (tiles split over the threads, `transform` applied to each row
    /// as it is packed), then 16-aligned column ranges (`workItems` of them over up to `parts`
    /// threads) each run from them, row group by row group (`ck_gemm_packed_rows_avx2`: the bits
    /// of `ck_gemm_rows_by_columns_avx2`, blocked for a 32 KiB L1). The caller has checked every size.
    static func packedRowsLinear(_ x: UnsafePointer<Float>, rows m: Int, ldx: Int, transform: RowTransform = .none,
                                 strips: LinearStrips, outFeatures n: Int, inFeatures k: Int, parts: Int,
                                 bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>, ldy: Int, accumulate: Bool) {
        let packedCount = Int(ck_packed_rows_count(Int32(m), Int32(k)))
        let tiles = packedRowTiles(m)
        let groups = (tiles + maxGroupTiles - 1) / maxGroupTiles, groupTiles = (tiles + groups - 1) / groups
        let partialCount = Int(ck_packed_rows_partial_count(Int32(groupTiles * packedTileRows)))
        let items = workItems(units: (n + 15) / 16, threads: parts)
        let packers = workItems(units: tiles, threads: parts)
        rowScratch.with { buffer in
            // Packed rows, then each item's accumulators, then each packer's transformed row.
            let packed = buffer.pointer(count: packedCount + items * partialCount + packers * k)
            let partials = packed + packedCount
            packRowTiles(m: m, k: k, a: x, lda: ldx, into: packed, threads: parts, transform: transform,
                         rowScratch: partials + items * partialCount)
            Parallel.forEach(items) { item in
                // Column ranges start on 16-column boundaries: whole strips.
                let j0 = Dense.packedLinearBoundary(item, of: items, outFeatures: n)
                let j1 = Dense.packedLinearBoundary(item + 1, of: items, outFeatures: n)
                guard j0 < j1 else { return }
                for t0 in stride(from: 0, to: tiles, by: groupTiles) {
                    let r0 = t0 * packedTileRows, r1 = min(m, (t0 + groupTiles) * packedTileRows)
                    let (rows, c, partial) = (Int32(r1 - r0), y + r0 * ldy + j0, partials + item * partialCount)
                    switch strips {
                    case .float32(let w):
                        ck_gemm_packed_rows_avx2(rows, Int32(j1 - j0), Int32(k), packed, Int32(t0), Int32(tiles), w + j0 * k, 16,
                                                 16 * k, c, ldy, accumulate ? 1 : 0, bias.map { $0 + j0 }, partial)
                    case .half(let w, let bf16):
                        ck_gemm_packed_rows_half_strips_avx2(rows, Int32(j1 - j0), Int32(k), packed, Int32(t0), Int32(tiles),
                                                             w + j0 * k, bf16 ? 1 : 0, 16 * k, c, ldy, accumulate ? 1 : 0,
                                                             bias.map { $0 + j0 }, partial)
                    }
                }
            }
        }
    }
}

/// A Linear weight as the AVX2 kernel's 16-column strips ([in][16] per 16 outputs): float32, or
/// f16/bf16 bit patterns (stored so in a weight file) that the kernel widens as it multiplies.
enum LinearStrips {
    case float32(UnsafePointer<Float>)
    case half(UnsafePointer<UInt16>, bf16: Bool)
}

/// A Linear layer's weight [out, in] re-laid once, on first use, in the layout the enabled
/// kernel reads (AVX-512: column panels, `in` rows of 48 outputs each; AVX2: strips of 16
/// outputs; zero-padded). Until then, and where OpenBLAS
/// runs the products, only the original weight is used. The weight is either float32 in memory
/// or read row block by row block (a 16-bit file tensor), in which case only the panels are
/// kept where the kernel runs and a float32 copy is made only for OpenBLAS.
public final class PackedLinearWeight: @unchecked Sendable {
    public let outFeatures: Int
    public let inFeatures: Int
    /// Writes weight rows [first, first + count) as float32 ([count, in]) to the destination.
    public typealias RowReader = @Sendable (_ first: Int, _ count: Int, _ destination: UnsafeMutablePointer<Float>) -> Void

    private let source: UnsafePointer<Float>?
    /// The weight as stored in a file in the AVX2 kernel's strips (`ck_pack_strips`' layout),
    /// which both kernels multiply in place (AVX-512: `ck_gemm_rows_by_strips` and
    /// `ck_gemm_rows_by_half_strips`).
    let storedStrips: LinearStrips?
    private let owner: AnyObject?
    private let readRows: RowReader?
    private let releaseSource: (@Sendable () -> Void)?
    private let lock = NSLock()
    private var packed: UnsafeMutablePointer<Float>?
    private var widened: UnsafeMutablePointer<Float>?

    /// A float32 weight kept valid by `owner`. `releaseSource` runs once after packing: a
    /// memory-mapped weight can then give its pages back (never read again by the products).
    public convenience init(weight: UnsafePointer<Float>, outFeatures: Int, inFeatures: Int, owner: AnyObject,
                            releaseSource: (@Sendable () -> Void)? = nil) {
        self.init(source: weight, storedStrips: nil, owner: owner, readRows: nil, outFeatures: outFeatures,
                  inFeatures: inFeatures, releaseSource: releaseSource)
    }

    /// A weight read through `readRows` when it is first needed (packing, or the float32 copy
    /// OpenBLAS uses); `releaseSource` runs once after packing.
    public convenience init(outFeatures: Int, inFeatures: Int, readRows: @escaping RowReader,
                            releaseSource: (@Sendable () -> Void)? = nil) {
        self.init(source: nil, storedStrips: nil, owner: nil, readRows: readRows, outFeatures: outFeatures,
                  inFeatures: inFeatures, releaseSource: releaseSource)
    }

    /// A weight stored already in the AVX2 kernel's layout: `strips` holds the outFeatures x
    /// inFeatures values as outFeatures / 16 strips of [inFeatures][16] (a `strips16` tensor of
    /// a mapped weight file, kept valid by `owner`), used in place by the AVX2 and AVX-512
    /// kernels, which then pack nothing. OpenBLAS reads the weight's rows through `readRows`
    /// (row-major) as usual, then `releaseSource` runs (never run when used in place).
    /// outFeatures must be a multiple of 16.
    public convenience init(strips: UnsafePointer<Float>, outFeatures: Int, inFeatures: Int, owner: AnyObject,
                            readRows: @escaping RowReader, releaseSource: (@Sendable () -> Void)? = nil) {
        self.init(stored: .float32(strips), outFeatures: outFeatures, inFeatures: inFeatures, owner: owner,
                  readRows: readRows, releaseSource: releaseSource)
    }

    /// As `init(strips:...)` for strips of 16-bit values (f16, or bf16 when `bf16`; a 16-bit
    /// `strips16` tensor): the AVX2 and AVX-512 kernels widen them as they multiply (the bits of
    /// the float32 path on the widened weight), so nothing is packed or widened ahead.
    public convenience init(halfStrips: UnsafePointer<UInt16>, bf16: Bool, outFeatures: Int, inFeatures: Int, owner: AnyObject,
                            readRows: @escaping RowReader, releaseSource: (@Sendable () -> Void)? = nil) {
        self.init(stored: .half(halfStrips, bf16: bf16), outFeatures: outFeatures, inFeatures: inFeatures, owner: owner,
                  readRows: readRows, releaseSource: releaseSource)
    }

    private convenience init(stored: LinearStrips, outFeatures: Int, inFeatures: Int, owner: AnyObject,
                             readRows: @escaping RowReader, releaseSource: (@Sendable () -> Void)?) {
        precondition(outFeatures % 16 == 0, "stored strips need a multiple of 16 outputs, got \(outFeatures)")
        self.init(source: nil, storedStrips: stored, owner: owner, readRows: readRows, outFeatures: outFeatures,
                  inFeatures: inFeatures, releaseSource: releaseSource)
    }

    private init(source: UnsafePointer<Float>?, storedStrips: LinearStrips?, owner: AnyObject?, readRows: RowReader?,
                 outFeatures: Int, inFeatures: Int, releaseSource: (@Sendable () -> Void)?) {
        self.source = source
        self.storedStrips = storedStrips
        self.owner = owner
        self.readRows = readRows
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        self.releaseSource = releaseSource
    }

    deinit {
        packed?.deallocate()
        widened?.deallocate()
    }

    /// The [out, in] weight as float32 (for OpenBLAS): in place, or read once (48-row blocks on
    /// the compute threads) and kept, then `releaseSource` runs, as after packing.
    public var weight: UnsafePointer<Float> {
        if let source { return source }
        lock.lock()
        defer { lock.unlock() }
        if let widened { return UnsafePointer(widened) }
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, outFeatures * inFeatures))
        // Blocks of 48 rows on every compute thread (each row written by one reader call).
        let (read, n, k) = (readRows.unsafelyUnwrapped, outFeatures, inFeatures), block = 48
        Parallel.forEach((n + block - 1) / block) { b in
            let first = b * block
            read(first, min(block, n - first), p + first * k)
        }
        widened = p
        releaseSource?()
        return UnsafePointer(p)
    }

    /// Bytes held by the packed copy (0 before first use).
    public var packedBytes: Int {
        lock.lock(); defer { lock.unlock() }
        return packed == nil ? 0 : Self.packedCount(outFeatures, inFeatures) * 4
    }

    /// Floats of the packed copy: 16-column strips for the AVX2 kernel, 48-column panels for the
    /// AVX-512 kernel (each kernel's own layout; both hold the same values).
    private static func packedCount(_ n: Int, _ k: Int) -> Int {
        VectorGEMM.usesPackedRows
            ? Int(ck_packed_strips_count(Int32(n), Int32(k))) : Int(ck_packed_columns_count(Int32(n), Int32(k)))
    }

    /// The weight as the AVX2 kernel's strips: stored in the file (float32 or 16-bit), else
    /// packed on first call (`panels()`).
    func strips() -> LinearStrips {
        if let storedStrips { return storedStrips }
        return .float32(panels())
    }

    /// The weight in the enabled kernel's packed layout, made on first call (thread-safe):
    /// `ck_pack_strips`'s strips for AVX2 (or the stored strips, in place), `ck_pack_columns`'
    /// panels for AVX-512.
    func panels() -> UnsafePointer<Float> {
        if VectorGEMM.usesPackedRows, case .float32(let stored)? = storedStrips { return stored }
        lock.lock()
        defer { lock.unlock() }
        if let packed { return UnsafePointer(packed) }
        let count = Self.packedCount(outFeatures, inFeatures)
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(count, 1))
        let width = VectorGEMM.panelColumns
        let panelCount = (outFeatures + width - 1) / width
        let (n, k) = (outFeatures, inFeatures)
        let strips = VectorGEMM.usesPackedRows
        let (w, read) = (source ?? widened.map { UnsafePointer($0) }, readRows)
        // Work items of 48 outputs: one panel, or three strips (whose data starts at j0 * k either way).
        Parallel.forEach(panelCount) { panel in
            let j0 = panel * width, rows = min(width, n - j0)
            func pack(_ source: UnsafePointer<Float>) {
                if strips { ck_pack_strips(Int32(rows), Int32(k), source, k, p + j0 * k) }
                else { ck_pack_columns(Int32(rows), Int32(k), source, k, p + j0 * k) }
            }
            if let w {
                pack(w + j0 * k)
            } else {
                // One panel's rows read into a small buffer, then packed from there.
                let rowsBuffer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, rows * k))
                defer { rowsBuffer.deallocate() }
                read.unsafelyUnwrapped(j0, rows, rowsBuffer)
                pack(UnsafePointer(rowsBuffer))
            }
        }
        packed = p
        releaseSource?()
        return UnsafePointer(p)
    }
}
