import CKernels
import Foundation

/// The library's own float32 matrix product (`CKernels`: an AVX-512 register-tiled micro-kernel
/// reading weights pre-packed once), used instead of OpenBLAS where the CPU runs AVX-512.
/// Each output element is summed in the same order whatever the matrix sizes, the row position
/// or the thread split, so results do not depend on batch composition or thread count.
/// `TITOK_GEMM=openblas` turns it off (OpenBLAS for every product).
public enum VectorGEMM {
    /// Whether products go through the AVX-512 kernel (decided once per process).
    public static let isEnabled: Bool = {
        if let setting = ProcessInfo.processInfo.environment["TITOK_GEMM"]?.lowercased(), setting == "openblas" {
            return false
        }
        return ck_avx512_usable() != 0
    }()

    /// Which engine runs the matrix products, for logs and benchmark reports.
    public static var engine: String { isEnabled ? "avx512" : "openblas" }

    /// Whether this CPU could run the kernel at all (tests use it whatever `isEnabled` says).
    public static var isSupported: Bool { ck_avx512_usable() != 0 }

    /// Columns per packed panel.
    public static let panelColumns = Int(CK_PANEL_COLS)

    /// c[rows, 0..<n] (+)= a[rows, k] * b[k, n], `b` plain row-major with row stride ldb;
    /// single-threaded. The caller has checked every size.
    static func multiply(rows: Range<Int>, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                         b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        ck_gemm_rows_by_columns(Int32(rows.lowerBound), Int32(rows.upperBound), Int32(n), Int32(k), a, lda,
                                b, ldb, panelColumns, c, ldc, 0, accumulate ? 1 : 0)
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
        func run(_ panels: UnsafePointer<Float>?) {
            Parallel.forEach(parts) { p in
                // Row blocks on tile boundaries, so each thread runs whole 8-row tiles.
                let lo = (m * p / parts) / tileRows * tileRows
                let hi = p == parts - 1 ? m : (m * (p + 1) / parts) / tileRows * tileRows
                guard lo < hi else { return }
                if let panels {
                    ck_gemm_rows_by_columns(Int32(lo), Int32(hi), Int32(n), Int32(k), a, lda, panels, panelColumns,
                                            k * panelColumns, c, ldc, 0, accumulate ? 1 : 0)
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

/// A Linear layer's weight [out, in] re-laid once, on first use, as the column panels the
/// AVX-512 kernel reads (`in` rows of 48 outputs each, zero-padded). Until then, and on CPUs
/// without AVX-512, only the original weight is used.
public final class PackedLinearWeight: @unchecked Sendable {
    public let outFeatures: Int
    public let inFeatures: Int
    /// The original [out, in] weight (kept valid by `owner`).
    public let weight: UnsafePointer<Float>
    private let owner: AnyObject
    private let releaseSource: (@Sendable () -> Void)?
    private let lock = NSLock()
    private var packed: UnsafeMutablePointer<Float>?

    /// `releaseSource` runs once after packing: a memory-mapped weight can then give its pages
    /// back (they are never read again by this layer's products).
    public init(weight: UnsafePointer<Float>, outFeatures: Int, inFeatures: Int, owner: AnyObject,
                releaseSource: (@Sendable () -> Void)? = nil) {
        self.weight = weight
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        self.owner = owner
        self.releaseSource = releaseSource
    }

    deinit { packed?.deallocate() }

    /// Bytes held by the packed copy (0 before first use).
    public var packedBytes: Int {
        lock.lock(); defer { lock.unlock() }
        return packed == nil ? 0 : Int(ck_packed_columns_count(Int32(outFeatures), Int32(inFeatures))) * 4
    }

    /// The panels, packed on first call (thread-safe).
    func panels() -> UnsafePointer<Float> {
        lock.lock()
        defer { lock.unlock() }
        if let packed { return UnsafePointer(packed) }
        let count = Int(ck_packed_columns_count(Int32(outFeatures), Int32(inFeatures)))
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(count, 1))
        let panelCount = (outFeatures + VectorGEMM.panelColumns - 1) / VectorGEMM.panelColumns
        let perPanel = inFeatures * VectorGEMM.panelColumns
        let (n, k, w) = (outFeatures, inFeatures, weight)
        Parallel.forEach(panelCount) { panel in
            let j0 = panel * VectorGEMM.panelColumns
            ck_pack_columns(Int32(min(VectorGEMM.panelColumns, n - j0)), Int32(k), w + j0 * k, k, p + panel * perPanel)
        }
        packed = p
        releaseSource?()
        return UnsafePointer(p)
    }
}
