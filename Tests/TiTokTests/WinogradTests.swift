import CKernels
import Foundation
import XCTest
@testable import Kernels

/// Winograd F(4x4,3x3) and F(2x2,3x3) convolutions and the fused GroupNorm+SiLU against direct Double references.
final class WinogradTests: XCTestCase {
    /// A small deterministic generator (xorshift) for values in [-1, 1).
    struct Values {
        var state: UInt64
        mutating func next() -> Float {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(Double(state >> 40) / Double(1 << 24)) * 2 - 1
        }
        mutating func array(_ n: Int, scale: Float = 1, offset: Float = 0) -> [Float] {
            (0..<n).map { _ in next() * scale + offset }
        }
    }

    /// Direct "same" 3x3 convolution in Double, with optional nearest 2x upsampling of the input.
    static func directConv(_ x: [Float], batch: Int, c: Int, k: Int, height: Int, width: Int, upsample: Bool,
                           weight: [Float], bias: [Float]?, residual: [Float]?) -> [Double] {
        let inH = upsample ? height / 2 : height, inW = upsample ? width / 2 : width
        var out = [Double](repeating: 0, count: batch * k * height * width)
        for b in 0..<batch {
            for ko in 0..<k {
                for y in 0..<height {
                    for xo in 0..<width {
                        var s = Double(bias?[ko] ?? 0)
                        for ci in 0..<c {
                            for i in 0..<3 {
                                let yy = y + i - 1
                                if yy < 0 || yy >= height { continue }
                                for j in 0..<3 {
                                    let xx = xo + j - 1
                                    if xx < 0 || xx >= width { continue }
                                    let sy = upsample ? yy / 2 : yy, sx = upsample ? xx / 2 : xx
                                    s += Double(weight[((ko * c + ci) * 3 + i) * 3 + j]) * Double(x[((b * c + ci) * inH + sy) * inW + sx])
                                }
                            }
                        }
                        let o = ((b * k + ko) * height + y) * width + xo
                        out[o] = s + Double(residual?[o] ?? 0)
                    }
                }
            }
        }
        return out
    }

    func check(batch: Int, c: Int, k: Int, height: Int, width: Int, upsample: Bool = false, withBias: Bool = true,
               withResidual: Bool = false, budget: Int? = nil, tile: WinogradTile = .f4x4, line: UInt = #line) throws {
        var rng = Values(state: UInt64(0x9E37_79B9 &+ c * 131 &+ k * 7 &+ height * 3 &+ width))
        let inH = upsample ? height / 2 : height, inW = upsample ? width / 2 : width
        let x = rng.array(batch * c * inH * inW)
        let w = rng.array(k * c * 9, scale: 0.3)
        let bias = withBias ? rng.array(k) : nil
        let residual = withResidual ? rng.array(batch * k * height * width) : nil
        let conv = try w.withUnsafeBufferPointer { wb in
            try bias.map { b in try b.withUnsafeBufferPointer { try WinogradConv3x3(weight: wb, bias: $0, outChannels: k, inChannels: c, tile: tile) } }
                ?? WinogradConv3x3(weight: wb, bias: nil, outChannels: k, inChannels: c, tile: tile)
        }
        let chunkBudget = budget
        var out = [Float](repeating: .nan, count: batch * k * height * width)
        try x.withUnsafeBufferPointer { xb in
            try out.withUnsafeMutableBufferPointer { ob in
                if let residual {
                    try residual.withUnsafeBufferPointer {
                        try conv.apply(input: xb, batch: batch, height: height, width: width, upsample2x: upsample, residual: $0, output: ob,
                                       chunkBudgetBytes: chunkBudget)
                    }
                } else {
                    try conv.apply(input: xb, batch: batch, height: height, width: width, upsample2x: upsample, output: ob, chunkBudgetBytes: chunkBudget)
                }
            }
        }
        let ref = Self.directConv(x, batch: batch, c: c, k: k, height: height, width: width, upsample: upsample,
                                  weight: w, bias: bias, residual: residual)
        var maxErr = 0.0, maxRef = 0.0
        for i in ref.indices {
            maxErr = max(maxErr, abs(Double(out[i]) - ref[i]))
            maxRef = max(maxRef, abs(ref[i]))
        }
        // Float32 Winograd F(4x4,3x3) lands within a few 1e-6 of the sum's magnitude (F(2x2,3x3) closer still).
        XCTAssertLessThan(maxErr, 2e-5 * max(1, maxRef), "\(tile): max error \(maxErr) (max |ref| \(maxRef))", line: line)
    }

    /// The C input transform (AVX-512 blocks of 16 tiles, AVX2 blocks of 8, scalar tail: which
    /// ones run depends on the CPU) gives the bits of B^T d B written out in Swift with the
    /// same operations, for every tile count 1...41 (every mix of the three paths).
    func testInputTransformMatchesScalarDefinitionBitForBit() {
        func bt6(_ a: [Float]) -> [Float] {
            let p = a[4] - 4 * a[2], q = a[3] - 4 * a[1], s = a[4] - a[2], d = 2 * (a[3] - a[1])
            let o0 = 4 * a[0] - 5 * a[2] + a[4], o5 = 4 * a[1] - 5 * a[3] + a[5]
            return [o0, p + q, p - q, s + d, s - d, o5]
        }
        var rng = Values(state: 91)
        for tiles in 1...41 {
            let n = 4 * tiles + 2
            let rows = rng.array(6 * n).map { $0 * 100 }
            // Rows pass down each column, then the columns pass along each tile's six values.
            var t = [Float](repeating: 0, count: 6 * n)
            for x in 0..<n {
                let column = bt6((0..<6).map { rows[$0 * n + x] })
                for i in 0..<6 { t[i * n + x] = column[i] }
            }
            var expected = [Float](repeating: 0, count: 36 * tiles)
            for i in 0..<6 {
                for l in 0..<tiles {
                    let o = bt6((0..<6).map { t[i * n + 4 * l + $0] })
                    for j in 0..<6 { expected[(i * 6 + j) * tiles + l] = o[j] }
                }
            }
            var scratch = [Float](repeating: .nan, count: 7 * n), v = [Float](repeating: .nan, count: 36 * tiles)
            ck_winograd_input_tiles(rows, &scratch, Int32(tiles), &v, tiles)
            XCTAssertEqual(v.map(\.bitPattern), expected.map(\.bitPattern), "tiles \(tiles)")
        }
    }

    /// The input transform reading rows in place (nil rows above/below the image, columns left
    /// of 0 and right of the width as zeros) gives the bits of the transform of padded copies,
    /// for segments of 1 to 37 tiles (the AVX-512 16-tile blocks and the scalar tail).
    func testInPlaceInputTransformMatchesPaddedCopies() {
        let width = 70
        var rng = Values(state: 77)
        let plane = rng.array(6 * width)
        plane.withUnsafeBufferPointer { pb in
            for x0 in stride(from: -1, to: width, by: 5) {
                for tiles in [1, 5, 16, 17, 37] {
                    for nilRows in [0, 0b000011, 0b110000, 0b101010] {
                        let n = 4 * tiles + 2
                        let rows: [UnsafePointer<Float>?] = (0..<6).map { (nilRows >> $0) & 1 == 1 ? nil : pb.baseAddress! + $0 * width }
                        var raw = [Float](repeating: 0, count: 6 * n)
                        for i in 0..<6 {
                            for j in 0..<n where rows[i] != nil && x0 + j >= 0 && x0 + j < width { raw[i * n + j] = plane[i * width + x0 + j] }
                        }
                        var scratch = [Float](repeating: .nan, count: 7 * n)
                        var copied = [Float](repeating: .nan, count: 36 * tiles), inPlace = copied
                        ck_winograd_input_tiles(raw, &scratch, Int32(tiles), &copied, tiles)
                        scratch = [Float](repeating: .nan, count: 7 * n)
                        ck_winograd_input_tiles_in_place(rows, Int32(x0), Int32(width), &scratch, Int32(tiles), &inPlace, tiles)
                        XCTAssertEqual(inPlace.map(\.bitPattern), copied.map(\.bitPattern), "x0 \(x0) tiles \(tiles) nil rows \(nilRows)")
                    }
                }
            }
        }
    }

    /// The filters are transformed straight into the layout the product reads (row tiles on the
    /// AVX2 kernel, pieces of one tile's rows over 64-channel blocks): bit for bit the scalar
    /// transform of every filter, laid out as ck_pack_row_tiles would pack it. Shapes cross the
    /// 6-row tiles, the 64-channel blocks and the kernel's 256-column sub-blocks.
    func testStoredFiltersAreTheTransformedFiltersInTheKernelLayout() throws {
        for tile in [WinogradTile.f4x4, .f2x2] { for (k, c) in [(1, 1), (7, 64), (13, 65), (20, 300), (6, 520)] {
            var rng = Values(state: UInt64(k * 1000 + c))
            let weight = rng.array(k * c * 9)
            let conv = try weight.withUnsafeBufferPointer { try WinogradConv3x3(weight: $0, bias: nil, outChannels: k, inChannels: c, tile: tile) }
            let points = tile.points
            var rowMajor = [Float](repeating: .nan, count: points * k * c)
            rowMajor.withUnsafeMutableBufferPointer { out in
                weight.withUnsafeBufferPointer { w in
                    for f in 0..<(k * c) {
                        if tile == .f4x4 {
                            WinogradF43.transformFilter(w.baseAddress! + f * 9, out.baseAddress! + f, stride: k * c)
                        } else {
                            WinogradF23.transformFilter(w.baseAddress! + f * 9, out.baseAddress! + f, stride: k * c)
                        }
                    }
                }
            }
            var expected = rowMajor
            if conv.rowTiles {
                let floats = Int(ck_packed_rows_count(Int32(k), Int32(c))), tiles = Int32(VectorGEMM.packedRowTiles(k))
                expected = [Float](repeating: .nan, count: points * floats)
                expected.withUnsafeMutableBufferPointer { out in
                    rowMajor.withUnsafeBufferPointer { src in
                        for p in 0..<points {
                            ck_pack_row_tiles(0, tiles, Int32(k), Int32(c), src.baseAddress! + p * k * c, c, out.baseAddress! + p * floats)
                        }
                    }
                }
            }
            let stored = Array(conv.storedFilters)
            XCTAssertEqual(stored.count, expected.count, "\(tile) \(k) x \(c)")
            XCTAssertNil(stored.indices.first { stored[$0].bitPattern != expected[$0].bitPattern }, "first differing float, \(tile) \(k) x \(c)")
        } }
    }

    /// The vectorised filter transforms (C, 16 filters at a time) give the scalar definitions'
    /// bits for every filter: counts off the 16 lanes, a stride wider than the count, taps from
    /// 1e-30 to 1e30 of both signs, zeros and negative zeros; nothing written past `count`.
    func testVectorisedFilterTransformsMatchTheScalarOnesBitForBit() {
        var rng = Values(state: 77)
        for tile in [WinogradTile.f4x4, .f2x2] {
            for count in [1, 15, 16, 17, 40] {
                let stride = count + 3
                var taps = rng.array(count * 9).enumerated().map { i, v in v * Float(pow(10.0, Double(i % 61 - 30))) }
                taps[0] = -0.0
                if count > 1 { for i in 9..<18 { taps[i] = 0 } }
                var expected = [Float](repeating: .nan, count: tile.points * stride), actual = expected
                taps.withUnsafeBufferPointer { g in
                    expected.withUnsafeMutableBufferPointer { e in
                        for j in 0..<count { tile.transformFilter(g.baseAddress! + j * 9, e.baseAddress! + j, stride: stride) }
                    }
                    actual.withUnsafeMutableBufferPointer { a in tile.transformFilters(g.baseAddress!, count: count, a.baseAddress!, stride: stride) }
                }
                XCTAssertEqual(actual.map(\.bitPattern), expected.map(\.bitPattern), "\(tile), \(count) filters")
                for p in 0..<tile.points { for j in count..<stride { XCTAssertTrue(actual[p * stride + j].isNaN, "\(tile) wrote past the count") } }
            }
        }
    }

    /// The F(2x2,3x3) filter transform G g G^T (in Double) matches the matrix product written out,
    /// and the input and output tile transforms match B^T d B and A^T m A on random tiles (each
    /// product in Double, so this checks the matrices, not the rounding).
    func testF2x2TransformsAreTheMatrixProducts() {
        let G: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        let BT: [[Double]] = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
        let AT: [[Double]] = [[1, 1, 1, 0], [0, 1, -1, -1]]
        func mul(_ a: [[Double]], _ b: [[Double]]) -> [[Double]] {
            a.map { row in (0..<b[0].count).map { j in zip(row, b).reduce(0) { $0 + $1.0 * $1.1[j] } } }
        }
        func t(_ a: [[Double]]) -> [[Double]] { (0..<a[0].count).map { j in a.map { $0[j] } } }
        var rng = Values(state: 2323)
        let f = rng.array(9)
        var u = [Float](repeating: .nan, count: 16)
        f.withUnsafeBufferPointer { fb in u.withUnsafeMutableBufferPointer { WinogradF23.transformFilter(fb.baseAddress!, $0.baseAddress!, stride: 1) } }
        let want = mul(mul(G, (0..<3).map { i in (0..<3).map { Double(f[i * 3 + $0]) } }), t(G))
        for p in 0..<16 { XCTAssertEqual(Double(u[p]), want[p / 4][p % 4], accuracy: 1e-6, "U[\(p)]") }
        // Input: 3 tiles side by side (rows of n = 8); V[p][tile].
        let tiles = 3, n = 2 * tiles + 2
        let rows = rng.array(4 * n)
        var v = [Float](repeating: .nan, count: 16 * tiles)
        ck_winograd23_input_tiles(rows, Int32(tiles), &v, tiles)
        for l in 0..<tiles {
            let d = (0..<4).map { i in (0..<4).map { Double(rows[i * n + 2 * l + $0]) } }
            let vv = mul(mul(BT, d), t(BT))
            for p in 0..<16 { XCTAssertEqual(Double(v[p * tiles + l]), vv[p / 4][p % 4], accuracy: 1e-5, "V tile \(l) point \(p)") }
        }
        // Output: A^T M A + bias (+ residual), cropped to 3 rows... of 2 and 5 columns of 6.
        let m = rng.array(16 * tiles), residual = rng.array(2 * 7)
        for (rowsHere, cols, withResidual) in [(2, 6, false), (1, 5, true)] {
            var out = [Float](repeating: 9, count: 2 * 7)
            residual.withUnsafeBufferPointer { rb in
                ck_winograd23_output_tiles(m, tiles, Int32(tiles), Int32(rowsHere), Int32(cols), 0.25,
                                           withResidual ? rb.baseAddress : nil, &out, 7)
            }
            for l in 0..<tiles {
                let mm = (0..<4).map { i in (0..<4).map { Double(m[(i * 4 + $0) * tiles + l]) } }
                let y = mul(mul(AT, mm), t(AT))
                for i in 0..<2 { for j in 0..<2 {
                    let o = i * 7 + 2 * l + j
                    if i < rowsHere && 2 * l + j < cols {
                        let expected = y[i][j] + 0.25 + (withResidual ? Double(residual[o]) : 0)
                        XCTAssertEqual(Double(out[o]), expected, accuracy: 1e-5, "Y tile \(l) (\(i), \(j))")
                    } else {
                        XCTAssertEqual(out[o], 9, "written outside the crop at (\(i), \(2 * l + j))")
                    }
                } }
            }
            XCTAssertEqual(out[6], 9, "column 6 written")
            XCTAssertEqual(out[13], 9, "column 13 written")
        }
    }

    /// F(2x2,3x3) end to end: whole and ragged tiles, batch, fused upsampling and residual, tiny
    /// chunks, the output-channel split over 2-3 threads, many channels.
    func testF2x2MatchesDirectConvolution() throws {
        try check(batch: 1, c: 5, k: 7, height: 8, width: 12, tile: .f2x2)
        try check(batch: 2, c: 3, k: 4, height: 7, width: 9, withBias: false, tile: .f2x2)
        try check(batch: 1, c: 2, k: 3, height: 1, width: 1, tile: .f2x2)
        try check(batch: 2, c: 4, k: 6, height: 12, width: 10, upsample: true, withResidual: true, tile: .f2x2)
        try check(batch: 2, c: 6, k: 5, height: 9, width: 13, withResidual: true, budget: 1, tile: .f2x2)
        try check(batch: 2, c: 3, k: 5, height: 10, width: 70, withResidual: true, budget: 16 * 8 * 4 * 11, tile: .f2x2)
        try check(batch: 1, c: 96, k: 8, height: 16, width: 16, tile: .f2x2)
        for threads in [2, 3] {
            ComputeThreads.set(threads)
            defer { ComputeThreads.set(0) }
            try check(batch: 1, c: 8, k: 20, height: 4, width: 4, tile: .f2x2)
            try check(batch: 1, c: 7, k: 100, height: 16, width: 16, upsample: true, withResidual: true, tile: .f2x2)
            try check(batch: 3, c: 5, k: 13, height: 3, width: 7, withResidual: true, tile: .f2x2)
        }
    }

    func testMatchesDirectConvolutionOnWholeTiles() throws {
        try check(batch: 1, c: 5, k: 7, height: 8, width: 12)
    }

    func testRaggedEdgesAndBatch() throws {
        try check(batch: 2, c: 3, k: 4, height: 7, width: 10, withBias: false)
        try check(batch: 1, c: 2, k: 3, height: 1, width: 1)
        try check(batch: 1, c: 4, k: 2, height: 5, width: 3)
    }

    func testFusedUpsamplingAndResidual() throws {
        try check(batch: 2, c: 4, k: 6, height: 12, width: 10, upsample: true, withResidual: true)
    }

    func testSmallChunksGiveTheSameResult() throws {
        // A tiny budget forces one tile row per chunk.
        try check(batch: 2, c: 6, k: 5, height: 9, width: 13, withResidual: true, budget: 1)
    }

    func testEightTileGroupsAndChunksSplittingRows() throws {
        // 18 tiles per row: two 8-tile groups, then single tiles (the last one cropped).
        try check(batch: 1, c: 3, k: 5, height: 9, width: 70, withResidual: true)
        try check(batch: 2, c: 3, k: 5, height: 8, width: 64, upsample: true)
        // Chunks of 11 tiles start and end inside tile rows.
        try check(batch: 2, c: 3, k: 5, height: 10, width: 70, withResidual: true, budget: 36 * 8 * 4 * 11)
    }

    /// Few tiles and several threads: the output channels are split over the threads (on whole
    /// 6-row tiles where the AVX2 kernel reads packed filters, so one part starts mid-matrix),
    /// and more filter rows than one 48-row pass.
    func testOutputChannelSplitForSmallImages() throws {
        for threads in [2, 3] {
            ComputeThreads.set(threads)
            defer { ComputeThreads.set(0) }
            try check(batch: 1, c: 8, k: 20, height: 4, width: 4)
            try check(batch: 1, c: 5, k: 13, height: 3, width: 7, withResidual: true)
            try check(batch: 1, c: 7, k: 100, height: 5, width: 6)  // several 48-row filter passes
        }
    }

    func testWideChannelsAccuracy() throws {
        // Many input channels: accumulated rounding must stay small relative to the output.
        try check(batch: 1, c: 96, k: 8, height: 16, width: 16)
    }

    /// The planned conv (im2col below the Winograd thresholds, F(2x2,3x3) from 16, F(4x4,3x3)
    /// from 32), residual aliased to the output.
    func testPlannedConvAllPathsWithResidualInPlace() throws {
        for (side, upsample) in [(8, false), (12, true), (Conv3x3Fused.winograd2x2MinimumSide, true), (20, false),
                                 (Conv3x3Fused.winogradMinimumSide, true), (Conv3x3Fused.winogradMinimumSide + 4, false)] {
            // k above CK_FEW_OUTPUTS: the planned Winograd or im2col path, not the direct one.
            let batch = 2, c = 5, k = Int(CK_FEW_OUTPUTS) + 1
            var rng = Values(state: UInt64(77 + side))
            let inSide = upsample ? side / 2 : side
            let x = rng.array(batch * c * inSide * inSide)
            let w = rng.array(k * c * 9, scale: 0.3), bias = rng.array(k)
            let residual = rng.array(batch * k * side * side)
            let conv = try w.withUnsafeBufferPointer { wb in
                try bias.withUnsafeBufferPointer { try Conv3x3Fused(weight: wb, bias: $0, outChannels: k, inChannels: c, side: side, keepAlive: nil) }
            }
            XCTAssertEqual(conv.usesWinograd, side >= Conv3x3Fused.winograd2x2MinimumSide)
            if conv.usesWinograd { XCTAssertEqual(conv.winogradTile, side >= Conv3x3Fused.winogradMinimumSide ? .f4x4 : .f2x2) }
            var out = residual
            let ws = ScratchBuffer()
            try x.withUnsafeBufferPointer { xb in
                try out.withUnsafeMutableBufferPointer { ob in
                    try conv.apply(input: xb, batch: batch, height: side, width: side, upsample2x: upsample,
                                   residual: UnsafeBufferPointer(ob), output: ob, workspace: ws)
                }
            }
            let ref = Self.directConv(x, batch: batch, c: c, k: k, height: side, width: side, upsample: upsample,
                                      weight: w, bias: bias, residual: residual)
            var maxErr = 0.0
            for i in ref.indices { maxErr = max(maxErr, abs(Double(out[i]) - ref[i])) }
            XCTAssertLessThan(maxErr, 2e-5, "side \(side) upsample \(upsample)")
        }
    }

    /// Below the Winograd threshold the plan's product (on AVX2: the weight packed once as row
    /// tiles) gives exactly the bits of `splitRowsSGEMM` over an im2col copy seeded with the
    /// residual and bias, across row tiles, thread splits and k sub-blocks (9C = 630 > 256); the
    /// weight is released once, after its first use, not when planned.
    func testIm2colPlanMatchesSplitRowsProductBitForBit() throws {
        final class Releases: @unchecked Sendable { var count = 0 }
        let c = 70, k = 13, side = 8, batch = 2, plane = side * side, inSide = side / 2
        var rng = Values(state: 4242)
        let x = rng.array(batch * c * inSide * inSide)
        let w = rng.array(k * c * 9, scale: 0.2), bias = rng.array(k), residual = rng.array(batch * k * plane)
        // The reference: col[(c*9 + i*3 + j), y*side + x] of the upsampled input, zero outside.
        var want = residual
        for b in 0..<batch {
            var col = [Float](repeating: 0, count: 9 * c * plane)
            for ch in 0..<c { for t in 0..<9 { for y in 0..<side { for xo in 0..<side {
                let yy = y + t / 3 - 1, xx = xo + t % 3 - 1
                guard yy >= 0, yy < side, xx >= 0, xx < side else { continue }
                col[(ch * 9 + t) * plane + y * side + xo] = x[((b * c + ch) * inSide + yy / 2) * inSide + xx / 2]
            } } } }
            for ko in 0..<k { for p in 0..<plane { want[(b * k + ko) * plane + p] += bias[ko] } }
            w.withUnsafeBufferPointer { wb in col.withUnsafeBufferPointer { cb in want.withUnsafeMutableBufferPointer { ob in
                splitRowsSGEMM(m: k, n: plane, k: 9 * c, a: wb.baseAddress!, lda: 9 * c, b: cb.baseAddress!, ldb: plane,
                               c: ob.baseAddress! + b * k * plane, ldc: plane, accumulate: true)
            } } }
        }
        for threads in [1, 2, 3] {
            ComputeThreads.set(threads)
            defer { ComputeThreads.set(0) }
            let releases = Releases()
            let conv = try w.withUnsafeBufferPointer { wb in
                try bias.withUnsafeBufferPointer {
                    try Conv3x3Fused(weight: wb, bias: $0, outChannels: k, inChannels: c, side: side, keepAlive: nil,
                                     releaseWeight: { releases.count += 1 })
                }
            }
            XCTAssertFalse(conv.usesWinograd)
            XCTAssertEqual(releases.count, 0, "released when planned")
            for call in 0..<2 {
                var out = residual
                try x.withUnsafeBufferPointer { xb in
                    try out.withUnsafeMutableBufferPointer { ob in
                        try conv.apply(input: xb, batch: batch, height: side, width: side, upsample2x: true,
                                       residual: UnsafeBufferPointer(ob), output: ob, workspace: ScratchBuffer())
                    }
                }
                let differing = zip(out, want).filter { $0.bitPattern != $1.bitPattern }.count
                XCTAssertEqual(differing, 0, "values differing: \(threads) threads, call \(call)")
            }
            XCTAssertEqual(releases.count, VectorGEMM.usesPackedRows ? 1 : 0, "\(threads) threads")
        }
    }

    /// A plan whose weight is read on first use (16-bit file tensors) gives the bits of one
    /// given the weight in memory, on both paths, and reads it exactly once, not when made.
    func testDeferredWeightIsReadOnceOnFirstUseAndGivesTheSameBits() throws {
        final class Reads: @unchecked Sendable { var count = 0 }
        for side in [8, Conv3x3Fused.winograd2x2MinimumSide, Conv3x3Fused.winogradMinimumSide] {
            let c = 6, k = 5
            var rng = Values(state: UInt64(5 + side))
            let x = rng.array(c * side * side)
            let w = rng.array(k * c * 9, scale: 0.3), bias = rng.array(k)
            let reads = Reads()
            // Owned copies: the plans keep raw pointers to their weight and bias.
            let wb = UnsafeMutableBufferPointer<Float>.allocate(capacity: w.count), bb = UnsafeMutableBufferPointer<Float>.allocate(capacity: k)
            defer { wb.deallocate(); bb.deallocate() }
            _ = wb.initialize(from: w); _ = bb.initialize(from: bias)
            let direct = try Conv3x3Fused(weight: UnsafeBufferPointer(wb), bias: UnsafeBufferPointer(bb), outChannels: k, inChannels: c,
                                          side: side, keepAlive: nil)
            let deferred = try Conv3x3Fused(count: w.count, readWeight: { destination in
                reads.count += 1
                w.withUnsafeBufferPointer { destination.update(from: $0.baseAddress!, count: w.count) }
            }, bias: UnsafeBufferPointer(bb), outChannels: k, inChannels: c, side: side, keepAlive: nil)
            XCTAssertEqual(reads.count, 0, "read before first use")
            func run(_ conv: Conv3x3Fused) throws -> [Float] {
                var out = [Float](repeating: .nan, count: k * side * side)
                try x.withUnsafeBufferPointer { xb in
                    try out.withUnsafeMutableBufferPointer { ob in
                        try conv.apply(input: xb, batch: 1, height: side, width: side, output: ob, workspace: ScratchBuffer())
                    }
                }
                return out
            }
            let want = try run(direct)
            XCTAssertEqual(try run(deferred).map(\.bitPattern), want.map(\.bitPattern), "side \(side)")
            XCTAssertEqual(try run(deferred).map(\.bitPattern), want.map(\.bitPattern), "side \(side), second call")
            XCTAssertEqual(reads.count, 1, "side \(side)")
            XCTAssertThrowsError(try Conv3x3Fused(count: w.count - 1, readWeight: { _ in }, bias: nil, outChannels: k, inChannels: c,
                                                  side: side, keepAlive: nil))
        }
    }

    func testSplitRowsSGEMMMatchesNaiveProduct() {
        let m = 67, n = 9, k = 13
        var rng = Values(state: 99)
        let a = rng.array(m * k), b = rng.array(k * n), c0 = rng.array(m * n)
        for accumulate in [false, true] {
            var c = c0
            a.withUnsafeBufferPointer { ab in
                b.withUnsafeBufferPointer { bb in
                    c.withUnsafeMutableBufferPointer { cb in
                        splitRowsSGEMM(m: m, n: n, k: k, a: ab.baseAddress!, lda: k, b: bb.baseAddress!, ldb: n,
                                       c: cb.baseAddress!, ldc: n, accumulate: accumulate)
                    }
                }
            }
            for i in 0..<m {
                for j in 0..<n {
                    var s = accumulate ? Double(c0[i * n + j]) : 0
                    for l in 0..<k { s += Double(a[i * k + l]) * Double(b[l * n + j]) }
                    XCTAssertEqual(Double(c[i * n + j]), s, accuracy: 1e-4)
                }
            }
        }
    }

    func testLinearColumnSplitMatchesNaive() {
        // Large enough (rows x outputs >= 65536) for Dense.linear to split columns over the threads.
        let m = 70, n = 1000, k = 33, ldy = 1003
        var rng = Values(state: 7)
        let x = rng.array(m * k), w = rng.array(n * k), bias = rng.array(n), y0 = rng.array(m * ldy)
        for accumulate in [false, true] {
            var y = y0
            x.withUnsafeBufferPointer { xb in
                w.withUnsafeBufferPointer { wb in
                    bias.withUnsafeBufferPointer { bb in
                        y.withUnsafeMutableBufferPointer { yb in
                            Dense.linear(xb.baseAddress!, rows: m, inFeatures: k, weight: wb.baseAddress!, bias: bb.baseAddress!,
                                         outFeatures: n, into: yb.baseAddress!, accumulate: accumulate, ldy: ldy)
                        }
                    }
                }
            }
            var worst = 0.0
            for i in 0..<m {
                for j in 0..<ldy {
                    var s = Double(y0[i * ldy + j])
                    if j < n {
                        s = (accumulate ? s : 0) + Double(bias[j])
                        for l in 0..<k { s += Double(x[i * k + l]) * Double(w[j * k + l]) }
                    }
                    worst = max(worst, abs(Double(y[i * ldy + j]) - s))
                }
            }
            XCTAssertLessThan(worst, 1e-4, "accumulate \(accumulate)")
        }
    }

    func testRejectsWrongSizes() throws {
        let w = [Float](repeating: 0, count: 2 * 3 * 9)
        XCTAssertThrowsError(try w.withUnsafeBufferPointer { try WinogradConv3x3(weight: $0, bias: nil, outChannels: 3, inChannels: 3) })
        let conv = try w.withUnsafeBufferPointer { try WinogradConv3x3(weight: $0, bias: nil, outChannels: 2, inChannels: 3) }
        let x = [Float](repeating: 0, count: 3 * 4 * 4)
        var out = [Float](repeating: 0, count: 2 * 4 * 4)
        try x.withUnsafeBufferPointer { xb in
            try out.withUnsafeMutableBufferPointer { ob in
                XCTAssertThrowsError(try conv.apply(input: xb, batch: 1, height: 4, width: 5, output: ob))
                XCTAssertThrowsError(try conv.apply(input: xb, batch: 1, height: 4, width: 4, upsample2x: true, output: ob))
                XCTAssertNoThrow(try conv.apply(input: xb, batch: 1, height: 4, width: 4, output: ob))
            }
        }
    }

    func testGroupNormSiLUMatchesReference() throws {
        let batch = 2, channels = 8, spatial = 37, groups = 4
        var rng = Values(state: 12345)
        // An offset mean checks the two-pass variance.
        let x = rng.array(batch * channels * spatial, scale: 3, offset: 20)
        let gamma = rng.array(channels, scale: 2), beta = rng.array(channels)
        for silu in [true, false] {
            var out = [Float](repeating: .nan, count: x.count)
            try x.withUnsafeBufferPointer { xb in
                try out.withUnsafeMutableBufferPointer { ob in
                    try gamma.withUnsafeBufferPointer { gb in
                        try beta.withUnsafeBufferPointer { bb in
                            try GroupNormSiLUFused.apply(input: xb, output: ob, batch: batch, channels: channels, spatial: spatial,
                                                         groups: groups, gamma: gb, beta: bb, eps: 1e-6, silu: silu)
                        }
                    }
                }
            }
            let per = channels / groups * spatial
            var maxErr = 0.0
            for b in 0..<batch {
                for g in 0..<groups {
                    let start = (b * channels + g * channels / groups) * spatial
                    let vals = x[start..<(start + per)].map(Double.init)
                    let mean = vals.reduce(0, +) / Double(per)
                    let variance = vals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(per)
                    for i in 0..<per {
                        let c = g * channels / groups + i / spatial
                        var v = (vals[i] - mean) / (variance + 1e-6).squareRoot() * Double(gamma[c]) + Double(beta[c])
                        if silu { v = v / (1 + Foundation.exp(-v)) }
                        maxErr = max(maxErr, abs(v - Double(out[start + i])))
                    }
                }
            }
            XCTAssertLessThan(maxErr, 2e-5, "silu \(silu)")
        }
    }

    /// GroupNorm's block sums (`ck_block_sum`): element i into partial sum i % 64, the 64 sums
    /// added pairwise; bit for bit that recipe written out here, and within float rounding of the
    /// Double sum, for plain values and for squares about a centre, across the 64-value tail.
    func testBlockSumIsTheInterleavedSum() {
        var rng = Values(state: 777)
        for count in [0, 1, 5, 63, 64, 65, 130, 1000, 1024] {
            let x = rng.array(count, scale: 3, offset: 2)
            for (squares, center) in [(Int32(0), Float(0)), (Int32(1), Float(2.25))] {
                var lanes = [Float](repeating: 0, count: 64)
                for (i, v) in x.enumerated() { lanes[i % 64] += squares == 1 ? (v - center) * (v - center) : v }
                var width = 32
                while width > 0 {
                    for l in 0..<width { lanes[l] += lanes[l + width] }
                    width /= 2
                }
                let got = x.withUnsafeBufferPointer { ck_block_sum($0.baseAddress, count, squares, center) }
                XCTAssertEqual(got.bitPattern, lanes[0].bitPattern, "count \(count) squares \(squares)")
                let exact = x.map { squares == 1 ? (Double($0) - Double(center)) * (Double($0) - Double(center)) : Double($0) }
                    .reduce(0, +)
                XCTAssertEqual(Double(got), exact, accuracy: 1e-5 * max(1, abs(exact)), "count \(count) squares \(squares)")
            }
        }
    }

    func testVectorExpAccuracy() {
        var worst = 0.0
        var x: Float = -87
        while x < 88 {
            let v = VectorExp.exp(SIMD8<Float>(repeating: x))[3]
            let ref = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(v) - ref) / ref)
            x += 0.0137
        }
        XCTAssertLessThan(worst, 4e-7)
        XCTAssertEqual(VectorExp.silu(SIMD8<Float>(repeating: -200))[0], 0, accuracy: 1e-30)
        XCTAssertEqual(VectorExp.silu(SIMD8<Float>(repeating: 200))[0], 200)
    }

    func testGroupNormRejectsBadGroups() {
        let x = [Float](repeating: 1, count: 6)
        var out = x
        let p = [Float](repeating: 1, count: 3)
        XCTAssertThrowsError(try x.withUnsafeBufferPointer { xb in
            try out.withUnsafeMutableBufferPointer { ob in
                try p.withUnsafeBufferPointer { pb in
                    try GroupNormSiLUFused.apply(input: xb, output: ob, batch: 1, channels: 3, spatial: 2, groups: 2,
                                                 gamma: pb, beta: pb, eps: 1e-6)
                }
            }
        })
    }
}
