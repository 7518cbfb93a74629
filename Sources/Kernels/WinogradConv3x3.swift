import CBLAS
import CKernels
import Dispatch
import Synchronization

/// A wrong shape or size handed to a Winograd convolution.
public struct WinogradError: Error, CustomStringConvertible {
    public let description: String
}

/// A 3x3, stride 1, "same"-padded convolution (PyTorch Conv2d semantics, weight [K, C, 3, 3])
/// computed with Winograd F(4x4, 3x3) (2.25 multiply-adds per output instead of 9) or F(2x2, 3x3)
/// (4 per output, transformed filters 16/9 of the weight instead of 4x: small images).
/// The filters are transformed once here; `apply` transforms input tiles, runs one sgemm per
/// transform point (36 or 16 of them) and transforms the products back, in chunks of tiles so
/// the scratch memory stays bounded whatever the image size.
public final class WinogradConv3x3: @unchecked Sendable {
    public let inChannels: Int
    public let outChannels: Int
    /// The algorithm: tile size and transform points.
    public let tile: WinogradTile
    /// Transformed filters: `tile.points` [K, C] matrices, `pointFloats` apart: row-major, or on the AVX2
    /// kernel packed as row tiles (`ck_pack_row_tiles`, read by `ck_gemm_packed_rows_avx2`).
    private let u: UnsafeMutablePointer<Float>
    /// Whether `u` holds row tiles (the AVX2 kernel) rather than row-major matrices.
    let rowTiles: Bool
    private let pointFloats: Int
    private let bias: [Float]?

    /// `weight` is [outChannels, inChannels, 3, 3] row-major; `bias` has outChannels values or is nil.
    public init(weight: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>?, outChannels: Int, inChannels: Int,
                tile: WinogradTile = .f4x4) throws {
        guard outChannels > 0, inChannels > 0 else {
            throw WinogradError(description: "Winograd conv: channel counts must be positive, got \(outChannels) x \(inChannels)")
        }
        let (kc, o1) = outChannels.multipliedReportingOverflow(by: inChannels)
        let (n, o2) = kc.multipliedReportingOverflow(by: 9)
        guard !o1, !o2, weight.count == n else {
            throw WinogradError(description: "Winograd conv: weight has \(weight.count) values, expected \(outChannels)x\(inChannels)x3x3")
        }
        if let bias, bias.count != outChannels {
            throw WinogradError(description: "Winograd conv: bias has \(bias.count) values, expected \(outChannels)")
        }
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.tile = tile
        let points = tile.points
        self.bias = bias.map { Array($0) }
        let src = weight.baseAddress!
        rowTiles = VectorGEMM.usesPackedRows
        if rowTiles {
            // Straight into the kernel's row tiles: each work item transforms the filters of one
            // tile's rows over a block of input channels into a local [points][6][block] buffer and
            // writes its pieces where ck_pack_row_tiles would put them (no row-major copy).
            let tiles = VectorGEMM.packedRowTiles(outChannels), tileRows = VectorGEMM.packedTileRows
            let floats = Int(ck_packed_rows_count(Int32(outChannels), Int32(inChannels)))
            let dst = AlignedFloats.allocate(points * floats)
            let block = 64, blocks = (inChannels + block - 1) / block
            Parallel.forEach(tiles * blocks) { item in
                let t = item / blocks, c0 = item % blocks * block, count = min(block, inChannels - c0)
                let rows = min(tileRows, outChannels - t * tileRows)
                withUnsafeTemporaryAllocation(of: Float.self, capacity: points * tileRows * block) { local in
                    let l = local.baseAddress!
                    for r in 0..<rows {
                        let filters = src + ((t * tileRows + r) * inChannels + c0) * 9
                        tile.transformFilters(filters, count: count, l + r * block, stride: tileRows * block)
                    }
                    for p in 0..<points {
                        ck_pack_row_tile_columns(Int32(t), Int32(outChannels), Int32(inChannels), Int32(c0), Int32(c0 + count),
                                                 l + p * tileRows * block, block, dst + p * floats)
                    }
                }
            }
            u = dst
            pointFloats = floats
        } else {
            // Row-major [points][K][C]: blocks of 64 consecutive filters into a local [points][64]
            // buffer, then one contiguous copy per point (the points of one filter lie kc floats
            // apart, so writing them straight into u would touch a page per point per filter).
            let dst = AlignedFloats.allocate(points * kc)
            let block = 64
            Parallel.forEach((kc + block - 1) / block) { b in
                let i0 = b * block, count = min(block, kc - i0)
                withUnsafeTemporaryAllocation(of: Float.self, capacity: points * block) { local in
                    let l = local.baseAddress!
                    tile.transformFilters(src + i0 * 9, count: count, l, stride: block)
                    for p in 0..<points { (dst + p * kc + i0).update(from: l + p * block, count: count) }
                }
            }
            u = dst
            pointFloats = kc
        }
    }

    deinit { AlignedFloats.free(u) }

    /// The transformed filters as stored: `tile.points` point matrices, row-major or as row tiles.
    var storedFilters: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: u, count: tile.points * pointFloats) }

    /// Filter rows per kernel call on packed filters: a block of U small enough to stay in L2
    /// while every 16-tile strip of V passes over it (U is read once per chunk, not once per strip).
    /// 48 rows (8 tiles): measured best of 24-96 on Zen 3 (S-128 pixel decoder ~13 % faster than
    /// the plain-row kernel; all rows per call was slower than it).
    static let filterRowsPerPass = 48

    /// Tiles per chunk by default: enough columns for an efficient sgemm, few enough that the
    /// transformed tiles and products (36 (C + K) floats per tile) stay in cache between the
    /// transforms and the sgemms. Measured on Zen 3/4: 32 tiles for 128-256 channels, 64 for 512.
    /// With our kernels, multiples of their 48-column panels, or on AVX-512 64 tiles below 512
    /// channels (its 6 x 64 tiles; a whole tile row of a 256x256 output, two of 128x128, so no
    /// chunk starts mid-row): the S-128 pixel decoder 263 -> 254 ms (2 threads, 12 rounds
    /// alternated), 128-channel 256x256 convs one thread 46-47 -> 43-44 ms. F(2x2, 3x3) runs on
    /// small images where U (16 [K, C] matrices) outweighs the tiles: 64 tiles (a whole 16x16
    /// image), so U is read once per image and the threads split the output channels instead.
    public func defaultChunkTiles() -> Int {
        if tile == .f2x2 { return 64 }
        if VectorGEMM.kernel == .avx512 { return min(inChannels, outChannels) >= 512 ? 96 : 64 }
        if VectorGEMM.isEnabled { return min(inChannels, outChannels) >= 512 ? 96 : 48 }
        return max(32, min(inChannels, outChannels) / 8)
    }

    /// Convolves `input` [batch, C, h, w] into `output` [batch, K, height, width]: (h, w) equals
    /// (height, width), or half of it when `upsample2x` (nearest-neighbour 2x upsampling fused into
    /// the input read, so the upsampled tensor is never stored). Adds the bias, then `residual`
    /// ([batch, K, height, width]) when given; `residual` may be `output` itself. `output` must not
    /// overlap `input`.
    ///
    /// Each compute thread takes chunks of tiles and runs the whole pipeline on them (input
    /// transform, one single-threaded sgemm per transform point, output transform), so the scratch stays in cache.
    public func apply(input: UnsafeBufferPointer<Float>, batch: Int, height: Int, width: Int, upsample2x: Bool = false,
                      residual: UnsafeBufferPointer<Float>? = nil, output: UnsafeMutableBufferPointer<Float>,
                      workspace: ScratchBuffer? = nil, chunkBudgetBytes: Int? = nil) throws {
        guard batch > 0, height > 0, width > 0 else {
            throw WinogradError(description: "Winograd conv: empty shape \(batch)x\(height)x\(width)")
        }
        if upsample2x, height % 2 != 0 || width % 2 != 0 {
            throw WinogradError(description: "Winograd conv: upsampled size \(height)x\(width) must be even")
        }
        let inH = upsample2x ? height / 2 : height, inW = upsample2x ? width / 2 : width
        guard let inCount = Self.product([batch, inChannels, inH, inW]), input.count == inCount else {
            throw WinogradError(description: "Winograd conv: input has \(input.count) values, expected \(batch)x\(inChannels)x\(inH)x\(inW)")
        }
        guard let outCount = Self.product([batch, outChannels, height, width]), output.count == outCount else {
            throw WinogradError(description: "Winograd conv: output has \(output.count) values, expected \(batch)x\(outChannels)x\(height)x\(width)")
        }
        if let residual, residual.count != outCount {
            throw WinogradError(description: "Winograd conv: residual has \(residual.count) values, expected \(outCount)")
        }
        let g = WinogradGeometry(batch: batch, height: height, width: width, upsample2x: upsample2x, step: tile.outputSide)
        let points = tile.points
        let perTile = points * (inChannels + outChannels) * MemoryLayout<Float>.size
        let wanted = chunkBudgetBytes.map { max(0, $0) / perTile } ?? defaultChunkTiles()
        let chunkTiles = max(1, min(g.tilesTotal, wanted))
        let chunks = (g.tilesTotal + chunkTiles - 1) / chunkTiles
        // Few tiles (small images): split the output channels too, so every thread has work.
        let threads = ComputeThreads.count
        let kParts = chunks >= threads ? 1 : min(outChannels, (threads + chunks - 1) / chunks)
        let items = chunks * kParts
        let workers = max(1, min(items, threads))
        let ws = workspace ?? ScratchBuffer()
        let vFloats = points * Self.pointStride(inChannels, chunkTiles), mFloats = points * Self.pointStride(outChannels, chunkTiles)
        let partialFloats = rowTiles ? Int(ck_packed_rows_partial_count(Int32(min(outChannels, Self.filterRowsPerPass)))) : 0
        // Rounded to whole cache lines, so every worker's V and M start 64-byte aligned like the
        // workspace: the kernel's 16-tile strip rows then each lie in one line (a 16-byte offset
        // measured up to 2-3x slower products).
        // Input rows per tile row of a chunk: F(4x4) 6 read + 6 transformed rows of 4 t + 2, F(2x2) 4 of 2 t + 2.
        let rowFloats = tile == .f4x4 ? 12 * (4 * chunkTiles + 2) : 4 * (2 * chunkTiles + 2)
        let perWorker = (vFloats + mFloats + rowFloats + partialFloats + 15) / 16 * 16
        let scratch = ws.pointer(count: perWorker * workers)
        let next = ChunkCounter()
        let src = input.baseAddress!, dst = output.baseAddress!, res = residual?.baseAddress
        Parallel.forEach(workers) { w in
            let mine = scratch + w * perWorker
            let v = mine, m = mine + vFloats, rows = m + mFloats, partial = rows + rowFloats
            while let item = next.take(below: items) {
                let chunk = item / kParts, part = item % kParts
                let t0 = chunk * chunkTiles, t1 = min(g.tilesTotal, t0 + chunkTiles)
                let ks = outputSplit(part, of: kParts)..<outputSplit(part + 1, of: kParts)
                guard !ks.isEmpty else { continue }
                transformInputs(src, g, tiles: t0..<t1, v: v, rowScratch: rows)
                multiply(v: v, m: m, tiles: t1 - t0, outputs: ks, partial: partial)
                transformOutputs(m: m, g, tiles: t0..<t1, outputs: ks, residual: res, output: dst)
            }
        }
    }

    /// Floats from one transform point's [channels, tiles] matrix to the next in the chunk
    /// scratch: the matrix plus one cache line, so the points do not start at addresses
    /// 4 KiB apart (channels x tiles is a multiple of 1024 for every TiTok shape), which would map
    /// the tile transforms' 36 read or write streams onto one L1 set (measured: the input
    /// transform took twice as long). Whole cache lines, so every point's matrix starts 64-byte
    /// aligned when the first does.
    static func pointStride(_ channels: Int, _ tiles: Int) -> Int { (channels * tiles + 15) / 16 * 16 + 16 }

    private static func product(_ xs: [Int]) -> Int? {
        var p = 1
        for x in xs {
            let (r, o) = p.multipliedReportingOverflow(by: x)
            if o { return nil }
            p = r
        }
        return p
    }

    /// V[p][c][t - first] for every channel c and tile t of `tiles`, one row segment at a time.
    private func transformInputs(_ input: UnsafePointer<Float>, _ g: WinogradGeometry, tiles: Range<Int>,
                                 v: UnsafeMutablePointer<Float>, rowScratch: UnsafeMutablePointer<Float>) {
        let C = inChannels
        let count = tiles.count
        let pointStride = Self.pointStride(C, count)
        if tile == .f2x2 {
            // Four rows per tile row, read (padded, upsampled) into the row scratch.
            g.forEachSegment(tiles) { b, ty, tx0, tx1, local in
                let n = 2 * (tx1 - tx0) + 2
                for c in 0..<C {
                    let plane = input + (b * C + c) * g.inH * g.inW
                    for j in 0..<4 { g.fetchRow(plane, y: ty * 2 - 1 + j, firstColumn: tx0 * 2 - 1, count: n, into: rowScratch + j * n) }
                    ck_winograd23_input_tiles(rowScratch, Int32(tx1 - tx0), v + c * count + local, pointStride)
                }
            }
            return
        }
        withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: 6) { rowPointers in
            let rp = rowPointers.baseAddress!
            g.forEachSegment(tiles) { b, ty, tx0, tx1, local in
                let n = 4 * (tx1 - tx0) + 2
                let raw = rowScratch, rowT = rowScratch + 6 * n
                let rows = (ty * 4 - 1)..<(ty * 4 + 5)
                // The rows of the next channel (one plane on) that these tiles read, asked for
                // one channel ahead: in the (half-size) input plane when upsampling.
                let shift = g.upsample2x ? 1 : 0
                let firstRow = max(0, rows.lowerBound) >> shift, lastRow = (min(g.height, rows.upperBound) - 1) >> shift
                let firstColumn = max(0, tx0 * 4 - 1) >> shift, lastColumn = (min(g.width, tx0 * 4 - 1 + n) - 1) >> shift
                for c in 0..<C {
                    let plane = input + (b * C + c) * g.inH * g.inW
                    if c + 1 < C {
                        ck_prefetch_rows(plane + g.inH * g.inW + firstRow * g.inW + firstColumn, Int32(lastRow - firstRow + 1),
                                         Int32(lastColumn - firstColumn + 1), g.inW)
                    }
                    if g.upsample2x {
                        for (j, y) in rows.enumerated() { g.fetchRow(plane, y: y, firstColumn: tx0 * 4 - 1, count: n, into: raw + j * n) }
                        ck_winograd_input_tiles(raw, rowT, Int32(tx1 - tx0), v + c * count + local, pointStride)
                    } else {
                        // Rows read where they lie (no padded copy); rows above or below the image are nil.
                        for (j, y) in rows.enumerated() { rp[j] = y >= 0 && y < g.height ? UnsafePointer(plane + y * g.inW) : nil }
                        ck_winograd_input_tiles_in_place(rp, Int32(tx0 * 4 - 1), Int32(g.width), rowScratch, Int32(tx1 - tx0),
                                                         v + c * count + local, pointStride)
                    }
                }
            }
        }
    }

    /// First output channel of part `part` of `parts` (on whole row tiles where U is packed in them).
    private func outputSplit(_ part: Int, of parts: Int) -> Int {
        if part >= parts { return outChannels }
        let k = outChannels * part / parts
        return rowTiles ? k / VectorGEMM.packedTileRows * VectorGEMM.packedTileRows : k
    }

    /// M[p] = U[p] V[p] for the transform points: [K, C] x [C, tiles], rows `outputs` of K only
    /// (V and M with `pointStride` floats between points; `partial`: the AVX2 kernel's accumulators).
    private func multiply(v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, tiles: Int, outputs: Range<Int>,
                          partial: UnsafeMutablePointer<Float>) {
        let K = outChannels, C = inChannels, k0 = outputs.lowerBound
        let vStride = Self.pointStride(C, tiles), mStride = Self.pointStride(K, tiles)
        do {
            if rowTiles {
                let rowsPerTile = VectorGEMM.packedTileRows, packedTiles = Int32(VectorGEMM.packedRowTiles(K))
                let group = Self.filterRowsPerPass
                for p in 0..<tile.points {
                    var r = k0
                    while r < outputs.upperBound {
                        let rows = min(group, outputs.upperBound - r)
                        ck_gemm_packed_rows_avx2(Int32(rows), Int32(tiles), Int32(C), u + p * pointFloats,
                                                 Int32(r / rowsPerTile), packedTiles, v + p * vStride, tiles, 16,
                                                 m + p * mStride + r * tiles, tiles, 0, nil, partial)
                        r += rows
                    }
                }
                return
            }
            if VectorGEMM.isEnabled {
                for p in 0..<tile.points {
                    VectorGEMM.multiply(rows: 0..<outputs.count, n: tiles, k: C, a: u + p * pointFloats + k0 * C, lda: C,
                                        b: v + p * vStride, ldb: tiles, c: m + p * mStride + k0 * tiles, ldc: tiles,
                                        accumulate: false)
                }
                return
            }
            for p in 0..<tile.points {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(outputs.count), Int32(tiles), Int32(C),
                            1, u + p * pointFloats + k0 * C, Int32(C), v + p * vStride, Int32(tiles),
                            0, m + p * mStride + k0 * tiles, Int32(tiles))
            }
        }
    }

    /// Output tiles from the products, plus bias and residual, cropped at the image edges.
    private func transformOutputs(m: UnsafeMutablePointer<Float>, _ g: WinogradGeometry, tiles: Range<Int>, outputs: Range<Int>,
                                  residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        let K = outChannels
        let count = tiles.count
        let pointStride = Self.pointStride(K, count)
        let H = g.height, W = g.width
        let side = tile.outputSide
        let outputTiles = tile == .f4x4 ? ck_winograd_output_tiles : ck_winograd23_output_tiles
        g.forEachSegment(tiles) { b, ty, tx0, tx1, local in
            let y0 = ty * side, x0 = tx0 * side
            let rowsHere = Int32(min(side, H - y0)), cols = Int32(min(side * (tx1 - tx0), W - x0))
            for k in outputs {
                let at = (b * K + k) * H * W + y0 * W + x0
                if k + 1 < outputs.upperBound {
                    // The next channel's rows (a plane away) asked for while this one is written.
                    ck_prefetch_rows(output + at + H * W, rowsHere, cols, W)
                    if let residual, residual != UnsafePointer(output) { ck_prefetch_rows(residual + at + H * W, rowsHere, cols, W) }
                }
                outputTiles(m + k * count + local, pointStride, Int32(tx1 - tx0), rowsHere, cols,
                            bias?[k] ?? 0, residual.map { $0 + at }, output + at, W)
            }
        }
    }
}

/// Tile layout of one Winograd call: output size, tile grid (`step` output pixels per tile side),
/// and the padded input row reader.
/// Tiles are numbered row by row through the batch: t = (b * tilesHigh + ty) * tilesWide + tx.
struct WinogradGeometry {
    let batch: Int, height: Int, width: Int, upsample2x: Bool
    let inH: Int, inW: Int
    let tilesHigh: Int, tilesWide: Int

    init(batch: Int, height: Int, width: Int, upsample2x: Bool, step: Int = 4) {
        self.batch = batch; self.height = height; self.width = width; self.upsample2x = upsample2x
        inH = upsample2x ? height / 2 : height
        inW = upsample2x ? width / 2 : width
        tilesHigh = (height + step - 1) / step
        tilesWide = (width + step - 1) / step
    }

    var tilesTotal: Int { batch * tilesHigh * tilesWide }

    /// Splits a range of tiles into runs within one tile row: (b, ty, tx0, tx1, offset in range).
    @inline(__always)
    func forEachSegment(_ tiles: Range<Int>, _ body: (Int, Int, Int, Int, Int) -> Void) {
        var t = tiles.lowerBound
        while t < tiles.upperBound {
            let row = t / tilesWide, tx0 = t % tilesWide
            let tx1 = min(tilesWide, tx0 + (tiles.upperBound - t))
            body(row / tilesHigh, row % tilesHigh, tx0, tx1, t - tiles.lowerBound)
            t += tx1 - tx0
        }
    }

    /// Columns firstColumn..<firstColumn+count of row `y` of the (upsampled, zero-padded) input plane.
    @inline(__always)
    func fetchRow(_ plane: UnsafePointer<Float>, y: Int, firstColumn: Int, count: Int, into dst: UnsafeMutablePointer<Float>) {
        guard y >= 0, y < height else {
            dst.update(repeating: 0, count: count)
            return
        }
        let lo = max(0, firstColumn), hi = min(width, firstColumn + count)
        if lo > firstColumn { dst.update(repeating: 0, count: lo - firstColumn) }
        if hi < firstColumn + count { (dst + (hi - firstColumn)).update(repeating: 0, count: firstColumn + count - hi) }
        guard lo < hi else { return }
        let out = dst + (lo - firstColumn)
        if upsample2x {
            ck_upsample_row_2x(plane + (y >> 1) * inW, Int32(lo), Int32(hi - lo), out)
        } else {
            out.update(from: plane + y * inW + lo, count: hi - lo)
        }
    }
}

/// Hands out chunk numbers 0, 1, 2, ... to the workers that ask (dynamic scheduling).
final class ChunkCounter: @unchecked Sendable {
    private let value = Atomic<Int>(0)
    func take(below limit: Int) -> Int? {
        let v = value.add(1, ordering: .relaxed).oldValue
        return v < limit ? v : nil
    }
}

/// c[m, n] = a[m, k] b[k, n] (+ c when `accumulate`), row-major, with the rows of `a` and `c`
/// split over the compute threads, each running a single-threaded sgemm.
public func splitRowsSGEMM(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                           c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
    guard m > 0, n > 0, k > 0 else { return }
    if VectorGEMM.isEnabled {
        VectorGEMM.product(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, bTransposed: false, c: c, ldc: ldc,
                           accumulate: accumulate, parallel: true)
        return
    }
    let parts = max(1, min(ComputeThreads.count, m / 16))
    Parallel.forEach(parts) { p in
        let lo = m * p / parts, hi = m * (p + 1) / parts
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(hi - lo), Int32(n), Int32(k), 1,
                    a + lo * lda, Int32(lda), b, Int32(ldb), accumulate ? 1 : 0, c + lo * ldc, Int32(ldc))
    }
}
