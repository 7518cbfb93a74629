import CKernels
import Foundation
@testable import Kernels
import WeightFormat
import XCTest

/// The AVX-512 matrix product (CKernels) and the pointwise C kernels against plain references.
final class VectorGEMMTests: XCTestCase {
    private func values(_ n: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<n).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int((state >> 33) % 2001) - 1000) / 1000
        }
    }

    /// The kernels this CPU runs (AVX-512 and/or AVX2); checks an unsupported one is never chosen.
    private func kernels() -> [VectorGEMM.Kernel] {
        if let chosen = VectorGEMM.kernel { XCTAssertTrue(chosen.isSupported, "\(chosen) kernel chosen on a CPU without it") }
        return VectorGEMM.supportedKernels
    }

    /// A plain column operand of exactly 64 columns (the Winograd products of 64 tiles; on
    /// AVX-512 it runs as 6 x 64 tiles) gives every element the bits of the same product split at
    /// the 48-column panel edge (columns 0..<48 and 48..<64 as two products), on every kernel this
    /// CPU runs, on row counts that end in every tail (4 + 3, 4 + 4, 1-6 rows), with and without
    /// bias and accumulation, across the k block edge.
    func testSixtyFourColumnsMatchPanelsBitForBit() {
        let width = VectorGEMM.panelColumns
        for kernel in kernels() {
            let gemm = kernel.function
            for (m, k) in [(1, 1), (5, 64), (6, 13), (7, 300), (8, 64), (13, 512), (14, 257), (100, 1100)] {
                let a = values(m * k, seed: UInt64(m * 7 + k)), b = values(k * 64, seed: UInt64(k + 3)), bias = values(64, seed: 5)
                let start = values(m * 64, seed: 11)
                for (withBias, accumulate) in [(false, false), (true, false), (false, true), (true, true)] {
                    var whole = start, split = start
                    bias.withUnsafeBufferPointer { bb in
                        let bp = withBias ? bb.baseAddress : nil
                        gemm(0, Int32(m), 64, Int32(k), a, k, b, 64, width, &whole, 64, 0, accumulate ? 1 : 0, bp)
                        b.withUnsafeBufferPointer { bv in
                            split.withUnsafeMutableBufferPointer { cv in
                                gemm(0, Int32(m), 48, Int32(k), a, k, bv.baseAddress!, 64, width, cv.baseAddress!, 64, 0, accumulate ? 1 : 0, bp)
                                gemm(0, Int32(m), 16, Int32(k), a, k, bv.baseAddress! + 48, 64, width, cv.baseAddress! + 48, 64, 0,
                                     accumulate ? 1 : 0, bp.map { $0 + 48 })
                            }
                        }
                    }
                    let differing = zip(whole, split).filter { $0.bitPattern != $1.bitPattern }.count
                    XCTAssertEqual(differing, 0, "\(kernel) m \(m) k \(k) bias \(withBias) accumulate \(accumulate)")
                }
            }
        }
    }

    /// ck_pack_columns against its definition, dst[p][kk][j] = x[(48 p + j) ldx + kk] and zero past
    /// row m, on every remainder of its 4 x 4 blocks (rows and k not multiples of 4, k past 16,
    /// rows further apart than k), with every float of the destination checked, padding included.
    func testPackedColumnsMatchDefinition() {
        let width = VectorGEMM.panelColumns
        for (m, k, extra) in [(1, 1, 0), (3, 5, 2), (4, 4, 0), (5, 17, 3), (47, 64, 0), (48, 16, 1), (49, 3, 7), (97, 33, 11),
                              (289, 64, 2 * 64 * 16)] {
            let ldx = k + extra
            let x = values(m * ldx, seed: UInt64(m * 31 + k))
            var packed = [Float](repeating: .nan, count: Int(ck_packed_columns_count(Int32(m), Int32(k))))
            ck_pack_columns(Int32(m), Int32(k), x, ldx, &packed)
            let panels = (m + width - 1) / width
            XCTAssertEqual(packed.count, panels * k * width)
            for p in 0..<panels {
                for kk in 0..<k {
                    for j in 0..<width {
                        let row = p * width + j
                        let want: Float = row < m ? x[row * ldx + kk] : 0
                        let got = packed[(p * k + kk) * width + j]
                        XCTAssertEqual(got.bitPattern, want.bitPattern, "m \(m) k \(k) ldx \(ldx): panel \(p) k \(kk) column \(j)")
                    }
                }
            }
        }
    }

    /// Every tile shape (rows 1...8 and beyond, 1...3 vectors and masked tails), k across the
    /// 256 block edge and zero, plain and packed column operands, stored and accumulated,
    /// straight and transposed output.
    func testProductMatchesDoubleReference() {
        for kernel in kernels() {
            let gemm = kernel.function
            let width = VectorGEMM.panelColumns
            // (600, 20, 1100): two k blocks and, on AVX-512, row blocks of whole tiles.
            for (m, n, k) in [(1, 1, 1), (3, 15, 7), (8, 16, 256), (9, 17, 257), (13, 47, 300), (20, 48, 0), (17, 49, 513), (5, 100, 64),
                              (600, 20, 1100),
                              (13, 64, 300), (14, 64, 7), (1, 64, 0), (601, 64, 1100)] {
                let a = values(m * k, seed: UInt64(m * 1000 + k)), b = values(k * n, seed: UInt64(n * 1000 + k + 7))
                var expected = [Double](repeating: 0, count: m * n)
                for r in 0..<m { for j in 0..<n { for t in 0..<k { expected[r * n + j] += Double(a[r * k + t]) * Double(b[t * n + j]) } } }
                // b as the transposed [n][k] matrix ck_pack_columns packs.
                var bt = [Float](repeating: 0, count: n * k)
                for t in 0..<k { for j in 0..<n { bt[j * k + t] = b[t * n + j] } }
                var packed = [Float](repeating: .nan, count: Int(ck_packed_columns_count(Int32(n), Int32(k))))
                ck_pack_columns(Int32(n), Int32(k), bt, k, &packed)
                let start = values(m * n, seed: 99)
                for (usePacked, transposed, accumulate) in [(false, false, false), (true, false, true), (true, true, false), (false, true, true)] {
                    var c = start
                    if transposed { c = (0..<(m * n)).map { start[($0 % m) * n + $0 / m] } }  // c^T [n][m]
                    if usePacked {
                        gemm(0, Int32(m), Int32(n), Int32(k), a, k, packed, width, k * width, &c,
                                                transposed ? m : n, transposed ? 1 : 0, accumulate ? 1 : 0, nil)
                    } else {
                        gemm(0, Int32(m), Int32(n), Int32(k), a, k, b, n, width, &c,
                                                transposed ? m : n, transposed ? 1 : 0, accumulate ? 1 : 0, nil)
                    }
                    for r in 0..<m {
                        for j in 0..<n {
                            let got = transposed ? c[j * m + r] : c[r * n + j]
                            let want = expected[r * n + j] + (accumulate ? Double(start[r * n + j]) : 0)
                            XCTAssertEqual(Double(got), want, accuracy: 1e-5 * Double(max(k, 1)),
                                           "\(kernel) m \(m) n \(n) k \(k) packed \(usePacked) transposed \(transposed) acc \(accumulate) at \(r),\(j)")
                        }
                    }
                }
            }
        }
    }

    /// A row's result does not depend on which rows are computed with it (batch composition)
    /// nor on where the column block starts (thread split).
    func testResultsIndependentOfRowRangeAndColumnSplit() {
        for kernel in kernels() {
            let gemm = kernel.function
            let m = 19, n = 100, k = 700, width = VectorGEMM.panelColumns
            let a = values(m * k, seed: 1), w = values(n * k, seed: 2)
            var packed = [Float](repeating: 0, count: Int(ck_packed_columns_count(Int32(n), Int32(k))))
            ck_pack_columns(Int32(n), Int32(k), w, k, &packed)
            var whole = [Float](repeating: 0, count: m * n)
            gemm(0, Int32(m), Int32(n), Int32(k), a, k, packed, width, k * width, &whole, n, 0, 0, nil)
            for row in [0, 7, 18] {
                var single = [Float](repeating: 0, count: n)
                a.withUnsafeBufferPointer { ap in
                    gemm(0, 1, Int32(n), Int32(k), ap.baseAddress! + row * k, k, packed, width, k * width, &single, n, 0, 0, nil)
                }
                XCTAssertEqual(single, Array(whole[(row * n)..<((row + 1) * n)]), "\(kernel) row \(row) alone")
            }
            var split = [Float](repeating: 0, count: m * n)
            split.withUnsafeMutableBufferPointer { sp in
                packed.withUnsafeBufferPointer { pp in
                    gemm(0, Int32(m), Int32(width), Int32(k), a, k, pp.baseAddress!, width, k * width, sp.baseAddress!, n, 0, 0, nil)
                    gemm(0, Int32(m), Int32(n - width), Int32(k), a, k, pp.baseAddress! + k * width, width, k * width,
                                            sp.baseAddress! + width, n, 0, 0, nil)
                }
            }
            XCTAssertEqual(split, whole, "\(kernel)")
        }
    }

    /// A bias passed to the kernel gives the bits of seeding c with it and accumulating (plain
    /// and transposed output, with and without accumulation, k spanning several blocks), and a
    /// column range may start inside a packed panel (the 16-column thread split).
    func testKernelBiasEqualsSeededOutputAndMidPanelRangesMatch() {
        for kernel in kernels() {
            let gemm = kernel.function
            let width = VectorGEMM.panelColumns
            for (m, n, k) in [(13, 100, 70), (9, 50, 2100)] {
                let a = values(m * k, seed: 5), w = values(n * k, seed: 6), bias = values(n, seed: 7), start = values(m * n, seed: 8)
                var packed = [Float](repeating: 0, count: Int(ck_packed_columns_count(Int32(n), Int32(k))))
                ck_pack_columns(Int32(n), Int32(k), w, k, &packed)
                for transposed in [false, true] {
                    let ldc = transposed ? m : n
                    func at(_ r: Int, _ j: Int) -> Int { transposed ? j * m + r : r * n + j }
                    for accumulate in [false, true] {
                        var seeded = start, fused = start
                        for r in 0..<m { for j in 0..<n { seeded[at(r, j)] = accumulate ? start[at(r, j)] + bias[j] : bias[j] } }
                        gemm(0, Int32(m), Int32(n), Int32(k), a, k, packed, width, k * width, &seeded, ldc,
                                                transposed ? 1 : 0, 1, nil)
                        gemm(0, Int32(m), Int32(n), Int32(k), a, k, packed, width, k * width, &fused, ldc,
                                                transposed ? 1 : 0, accumulate ? 1 : 0, bias)
                        XCTAssertEqual(fused, seeded, "\(kernel) m \(m) n \(n) k \(k) transposed \(transposed) accumulate \(accumulate)")
                    }
                }
                // Columns [0, 16), [16, 48) (inside panel 0) and [48, n) computed separately.
                var whole = [Float](repeating: 0, count: m * n), pieces = [Float](repeating: .nan, count: m * n)
                gemm(0, Int32(m), Int32(n), Int32(k), a, k, packed, width, k * width, &whole, n, 0, 0, bias)
                pieces.withUnsafeMutableBufferPointer { cp in
                    packed.withUnsafeBufferPointer { pp in
                        for (j0, j1) in [(0, 16), (16, width), (width, n)] {
                            let panel = j0 / width, offset = j0 - panel * width
                            gemm(0, Int32(m), Int32(j1 - j0), Int32(k), a, k, pp.baseAddress! + panel * k * width + offset,
                                                    width, k * width, cp.baseAddress! + j0, n, 0, 0, bias.withUnsafeBufferPointer { $0.baseAddress! + j0 })
                        }
                    }
                }
                XCTAssertEqual(pieces, whole, "\(kernel) m \(m) n \(n) k \(k) pieces")
            }
        }
    }

    /// The AVX2 kernel gives the AVX-512 kernel's bits (same fused multiply-adds in the same
    /// order): every row count 1...14 against both tile heights, column counts ending inside a
    /// vector, k across the 1024 block edge, plain and packed operands, bias, accumulation and
    /// transposed output. Runs where the CPU has both (the per-kernel tests above run either).
    func testAVX2KernelMatchesAVX512KernelBitForBit() {
        guard VectorGEMM.Kernel.avx512.isSupported, VectorGEMM.Kernel.avx2.isSupported else { return }
        let wide = VectorGEMM.Kernel.avx512.function, narrow = VectorGEMM.Kernel.avx2.function
        let width = VectorGEMM.panelColumns
        for (n, k) in [(1, 5), (9, 33), (23, 1030), (48, 64), (61, 200), (100, 2100)] {
            let a = values(14 * k, seed: UInt64(n + k)), bt = values(n * k, seed: UInt64(3 * n + k)), bias = values(n, seed: 11)
            var packed = [Float](repeating: 0, count: Int(ck_packed_columns_count(Int32(n), Int32(k))))
            ck_pack_columns(Int32(n), Int32(k), bt, k, &packed)
            var plain = [Float](repeating: 0, count: k * n)  // b [k][n] row-major
            for t in 0..<k { for j in 0..<n { plain[t * n + j] = bt[j * k + t] } }
            for m in 1...14 {
                let start = values(m * n, seed: UInt64(m))
                for (usePacked, transposed, accumulate, withBias) in [(true, false, false, true), (true, false, true, true),
                                                                     (false, false, true, false), (true, true, false, true),
                                                                     (false, true, true, true)] {
                    var x = start, y = start
                    let (b, ldb, stride) = usePacked ? (packed, width, k * width) : (plain, n, width)
                    let ldc = transposed ? m : n
                    let bp: UnsafePointer<Float>? = nil
                    func run(_ f: VectorGEMM.Kernel.Function, _ c: inout [Float]) {
                        bias.withUnsafeBufferPointer { biasBuffer in
                            f(0, Int32(m), Int32(n), Int32(k), a, k, b, ldb, stride, &c, ldc, transposed ? 1 : 0,
                              accumulate ? 1 : 0, withBias ? biasBuffer.baseAddress : bp)
                        }
                    }
                    run(wide, &x)
                    run(narrow, &y)
                    XCTAssertEqual(x.map(\.bitPattern), y.map(\.bitPattern),
                                   "m \(m) n \(n) k \(k) packed \(usePacked) transposed \(transposed) acc \(accumulate) bias \(withBias)")
                }
            }
        }
    }

    /// The AVX-512 kernel on 16-column strips (`ck_gemm_rows_by_strips`, how it multiplies a
    /// strips16 weight from the file; `ck_gemm_rows_by_half_strips` for f16 and bf16 ones) gives
    /// the bits of the same kernel on the (widened) weight packed as 48-column panels: every tile shape (rows 1...14, 1-3 vectors, masked tails), k across the
    /// 1024 blocks and zero, from a strip inside the weight, stored and accumulated, with and
    /// without bias, with a row stride wider than k.
    func testAVX512StripsMatchPanelsBitForBit() {
        guard VectorGEMM.Kernel.avx512.isSupported else { return }
        let width = VectorGEMM.panelColumns
        for (n, k) in [(1, 5), (16, 3), (23, 1030), (48, 64), (61, 200), (112, 2100), (0, 8)] {
            let lda = k + 3
            let a = values(14 * lda, seed: UInt64(n + k)), w = values(max(1, n * k), seed: UInt64(5 * n + k)), bias = values(max(1, n), seed: 13)
            var panels = [Float](repeating: .nan, count: max(1, Int(ck_packed_columns_count(Int32(n), Int32(k)))))
            var strips = [Float](repeating: .nan, count: max(1, Int(ck_packed_strips_count(Int32(n), Int32(k)))))
            ck_pack_columns(Int32(n), Int32(k), w, k, &panels)
            ck_pack_strips(Int32(n), Int32(k), w, k, &strips)
            for m in 1...14 {
                let start = values(m * max(n, 1), seed: UInt64(m))
                for (accumulate, withBias) in [(false, false), (false, true), (true, false), (true, true)] {
                    var viaPanels = start, viaStrips = start
                    let noBias: UnsafePointer<Float>? = nil
                    bias.withUnsafeBufferPointer { bb in
                        let bp = withBias ? bb.baseAddress : noBias
                        ck_gemm_rows_by_columns(0, Int32(m), Int32(n), Int32(k), a, lda, panels, width, k * width, &viaPanels,
                                                max(n, 1), 0, accumulate ? 1 : 0, bp)
                        ck_gemm_rows_by_strips(0, Int32(m), Int32(n), Int32(k), a, lda, strips, 16 * k, &viaStrips,
                                               max(n, 1), accumulate ? 1 : 0, bp, 0)
                    }
                    XCTAssertEqual(viaStrips.map(\.bitPattern), viaPanels.map(\.bitPattern),
                                   "m \(m) n \(n) k \(k) acc \(accumulate) bias \(withBias)")
                }
            }
            // The same strips stored as f16 and bf16 (`ck_gemm_rows_by_half_strips`): the bits of the
            // panels of the widened weight.
            for bf16 in [false, true] {
                let wide = w.map { bf16 ? HalfFloat.bf16ToF32(HalfFloat.f32ToBF16($0)) : Float(Float16($0)) }
                var widePanels = panels, wideStrips = strips
                ck_pack_columns(Int32(n), Int32(k), wide, k, &widePanels)
                ck_pack_strips(Int32(n), Int32(k), wide, k, &wideStrips)
                let stored = wideStrips.map { bf16 ? HalfFloat.f32ToBF16($0) : Float16($0).bitPattern }
                var scratch = [Float](repeating: .nan, count: Int(ck_gemm_rows_by_half_strips_scratch_count()) + 16)
                for m in [1, 8, 9, 14] {
                    let start = values(m * max(n, 1), seed: UInt64(m + 100))
                    for (accumulate, withBias) in [(false, true), (true, false)] {
                        var viaPanels = start, viaHalf = start
                        let noBias: UnsafePointer<Float>? = nil
                        bias.withUnsafeBufferPointer { bb in
                            scratch.withUnsafeMutableBufferPointer { sb in
                                // 64-byte aligned scratch inside the array.
                                let raw = UInt(bitPattern: sb.baseAddress!), aligned = (raw + 63) & ~UInt(63)
                                let panel = sb.baseAddress! + Int(aligned - raw) / 4
                                let bp = withBias ? bb.baseAddress : noBias
                                ck_gemm_rows_by_columns(0, Int32(m), Int32(n), Int32(k), a, lda, widePanels, width, k * width,
                                                        &viaPanels, max(n, 1), 0, accumulate ? 1 : 0, bp)
                                ck_gemm_rows_by_half_strips(0, Int32(m), Int32(n), Int32(k), a, lda, stored, bf16 ? 1 : 0, 16 * k,
                                                            &viaHalf, max(n, 1), accumulate ? 1 : 0, bp, panel, 0)
                            }
                        }
                        XCTAssertEqual(viaHalf.map(\.bitPattern), viaPanels.map(\.bitPattern),
                                       "half strips bf16 \(bf16) m \(m) n \(n) k \(k) acc \(accumulate) bias \(withBias)")
                    }
                }
            }
            // From strip 1 on (column 16 of the weight): the columns 16..<n of the panels' product.
            if n > 16 {
                var full = [Float](repeating: 0, count: 5 * n), part = [Float](repeating: 0, count: 5 * n)
                ck_gemm_rows_by_columns(0, 5, Int32(n), Int32(k), a, lda, panels, width, k * width, &full, n, 0, 0, nil)
                strips.withUnsafeBufferPointer { sb in
                    part.withUnsafeMutableBufferPointer { pb in
                        ck_gemm_rows_by_strips(0, 5, Int32(n - 16), Int32(k), a, lda, sb.baseAddress! + 16 * k, 16 * k,
                                               pb.baseAddress! + 16, n, 0, nil, 0)
                    }
                }
                for r in 0..<5 {
                    XCTAssertEqual(part[(r * n + 16)..<(r * n + n)].map(\.bitPattern), full[(r * n + 16)..<(r * n + n)].map(\.bitPattern),
                                   "n \(n) k \(k) row \(r): from strip 1")
                }
                // The first strips with the rest named as following columns (asked for ahead, not
                // multiplied): the first columns' bits, the rest untouched.
                let first = (n - 1) / 16 * 16
                var head = [Float](repeating: .nan, count: 5 * n)
                strips.withUnsafeBufferPointer { sb in
                    ck_gemm_rows_by_strips(0, 5, Int32(first), Int32(k), a, lda, sb.baseAddress!, 16 * k, &head, n, 0, nil,
                                           Int32(n - first))
                }
                for r in 0..<5 {
                    XCTAssertEqual(head[(r * n)..<(r * n + first)].map(\.bitPattern), full[(r * n)..<(r * n + first)].map(\.bitPattern),
                                   "n \(n) k \(k) row \(r): first \(first) columns, \(n - first) following")
                    XCTAssertTrue(head[(r * n + first)..<(r * n + n)].allSatisfy(\.isNaN), "n \(n) k \(k) row \(r): following columns untouched")
                }
            }
        }
    }

    /// The AVX2 Linear path on packed rows (`ck_pack_row_tiles` + `ck_gemm_packed_rows_avx2`)
    /// against the AVX2 kernel on plain rows, bit for bit: row counts across the 6-row tiles, k
    /// across the 256 sub-blocks and the 1024 blocks (and zero), masked column tails, columns
    /// as packed strips (`ck_pack_strips`, also from column 16 on) or a plain row-major matrix,
    /// the rows packed by two tile ranges, stored and accumulated, with and without bias.
    func testPackedRowsMatchAVX2KernelBitForBit() {
        guard VectorGEMM.Kernel.avx2.isSupported else { return }
        let width = VectorGEMM.panelColumns, tileRows = Int(CK_PACKED_TILE_ROWS)
        for (n, k) in [(5, 0), (16, 1), (53, 255), (48, 257), (96, 1024), (100, 1300), (40, 2600)] {
            let bt = values(n * k, seed: UInt64(n + 7 * k)), bias = values(n, seed: 13)
            var panels = [Float](repeating: 0, count: Int(ck_packed_columns_count(Int32(n), Int32(k))))
            ck_pack_columns(Int32(n), Int32(k), bt, k, &panels)
            var strips = [Float](repeating: .nan, count: Int(ck_packed_strips_count(Int32(n), Int32(k))))
            ck_pack_strips(Int32(n), Int32(k), bt, k, &strips)
            var plain = [Float](repeating: 0, count: k * n)  // b [k][n] row-major
            for t in 0..<k { for j in 0..<n { plain[t * n + j] = bt[j * k + t] } }
            for m in [1, 5, 6, 7, 13, 50] {
                let lda = k + 3
                let a = values(m * lda, seed: UInt64(m * 31 + k)), start = values(m * n, seed: UInt64(m + n))
                var rows = [Float](repeating: .nan, count: Int(ck_packed_rows_count(Int32(m), Int32(k))))
                var partial = [Float](repeating: .nan, count: Int(ck_packed_rows_partial_count(Int32(m))))
                let tiles = (m + tileRows - 1) / tileRows
                ck_pack_row_tiles(0, Int32(tiles / 2), Int32(m), Int32(k), a, lda, &rows)
                ck_pack_row_tiles(Int32(tiles / 2), Int32(tiles), Int32(m), Int32(k), a, lda, &rows)
                // (plain b, first column): the whole width from strips and from plain rows, then from column 16 on.
                for (usePlain, first) in [(false, 0), (true, 0)] + (n > 16 ? [(false, 16)] : []) {
                    let cols = n - first
                    for (accumulate, withBias) in [(false, false), (false, true), (true, false), (true, true)] {
                        var expected = start, actual = start
                        bias.withUnsafeBufferPointer { b in
                            let bp = withBias ? b.baseAddress! + first : nil
                            expected.withUnsafeMutableBufferPointer { c in
                                if usePlain {
                                    ck_gemm_rows_by_columns_avx2(0, Int32(m), Int32(cols), Int32(k), a, lda, plain, n, width,
                                                                 c.baseAddress!, n, 0, accumulate ? 1 : 0, bp)
                                } else {
                                    // The reference runs panel by panel from `first` as Dense does on AVX-512.
                                    panels.withUnsafeBufferPointer { pp in
                                        var j = first
                                        while j < n {
                                            let panel = j / width, end = min(n, (panel + 1) * width)
                                            ck_gemm_rows_by_columns_avx2(0, Int32(m), Int32(end - j), Int32(k), a, lda,
                                                                         pp.baseAddress! + panel * k * width + j - panel * width,
                                                                         width, k * width, c.baseAddress! + j, n, 0,
                                                                         accumulate ? 1 : 0, withBias ? b.baseAddress! + j : nil)
                                            j = end
                                        }
                                    }
                                }
                            }
                            actual.withUnsafeMutableBufferPointer { c in
                                if usePlain {
                                    ck_gemm_packed_rows_avx2(Int32(m), Int32(cols), Int32(k), rows, 0, Int32(tiles), plain, n, 16, c.baseAddress!, n,
                                                             accumulate ? 1 : 0, bp, &partial)
                                } else {
                                    strips.withUnsafeBufferPointer { sp in
                                        ck_gemm_packed_rows_avx2(Int32(m), Int32(cols), Int32(k), rows, 0, Int32(tiles), sp.baseAddress! + first * k,
                                                                 16, 16 * k, c.baseAddress! + first, n, accumulate ? 1 : 0, bp,
                                                                 &partial)
                                    }
                                }
                            }
                        }
                        XCTAssertEqual(expected.map(\.bitPattern), actual.map(\.bitPattern),
                                       "m \(m) n \(n) k \(k) plain \(usePlain) first column \(first) acc \(accumulate) bias \(withBias)")
                    }
                }
                // Rows from the second tile on (a row range of a packed matrix, as the Winograd split uses).
                if m > tileRows {
                    let rest = m - tileRows
                    var expected = [Float](repeating: 0, count: rest * n), actual = expected
                    a.withUnsafeBufferPointer { ap in
                        ck_gemm_rows_by_columns_avx2(0, Int32(rest), Int32(n), Int32(k), ap.baseAddress! + tileRows * lda, lda, plain, n,
                                                     width, &expected, n, 0, 0, nil)
                    }
                    ck_gemm_packed_rows_avx2(Int32(rest), Int32(n), Int32(k), rows, 1, Int32(tiles), plain, n, 16, &actual, n, 0, nil,
                                             &partial)
                    XCTAssertEqual(expected.map(\.bitPattern), actual.map(\.bitPattern), "rows from tile 1: m \(m) n \(n) k \(k)")
                    // A range reaching past the packed tiles is refused (left untouched).
                    var untouched = [Float](repeating: 7, count: m * n)
                    ck_gemm_packed_rows_avx2(Int32(m), Int32(n), Int32(k), rows, 1, Int32(tiles), plain, n, 16, &untouched, n, 0, nil,
                                             &partial)
                    XCTAssertEqual(untouched, [Float](repeating: 7, count: m * n))
                }
            }
        }
    }

    /// The fused attention head on every kernel this CPU has, against softmax(scale Q K^T) V in
    /// Double: query and key counts across the tile heights and vector widths (up to past the
    /// 1024 block of the product kernels), head widths ending inside a vector, score ranges
    /// that underflow exp. Where the CPU has both kernels, their heads give the same bits.
    /// A Linear weight stored as 16-bit strips gives, on the enabled engine, the bits of the same
    /// weight widened to float32 (AVX2: widened inside the kernel; others: rows read back). Then,
    /// where the CPU has AVX2, the kernel itself against the float32 strips of the widened
    /// values, bit for bit: k across the 256 sub-blocks and the 1024 blocks, row counts across
    /// tiles, from column 16 on, stored and accumulated, with and without bias; n not a
    /// multiple of 16 writes nothing.
    func testHalfStripsMatchWidenedFloatStripsBitForBit() throws {
        // 600 rows: the AVX-512 kernel runs them as row blocks, widening each block of 16-bit
        // strips once per row block.
        for (bf16, m) in [(false, 13), (true, 13), (false, 600), (true, 600)] {
            let (n, k) = (48, 1300)
            let wide = values(n * k, seed: 5).map { bf16 ? HalfFloat.bf16ToF32(HalfFloat.f32ToBF16($0)) : Float(Float16($0)) }
            var strips = [Float](repeating: .nan, count: Int(ck_packed_strips_count(Int32(n), Int32(k))))
            ck_pack_strips(Int32(n), Int32(k), wide, k, &strips)
            let stored = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: strips.count)
            defer { stored.deallocate() }
            for i in strips.indices { stored[i] = bf16 ? HalfFloat.f32ToBF16(strips[i]) : Float16(strips[i]).bitPattern }
            let owner = Float32Tensor(shape: [n, k], values: wide)
            let half = PackedLinearWeight(halfStrips: UnsafePointer(stored.baseAddress!), bf16: bf16, outFeatures: n, inFeatures: k,
                                          owner: owner.owner, readRows: { first, count, destination in
                destination.update(from: owner.baseAddress + first * k, count: count * k)
            })
            let widened = PackedLinearWeight(weight: owner.baseAddress, outFeatures: n, inFeatures: k, owner: owner.owner)
            let x = values(m * k, seed: 6), bias = values(n, seed: 7)
            var a = [Float](repeating: .nan, count: m * n), b = a
            Dense.linear(x, rows: m, weight: half, bias: bias, into: &a)
            Dense.linear(x, rows: m, weight: widened, bias: bias, into: &b)
            XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "bf16 \(bf16) on \(VectorGEMM.engine)")
        }
        if VectorGEMM.Kernel.avx2.isSupported { try checkHalfStripsKernel() }
    }

    private func checkHalfStripsKernel() throws {
        let tileRows = Int(CK_PACKED_TILE_ROWS)
        for bf16 in [false, true] {
            for (n, k) in [(16, 1), (32, 255), (48, 257), (64, 1024), (32, 1300), (16, 2600)] {
                let wide = values(n * k, seed: UInt64(n + 3 * k)).map { v -> Float in
                    bf16 ? HalfFloat.bf16ToF32(HalfFloat.f32ToBF16(v)) : Float(Float16(v))
                }
                let bits = wide.map { bf16 ? HalfFloat.f32ToBF16($0) : Float16($0).bitPattern }
                var strips = [Float](repeating: .nan, count: Int(ck_packed_strips_count(Int32(n), Int32(k))))
                ck_pack_strips(Int32(n), Int32(k), wide, k, &strips)
                // The 16-bit strips: the same arrangement of the bit patterns.
                let halfStrips = strips.map { bf16 ? HalfFloat.f32ToBF16($0) : Float16($0).bitPattern }
                XCTAssertEqual(bits.count, n * k)
                let bias = values(n, seed: 11)
                for m in [1, 7, 13] {
                    let a = values(m * k, seed: UInt64(m + k))
                    var rows = [Float](repeating: .nan, count: Int(ck_packed_rows_count(Int32(m), Int32(k))))
                    let tiles = Int32((m + tileRows - 1) / tileRows)
                    ck_pack_row_tiles(0, tiles, Int32(m), Int32(k), a, k, &rows)
                    var partial = [Float](repeating: .nan, count: Int(ck_packed_rows_partial_count(Int32(m))))
                    let start = values(m * n, seed: UInt64(m * n))
                    for first in [0] + (n > 16 ? [16] : []) {
                        for (accumulate, withBias) in [(false, false), (false, true), (true, true)] {
                            var expected = start, actual = start
                            let cols = Int32(n - first)
                            strips.withUnsafeBufferPointer { w in
                                halfStrips.withUnsafeBufferPointer { h in
                                    bias.withUnsafeBufferPointer { bp in
                                        let b = withBias ? bp.baseAddress! + first : nil
                                        expected.withUnsafeMutableBufferPointer { c in
                                            ck_gemm_packed_rows_avx2(Int32(m), cols, Int32(k), rows, 0, tiles, w.baseAddress! + first * k, 16,
                                                                     16 * k, c.baseAddress! + first, n, accumulate ? 1 : 0, b, &partial)
                                        }
                                        actual.withUnsafeMutableBufferPointer { c in
                                            ck_gemm_packed_rows_half_strips_avx2(Int32(m), cols, Int32(k), rows, 0, tiles,
                                                                                 h.baseAddress! + first * k, bf16 ? 1 : 0, 16 * k,
                                                                                 c.baseAddress! + first, n, accumulate ? 1 : 0, b, &partial)
                                        }
                                    }
                                }
                            }
                            XCTAssertNil(actual.indices.first { actual[$0].bitPattern != expected[$0].bitPattern },
                                         "first differing output, bf16 \(bf16) n \(n) k \(k) m \(m) from \(first) acc \(accumulate) bias \(withBias)")
                        }
                    }
                    var untouched = start
                    halfStrips.withUnsafeBufferPointer { hp in
                        ck_gemm_packed_rows_half_strips_avx2(Int32(m), 15, Int32(k), rows, 0, tiles, hp.baseAddress!, bf16 ? 1 : 0,
                                                             16 * k, &untouched, n, 0, nil, &partial)
                    }
                    XCTAssertEqual(untouched, start, "n = 15 must write nothing")
                }
            }
        }
    }

    /// `ck_pack_row_tile_columns` filling a packed operand piece by piece (every tile, column
    /// ranges inside and across the 256-column sub-blocks) writes what `ck_pack_row_tiles` does,
    /// zero rows past m included; out-of-range pieces write nothing.
    func testRowTilePiecesAssembleThePackedRows() {
        let tileRows = Int(CK_PACKED_TILE_ROWS)
        for (m, k, piece) in [(1, 1, 1), (6, 64, 64), (13, 300, 64), (20, 600, 100), (7, 257, 256), (11, 1030, 7)] {
            let lda = k + 5, a = values(m * lda, seed: UInt64(m * 17 + k))
            let count = Int(ck_packed_rows_count(Int32(m), Int32(k))), tiles = (m + tileRows - 1) / tileRows
            var expected = [Float](repeating: .nan, count: count), actual = expected
            ck_pack_row_tiles(0, Int32(tiles), Int32(m), Int32(k), a, lda, &expected)
            for t in 0..<tiles {
                for c0 in stride(from: 0, to: k, by: piece) {
                    let c1 = min(k, c0 + piece)
                    // The tile's rows from column c0 on, as a caller's local [6][piece] buffer.
                    var rows = [Float](repeating: .nan, count: tileRows * piece)
                    for r in 0..<min(tileRows, m - t * tileRows) {
                        for kk in c0..<c1 { rows[r * piece + kk - c0] = a[(t * tileRows + r) * lda + kk] }
                    }
                    ck_pack_row_tile_columns(Int32(t), Int32(m), Int32(k), Int32(c0), Int32(c1), rows, piece, &actual)
                }
            }
            XCTAssertNil(actual.indices.first { actual[$0].bitPattern != expected[$0].bitPattern },
                         "first differing float, m \(m) k \(k) pieces of \(piece)")
            let before = actual
            for (t, c0, c1) in [(-1, 0, 1), (tiles, 0, 1), (0, -1, 1), (0, 0, k + 1), (0, 1, 1)] {
                ck_pack_row_tile_columns(Int32(t), Int32(m), Int32(k), Int32(c0), Int32(c1), a, lda, &actual)
            }
            XCTAssertNil(actual.indices.first { actual[$0].bitPattern != before[$0].bitPattern }, "out-of-range pieces wrote")
        }
    }

    func testAttentionHeadsMatchDoubleAndEachOther() {
        let heads = kernels().map { ($0, $0.attentionHead) }
        // Up to 13 queries: one block; 50, 97 and 130: two and three blocks of 48 with ragged last ones.
        for (tq, tk, d, spread) in [(1, 1, 16, Float(1)), (5, 15, 24, 1), (6, 17, 64, 4), (7, 33, 80, 1), (13, 289, 64, 2),
                                    (3, 1100, 64, 1), (9, 40, 8, 60), (50, 60, 64, 1), (97, 97, 64, 2), (130, 131, 40, 1)] {
            let ld = 3 * d + 5
            let qkv = values(tk * ld, seed: UInt64(tq * 31 + tk + d)).map { $0 * spread }
            let scale = 1 / Float(d).squareRoot()
            var expected = [Double](repeating: 0, count: tq * d)
            for r in 0..<tq {
                let qr = tk - tq + r  // the last tq rows are the queries
                var scores = (0..<tk).map { j in (0..<d).reduce(0.0) { $0 + Double(qkv[qr * ld + $1]) * Double(qkv[j * ld + d + $1]) } * Double(scale) }
                let top = scores.max()!
                scores = scores.map { Foundation.exp($0 - top) }
                let total = scores.reduce(0, +)
                for c in 0..<d { expected[r * d + c] = (0..<tk).reduce(0.0) { $0 + scores[$1] * Double(qkv[$1 * ld + 2 * d + c]) } / total }
            }
            var outputs: [[Float]] = []
            for (kernel, head) in heads {
                var out = [Float](repeating: .nan, count: tq * d)
                var scratch = [Float](repeating: .nan, count: Int(ck_attention_scratch_count(Int32(tq), Int32(tk), Int32(d))))
                qkv.withUnsafeBufferPointer { p in
                    let base = p.baseAddress!
                    head(base + (tk - tq) * ld, base + d, base + 2 * d, ld, Int32(tq), Int32(tk), Int32(d), scale, &out, d, &scratch)
                }
                for i in 0..<(tq * d) {
                    XCTAssertEqual(Double(out[i]), expected[i], accuracy: 2e-6 * Double(spread),
                                   "\(kernel) tq \(tq) tk \(tk) d \(d) at \(i)")
                }
                outputs.append(out)
            }
            if outputs.count == 2 {
                XCTAssertEqual(outputs[0].map(\.bitPattern), outputs[1].map(\.bitPattern), "tq \(tq) tk \(tk) d \(d): AVX2 head bits")
            }
        }
    }

    /// The thread split of a packed Linear: 16-column boundaries covering every column once, and
    /// shares within one vector of each other (1024 outputs: 512 each, not 11 and 10 1/3 panels).
    func testPackedLinearSplitIsBalancedOnVectorBoundaries() {
        for n in [1, 16, 100, 1024, 3072, 4096, 1000] {
            for parts in 1...4 {
                let bounds = (0...parts).map { Dense.packedLinearBoundary($0, of: parts, outFeatures: n) }
                XCTAssertEqual(bounds.first, 0)
                XCTAssertEqual(bounds.last, n)
                for p in 0..<parts {
                    XCTAssertLessThanOrEqual(bounds[p], bounds[p + 1], "n \(n) parts \(parts)")
                    if p > 0 { XCTAssertEqual(bounds[p] % 16, 0) }
                    XCTAssertLessThanOrEqual(abs((bounds[p + 1] - bounds[p]) - n / parts), 16, "n \(n) parts \(parts) part \(p)")
                }
            }
        }
        XCTAssertEqual(Dense.packedLinearBoundary(1, of: 2, outFeatures: 1024), 512)
    }

    /// The work items of a packed Linear on 48-column panels (AVX-512): panel boundaries covering
    /// every column once, each item whole panels, shares within one panel of each other.
    func testPackedLinearPanelItemsAreWholePanels() {
        let width = VectorGEMM.panelColumns
        for n in [1, 16, 48, 100, 1024, 3072, 4096, 1000] {
            let panels = (n + width - 1) / width
            for parts in [1, 2, 3, 16] where parts <= panels {
                let bounds = (0...parts).map { Dense.packedLinearPanelBoundary($0, of: parts, outFeatures: n) }
                XCTAssertEqual(bounds.first, 0)
                XCTAssertEqual(bounds.last, n)
                for p in 0..<parts {
                    XCTAssertLessThan(bounds[p], bounds[p + 1], "n \(n) parts \(parts): empty item \(p)")
                    XCTAssertEqual(bounds[p] % width, 0, "n \(n) parts \(parts) item \(p)")
                    let items = (bounds[p + 1] - bounds[p] + width - 1) / width
                    XCTAssertTrue(items == panels / parts || items == (panels + parts - 1) / parts, "n \(n) parts \(parts) item \(p): \(items) panels")
                }
            }
        }
        XCTAssertEqual(Dense.packedLinearPanelBoundary(1, of: 16, outFeatures: 4096), 5 * 48)  // 86 panels: 5 or 6 each
    }

    /// The packed Linear (with bias, accumulation and row strides) against OpenBLAS, and the
    /// same bits for one or two threads; the source is released once, after packing.
    func testPackedLinearMatchesOpenBLASAndIgnoresThreadCount() {
        let m = 37, k = 300, n = 200, ldx = 310, ldy = 205
        let x = values(m * ldx, seed: 3), wv = values(n * k, seed: 4), bias = values(n, seed: 5), start = values(m * ldy, seed: 6)
        let storage = FloatStorage(wv)
        final class Counter: @unchecked Sendable { var releases = 0 }
        let counter = Counter()
        let weight = PackedLinearWeight(weight: UnsafePointer(storage.pointer.baseAddress!), outFeatures: n, inFeatures: k,
                                        owner: storage, releaseSource: { counter.releases += 1 })
        var reference = start
        Dense.linear(x, rows: m, inFeatures: k, weight: storage.pointer.baseAddress!, bias: bias, outFeatures: n,
                     into: &reference, accumulate: true, ldx: ldx, ldy: ldy)
        var results: [[Float]] = []
        for threads in [1, 2] {
            ComputeThreads.set(threads)
            var y = start
            Dense.linear(x, rows: m, weight: weight, bias: bias, into: &y, accumulate: true, ldx: ldx, ldy: ldy)
            results.append(y)
        }
        ComputeThreads.set(0)
        for r in 0..<m {
            for j in 0..<ldy {
                let i = r * ldy + j
                if j >= n { XCTAssertEqual(results[0][i], start[i], "padding column \(j) untouched"); continue }
                XCTAssertEqual(results[0][i], reference[i], accuracy: 2e-4, "at \(r),\(j)")
            }
        }
        XCTAssertEqual(results[0], results[1], "thread count changed the bits")
        XCTAssertEqual(counter.releases, VectorGEMM.isEnabled ? 1 : 0)
        XCTAssertEqual(weight.packedBytes > 0, VectorGEMM.isEnabled)
    }

    /// A weight read row block by row block (16-bit file tensors) gives the same bits as the
    /// same values in memory, on either engine; its float32 copy is made only when asked for.
    func testRowReaderWeightMatchesInMemoryWeight() {
        let m = 19, k = 130, n = 100
        let x = values(m * k, seed: 7), wv = values(n * k, seed: 8), bias = values(n, seed: 9)
        let storage = FloatStorage(wv)
        final class Counter: @unchecked Sendable {
            let lock = NSLock()
            var reads = 0, releases = 0
            func read() { lock.lock(); reads += 1; lock.unlock() }
        }
        let counter = Counter()
        let inMemory = PackedLinearWeight(weight: UnsafePointer(storage.pointer.baseAddress!), outFeatures: n, inFeatures: k,
                                          owner: storage)
        let streamed = PackedLinearWeight(outFeatures: n, inFeatures: k, readRows: { first, count, destination in
            precondition(first >= 0 && count > 0 && first + count <= n)
            counter.read()
            for i in 0..<(count * k) { destination[i] = storage.pointer[first * k + i] }
        }, releaseSource: { counter.releases += 1 })
        var a = [Float](repeating: 0, count: m * n), b = a
        Dense.linear(x, rows: m, weight: inMemory, bias: bias, into: &a)
        Dense.linear(x, rows: m, weight: streamed, bias: bias, into: &b)
        Dense.linear(x, rows: m, weight: streamed, bias: bias, into: &b)
        XCTAssertEqual(a, b)
        // The source is given back once the packed copy (our kernels) or the float32 copy (OpenBLAS) exists.
        XCTAssertEqual(counter.releases, 1)
        // Packing reads each 48-row panel once, and so does the OpenBLAS engine's float32 copy.
        XCTAssertEqual(counter.reads, (n + 47) / 48)
        let copy = streamed.weight
        XCTAssertEqual(Array(UnsafeBufferPointer(start: copy, count: n * k)), wv)
        XCTAssertEqual(streamed.weight, copy, "float32 copy made once")
    }

    /// Large Linear layers run on every compute thread (a precedence slip once kept them on one).
    func testPackedLinearUsesEveryThreadForLargeLayers() {
        XCTAssertEqual(Dense.packedLinearParts(rows: 289, outFeatures: 4096, inFeatures: 1024, threads: 2), 2)
        XCTAssertEqual(Dense.packedLinearParts(rows: 289, outFeatures: 1024, inFeatures: 4096, threads: 8), 8)
        XCTAssertEqual(Dense.packedLinearParts(rows: 65, outFeatures: 768, inFeatures: 768, threads: 4), 4)
        // Small products stay on one thread; never more threads than panels.
        XCTAssertEqual(Dense.packedLinearParts(rows: 1, outFeatures: 64, inFeatures: 64, threads: 4), 1)
        XCTAssertEqual(Dense.packedLinearParts(rows: 4096, outFeatures: 96, inFeatures: 4096, threads: 8), 2)
        XCTAssertEqual(Dense.packedLinearParts(rows: 0, outFeatures: 96, inFeatures: 96, threads: 8), 1)
    }

    /// Dense.gemm (plain and transposed b, stored and accumulated) on whichever path is enabled,
    /// against a double reference; the row split over threads changes no bit.
    func testDenseGemmBothLayoutsAndSplits() {
        let m = 45, n = 70, k = 400  // above the size that splits rows over threads
        let a = values(m * k, seed: 21), bn = values(k * n, seed: 22), start = values(m * n, seed: 23)
        var bt = [Float](repeating: 0, count: n * k)
        for t in 0..<k { for j in 0..<n { bt[j * k + t] = bn[t * n + j] } }
        for transB in [false, true] {
            for beta: Float in [0, 1] {
                var outputs: [[Float]] = []
                for parallel in [false, true] {
                    var c = start
                    Dense.gemm(transB: transB, m: m, n: n, k: k, a: a, lda: k, b: transB ? bt : bn, ldb: transB ? k : n,
                               beta: beta, c: &c, ldc: n, parallel: parallel)
                    outputs.append(c)
                }
                XCTAssertEqual(outputs[0], outputs[1], "transB \(transB) beta \(beta): split changed bits")
                for r in 0..<m {
                    for j in 0..<n {
                        var want = Double(beta) * Double(start[r * n + j])
                        for t in 0..<k { want += Double(a[r * k + t]) * Double(bn[t * n + j]) }
                        XCTAssertEqual(Double(outputs[1][r * n + j]), want, accuracy: 1e-4, "transB \(transB) beta \(beta)")
                    }
                }
            }
        }
    }

    /// The C SiLU and GELU loops (vectorised, fused multiply-adds) compute bit for bit what the
    /// Swift SIMD8 definitions compute, and stay within a few float roundings of the exact functions.
    func testPointwiseKernelsMatchSwiftDefinitions() {
        let x = values(1037, seed: 8).map { $0 * 30 } + [-200, 200, 0, -0.0, 88.5, -88.5, 1e-3, -1e-3, 3.9, -4.1]
        var silu = [Float](repeating: 0, count: x.count)
        ck_scale_shift_silu(x, &silu, x.count, 1.25, -0.5)
        var gelu = x
        ck_gelu(&gelu, gelu.count)
        var geluInto = [Float](repeating: 0, count: x.count)
        ck_gelu_into(x, &geluInto, x.count)
        for (i, v) in x.enumerated() {
            let shifted = (-0.5 as Float).addingProduct(v, 1.25)
            let s = VectorExp.silu(SIMD8<Float>(repeating: shifted))[0]
            let g = VectorActivations.gelu(SIMD8<Float>(repeating: v))[0]
            XCTAssertEqual(silu[i].bitPattern, s.bitPattern, "silu at \(v): \(silu[i]) vs \(s)")
            XCTAssertEqual(gelu[i].bitPattern, g.bitPattern, "gelu at \(v): \(gelu[i]) vs \(g)")
            XCTAssertEqual(geluInto[i].bitPattern, g.bitPattern, "gelu_into at \(v)")
            let d = Double(shifted), exactSiLU = d / (1 + Foundation.exp(-d))
            XCTAssertEqual(Double(silu[i]), exactSiLU, accuracy: abs(exactSiLU) * 6e-7 + 1e-30, "silu at \(v)")
            let exactGELU = Double(v) * (1 + Foundation.erf(Double(v) / 2.0.squareRoot())) / 2
            // erf to within 1e-6 (times |v| / 2), then a few roundings.
            XCTAssertEqual(Double(gelu[i]), exactGELU, accuracy: abs(Double(v)) * 5e-7 + abs(exactGELU) * 6e-7 + 1e-30, "gelu at \(v)")
            // The softmax loop's exponential is the same one: [-|v|, 0] -> [e / (e + 1), 1 / (e + 1)].
            var row: [Float] = [-abs(v), 0]
            ck_softmax_rows(&row, 1, 2, 2, 1)
            let e = VectorExp.exp(SIMD8<Float>(repeating: -abs(v)))[0], inv = 1 / (e + 1)
            XCTAssertEqual(row[0].bitPattern, (e * inv).bitPattern, "softmax at \(v)")
        }
    }

    /// Giving back a mapped tensor's pages leaves its values readable and unchanged.
    func testReleasedPagesReadBackFromTheFile() throws {
        let count = 5000
        let original = values(count, seed: 11)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vgemm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("w.tzw").path
        let writer = try WeightFileWriter(alignment: 4096)
        try writer.add(name: "w", shape: [count], values: original)
        try writer.write(to: path, metadata: ModelMetadata(family: "test", variant: "w", config: .object([:])))
        let file = try WeightFile(path: path)
        let tensor = try file.float32("w")
        XCTAssertEqual(Array(tensor.buffer), original)
        file.releaseResidentPages(of: tensor)
        XCTAssertEqual(Array(tensor.buffer), original)
    }
}

/// A packed Linear over many rows (a batch of sequences, run as row groups on the AVX2 kernel)
/// gives every row the bits it gets computed alone or with other rows, at any thread count.
/// OpenBLAS sums a row differently with the row count of the product: there, to rounding.
final class PackedLinearRowGroupTests: XCTestCase {
    final class Owner: @unchecked Sendable { let values: [Float]; init(_ v: [Float]) { values = v } }

    func testManyRowsMatchSubsetsBitForBit() {
        // k past one k block: the AVX-512 kernel then runs more than 192 rows as row blocks.
        let m = 2 * VectorGEMM.maxGroupTiles * VectorGEMM.packedTileRows + 41, n = 100, k = 1100
        var state: UInt64 = 12345
        func next() -> Float { state = state &* 6364136223846793005 &+ 1442695040888963407; return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000 }
        let x = (0..<(m * k)).map { _ in next() }, bias = (0..<n).map { _ in next() }
        let owner = Owner((0..<(n * k)).map { _ in next() })
        let weight = owner.values.withUnsafeBufferPointer { PackedLinearWeight(weight: $0.baseAddress!, outFeatures: n, inFeatures: k, owner: owner) }
        func linear(_ rows: Range<Int>) -> [Float] {
            var y = [Float](repeating: .nan, count: rows.count * n)
            x.withUnsafeBufferPointer { xb in
                bias.withUnsafeBufferPointer { bb in
                    Dense.linear(xb.baseAddress! + rows.lowerBound * k, rows: rows.count, weight: weight, bias: bb.baseAddress, into: &y)
                }
            }
            return y
        }
        for threads in [1, 2, 3] {
            ComputeThreads.set(threads)
            defer { ComputeThreads.set(0) }
            let whole = linear(0..<m)
            for rows in [0..<289, 289..<m, 100..<101, (m - 7)..<m] {
                let alone = linear(rows), together = whole[(rows.lowerBound * n)..<(rows.upperBound * n)]
                if VectorGEMM.isEnabled {
                    let differing = zip(alone, together).filter { $0.bitPattern != $1.bitPattern }.count
                    XCTAssertEqual(differing, 0, "rows \(rows), \(threads) threads")
                } else {
                    // Sums of 1100 products of values up to 1: rounding scales with the result's magnitude.
                    let worst = zip(alone, together).map { abs($0 - $1) }.max() ?? .nan
                    let scale = max(1, together.map { abs($0) }.max() ?? 1)
                    XCTAssertLessThanOrEqual(worst, 1e-5 * scale, "rows \(rows), \(threads) threads")
                }
            }
        }
    }
}

/// A Linear of transformed rows (GELU, LayerNorm) gives the bits of transforming the rows first
/// and multiplying them, on every engine: on the packed-row kernel the rows are transformed as
/// they are packed, elsewhere through the staging buffer. Row counts off the 6-row tiles, k past
/// one 256-deep sub-block, a strided input, 1-3 threads; the input is left as it was.
final class TransformedRowsLinearTests: XCTestCase {
    final class Owner: @unchecked Sendable { let values: [Float]; init(_ v: [Float]) { values = v } }

    func testTransformedRowsMatchTransformThenLinear() {
        let n = 200, k = 300, ldx = 310
        var state: UInt64 = 777
        func next() -> Float { state = state &* 6364136223846793005 &+ 1442695040888963407; return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 400 }
        let owner = Owner((0..<(n * k)).map { _ in next() / 4 })
        let weight = owner.values.withUnsafeBufferPointer { PackedLinearWeight(weight: $0.baseAddress!, outFeatures: n, inFeatures: k, owner: owner) }
        let bias = (0..<n).map { _ in next() }, gamma = (0..<k).map { _ in 1 + next() / 4 }, beta = (0..<k).map { _ in next() }
        for m in [1, 7, 61] {
            let x = (0..<(m * ldx)).map { _ in next() }, start = (0..<(m * n)).map { _ in next() }
            gamma.withUnsafeBufferPointer { g in
                beta.withUnsafeBufferPointer { b in
                    for transform in [RowTransform.gelu, .layerNorm(weight: g.baseAddress!, bias: b.baseAddress!, eps: 1e-5), .none] {
                        for threads in [1, 2, 3] {
                            ComputeThreads.set(threads)
                            defer { ComputeThreads.set(0) }
                            // Expected: the rows transformed by the plain kernels, then the plain Linear.
                            var rows = [Float](repeating: 0, count: m * k)
                            for r in 0..<m { for c in 0..<k { rows[r * k + c] = x[r * ldx + c] } }
                            rows.withUnsafeMutableBufferPointer { p in
                                switch transform {
                                case .none: break
                                case .gelu: Activations.gelu(p.baseAddress!, count: m * k)
                                case .layerNorm(let w, let bb, let eps):
                                    LayerNorm.apply(p.baseAddress!, rows: m, width: k, weight: w, bias: bb, eps: eps, into: p.baseAddress!)
                                }
                            }
                            var want = start, got = start, input = x
                            var staging = [Float](repeating: .nan, count: m * k)
                            bias.withUnsafeBufferPointer { bb in
                                Dense.linear(rows, rows: m, weight: weight, bias: bb.baseAddress, into: &want, accumulate: true)
                                input.withUnsafeMutableBufferPointer { xp in
                                    Dense.linear(xp.baseAddress!, rows: m, transform: transform, staging: &staging, weight: weight,
                                                 bias: bb.baseAddress, into: &got, accumulate: true, ldx: ldx)
                                }
                            }
                            let differing = zip(got, want).filter { $0.bitPattern != $1.bitPattern }.count
                            XCTAssertEqual(differing, 0, "\(transform), m \(m), \(threads) threads: \(differing) of \(got.count) differ")
                            XCTAssertEqual(input, x, "\(transform), m \(m): the input is left as it was")
                        }
                    }
                }
            }
        }
    }
}
