import CKernels
import Synchronization

/// A 3x3, stride 1, "same"-padded convolution planned once for its weights and output size, with
/// optional nearest 2x upsampling of the input, bias and residual fused in. Large images use
/// Winograd F(4x4, 3x3) (4x fewer multiply-adds; the transformed filters take 4x the weights'
/// memory, made on first use); sides from `winograd2x2MinimumSide` to below `winogradMinimumSide`
/// F(2x2, 3x3) (2.25x fewer; filters 16/9 of the weights); smaller ones one product over an im2col
/// copy, reading the weights in place (on the AVX2 kernel: packed once as row tiles, like the
/// Winograd filters, the same bits). A conv with at most `CK_FEW_OUTPUTS` output channels (the
/// pixel decoder's last, 128 -> 3) runs directly instead, whole output rows per thread, at any
/// side without upsampling. Once the weight is transformed or packed, the plan's
/// `releaseWeight` gives a memory-mapped weight's pages back.
public final class Conv3x3Fused: @unchecked Sendable {
    /// Output sides from which Winograd F(4x4, 3x3) pays for its transformed filters.
    public static let winogradMinimumSide = 32
    /// Output sides from which F(2x2, 3x3) beats im2col (measured on the 16x16 level of the pixel
    /// decoder, 512 channels: 16 point products 5.5 ms against 13.3 ms for the im2col product).
    public static let winograd2x2MinimumSide = 16

    public let inChannels: Int
    public let outChannels: Int
    /// True when this plan runs Winograd.
    public let usesWinograd: Bool
    /// True when the plan runs the direct few-output conv (`ck_conv3x3_few_outputs_isa`) on inputs
    /// that are not upsampled; those that are take the Winograd or im2col path as planned.
    public var usesDirect: Bool { outChannels <= Int(CK_FEW_OUTPUTS) }
    /// The Winograd algorithm the plan runs (when `usesWinograd`).
    public let winogradTile: WinogradTile
    /// Writes the K x C x 9 weight values as float32 to the destination (a 16-bit file tensor
    /// widened when the plan first needs it).
    public typealias WeightReader = @Sendable (_ destination: UnsafeMutablePointer<Float>) -> Void

    /// The transformed filters, made on first use (opening a model stays cheap) and kept.
    private let winograd = Mutex<WinogradConv3x3?>(nil)
    /// The float32 weight: in memory from the start, or read on first use (`readWeight`).
    private let weight: UnsafeBufferPointer<Float>?
    private let readWeight: WeightReader?
    /// A read weight kept for the im2col path (the Winograd path needs it only to transform).
    private let widened = Mutex<UnsafeMutableBufferPointer<Float>?>(nil)
    /// The weight as row tiles of [K, 9C] for the AVX2 kernel (`ck_pack_row_tiles`), made on first use.
    private let rowTiles = Mutex<UnsafeMutablePointer<Float>?>(nil)
    /// Gives the weight's memory-mapped pages back once it is no longer read (transformed or packed).
    private let releaseWeight: (@Sendable () -> Void)?
    private let bias: UnsafeBufferPointer<Float>?
    private let keepAlive: AnyObject?

    /// `weight` [K, C, 3, 3] and `bias` [K] must stay valid while `keepAlive` lives (the plan holds it).
    /// `side` is the output side the plan will mostly see (it picks the algorithm; any size works).
    /// `releaseWeight` runs once the plan no longer reads `weight` (a file map's pages given back).
    public convenience init(weight: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>?, outChannels: Int,
                            inChannels: Int, side: Int, keepAlive: AnyObject?,
                            releaseWeight: (@Sendable () -> Void)? = nil) throws {
        try self.init(weight: weight, reader: nil, count: weight.count, bias: bias, outChannels: outChannels,
                      inChannels: inChannels, side: side, keepAlive: keepAlive, releaseWeight: releaseWeight)
    }

    /// A plan whose weight ([K, C, 3, 3], `count` values) is read through `readWeight` once, on
    /// first use: opening a 16-bit file then converts nothing. `bias` as above.
    public convenience init(count: Int, readWeight: @escaping WeightReader, bias: UnsafeBufferPointer<Float>?,
                            outChannels: Int, inChannels: Int, side: Int, keepAlive: AnyObject?,
                            releaseWeight: (@Sendable () -> Void)? = nil) throws {
        try self.init(weight: nil, reader: readWeight, count: count, bias: bias, outChannels: outChannels,
                      inChannels: inChannels, side: side, keepAlive: keepAlive, releaseWeight: releaseWeight)
    }

    private init(weight: UnsafeBufferPointer<Float>?, reader: WeightReader?, count: Int, bias: UnsafeBufferPointer<Float>?,
                 outChannels: Int, inChannels: Int, side: Int, keepAlive: AnyObject?,
                 releaseWeight: (@Sendable () -> Void)?) throws {
        let (kc, o1) = outChannels.multipliedReportingOverflow(by: inChannels)
        let (n, o2) = kc.multipliedReportingOverflow(by: 9)
        guard outChannels > 0, inChannels > 0, !o1, !o2, count == n else {
            throw WinogradError(description: "conv 3x3: weight has \(count) values, expected \(outChannels)x\(inChannels)x3x3")
        }
        if let bias, bias.count != outChannels {
            throw WinogradError(description: "conv 3x3: bias has \(bias.count) values, expected \(outChannels)")
        }
        usesWinograd = side >= Self.winograd2x2MinimumSide
        winogradTile = side >= Self.winogradMinimumSide ? .f4x4 : .f2x2
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.weight = weight
        self.readWeight = reader
        self.bias = bias
        self.keepAlive = keepAlive
        self.releaseWeight = releaseWeight
    }

    deinit {
        widened.withLock { $0?.deallocate() }
        rowTiles.withLock { $0.map(AlignedFloats.free) }
    }

    /// Runs `body` on the float32 weight: in place, or read into a temporary copy (the Winograd
    /// path needs it only while its filters are transformed).
    private func withWeight<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        if let weight { return try body(weight) }
        var values = [Float](repeating: 0, count: outChannels * inChannels * 9)
        values.withUnsafeMutableBufferPointer { readWeight.unsafelyUnwrapped($0.baseAddress!) }
        return try values.withUnsafeBufferPointer(body)
    }

    /// The weight as [K, 9C] row tiles for the AVX2 kernel, packed on first call (from the
    /// weight in place or read once); the weight itself is not read again.
    private func packedWeightRows() -> UnsafePointer<Float> {
        rowTiles.withLock { kept in
            if let kept { return UnsafePointer(kept) }
            let k = 9 * inChannels
            let made = AlignedFloats.allocate(Int(ck_packed_rows_count(Int32(outChannels), Int32(k))))
            withWeight { w in
                VectorGEMM.packRowTiles(m: outChannels, k: k, a: w.baseAddress!, lda: k, into: made, threads: ComputeThreads.count)
            }
            kept = made
            releaseWeight?()
            return UnsafePointer(made)
        }
    }

    /// The float32 weight for the im2col path: in place, or read once and kept.
    private func weightValues() -> UnsafeBufferPointer<Float> {
        if let weight { return weight }
        return widened.withLock { kept in
            if let kept { return UnsafeBufferPointer(kept) }
            let made = UnsafeMutableBufferPointer<Float>.allocate(capacity: outChannels * inChannels * 9)
            readWeight.unsafelyUnwrapped(made.baseAddress!)
            kept = made
            return UnsafeBufferPointer(made)
        }
    }

    /// `input` [batch, C, h, w] -> `output` [batch, K, height, width] (+ bias, + `residual`), where
    /// (h, w) is (height, width) or half of it with `upsample2x`. `residual` may be `output` itself;
    /// `output` must not overlap `input`.
    public func apply(input: UnsafeBufferPointer<Float>, batch: Int, height: Int, width: Int, upsample2x: Bool = false,
                      residual: UnsafeBufferPointer<Float>? = nil, output: UnsafeMutableBufferPointer<Float>,
                      workspace: ScratchBuffer) throws {
        if usesDirect, !upsample2x {
            return try applyDirect(input: input, batch: batch, height: height, width: width, residual: residual, output: output)
        }
        if usesWinograd {
            let winograd = try self.winograd.withLock { plan in
                if let plan { return plan }
                let made = try withWeight {
                    try WinogradConv3x3(weight: $0, bias: bias, outChannels: outChannels, inChannels: inChannels, tile: winogradTile)
                }
                plan = made
                releaseWeight?()
                return made
            }
            return try winograd.apply(input: input, batch: batch, height: height, width: width, upsample2x: upsample2x,
                                      residual: residual, output: output, workspace: workspace)
        }
        let (ib, ob) = try checkedImageSizes(input: input, batch: batch, height: height, width: width, upsample2x: upsample2x,
                                             residual: residual, output: output)
        let g = WinogradGeometry(batch: 1, height: height, width: width, upsample2x: upsample2x)
        let plane = height * width, inPlane = g.inH * g.inW
        let (colCount, o3) = (9 * inChannels).multipliedReportingOverflow(by: plane)
        guard !o3 else {
            throw WinogradError(description: "conv 3x3: the im2col copy of \(inChannels) channels x \(height)x\(width) is too large")
        }
        let packedRows = VectorGEMM.usesPackedRows ? packedWeightRows() : nil
        let k = 9 * inChannels, tiles = VectorGEMM.packedRowTiles(outChannels)
        let parts = packedRows != nil && outChannels * plane * k >= 1 << 20 ? min(ComputeThreads.count, tiles) : 1
        let items = VectorGEMM.workItems(units: tiles, threads: parts)
        let partialCount = Int(ck_packed_rows_partial_count(Int32(min(outChannels, (tiles + items - 1) / items * VectorGEMM.packedTileRows))))
        let colRounded = (colCount + 15) / 16 * 16
        let col = workspace.pointer(count: colRounded + (packedRows != nil ? items * partialCount : 0))
        let weights = packedRows == nil ? weightValues() : nil
        for b in 0..<batch {
            let src = input.baseAddress! + b * ib
            // col[(c*9 + i*3 + j), y*W + x] = in(c, y+i-1, x+j-1), zero outside, upsampled reads.
            Parallel.forEach(inChannels) { c in
                let inPlaneBase = src + c * inPlane
                for t in 0..<9 {
                    let i = t / 3, j = t % 3
                    let rowBase = col + (c * 9 + t) * plane
                    for y in 0..<height {
                        g.fetchRow(inPlaneBase, y: y + i - 1, firstColumn: j - 1, count: width, into: rowBase + y * width)
                    }
                }
            }
            let dst = output.baseAddress! + b * ob
            var beta: Float = 0
            if let residual {
                let r = residual.baseAddress! + b * ob
                if r != UnsafePointer(dst) { dst.update(from: r, count: ob) }
                beta = 1
            }
            if let bias {
                for k in 0..<outChannels {
                    let row = dst + k * plane, v = bias[k]
                    if beta == 0 { row.update(repeating: v, count: plane) } else { for p in 0..<plane { row[p] += v } }
                }
                beta = 1
            }
            if let packedRows {
                // Row tiles in items claimed by the threads; the columns are plain rows of `col`, 16 at a time.
                let partial = col + colRounded, accumulate: Int32 = beta != 0 ? 1 : 0
                Parallel.forEach(items) { p in
                    let t0 = tiles * p / items, t1 = tiles * (p + 1) / items
                    let r0 = t0 * VectorGEMM.packedTileRows, r1 = min(outChannels, t1 * VectorGEMM.packedTileRows)
                    guard r0 < r1 else { return }
                    ck_gemm_packed_rows_avx2(Int32(r1 - r0), Int32(plane), Int32(k), packedRows, Int32(t0), Int32(tiles),
                                             col, plane, 16, dst + r0 * plane, plane, accumulate, nil, partial + p * partialCount)
                }
            } else {
                splitRowsSGEMM(m: outChannels, n: plane, k: k, a: weights!.baseAddress!, lda: k,
                               b: col, ldb: plane, c: dst, ldc: plane, accumulate: beta != 0)
            }
        }
    }

    /// A few output channels (the pixel decoder's final 128 -> 3 conv): a direct conv over whole
    /// output rows split among the threads (`ck_conv3x3_few_outputs_isa`). Winograd would transform
    /// every input channel's tiles for three outputs: at 256x256 its 5.9 ms on one thread did not
    /// shrink on two (the input transform reads 33 MB for 0.45 GFLOP), the rows here do.
    private func applyDirect(input: UnsafeBufferPointer<Float>, batch: Int, height: Int, width: Int,
                             residual: UnsafeBufferPointer<Float>?, output: UnsafeMutableBufferPointer<Float>) throws {
        let (ib, ob) = try checkedImageSizes(input: input, batch: batch, height: height, width: width, upsample2x: false,
                                             residual: residual, output: output)
        let w = weightValues()
        // Every path gives the same bits; TITOK_GEMM=avx2 keeps AVX-512 code out (valgrind), any
        // other setting takes the widest the CPU has.
        let isa: Int32 = VectorGEMM.kernel == .avx2 ? 1 : 2
        let parts = min(ComputeThreads.count * 4, height)
        Parallel.forEach(batch * parts) { item in
            let b = item / parts, p = item % parts
            let y0 = height * p / parts, y1 = height * (p + 1) / parts
            _ = ck_conv3x3_few_outputs_isa(isa, input.baseAddress! + b * ib, Int32(inChannels), Int32(height), Int32(width),
                                           w.baseAddress!, Int32(outChannels), bias?.baseAddress,
                                           residual.map { $0.baseAddress! + b * ob }, output.baseAddress! + b * ob, Int32(y0), Int32(y1))
        }
    }

    /// Values per image of the input and the output, once the shape and every buffer's size are
    /// checked (the direct and im2col paths; Winograd checks its own).
    private func checkedImageSizes(input: UnsafeBufferPointer<Float>, batch: Int, height: Int, width: Int, upsample2x: Bool,
                                   residual: UnsafeBufferPointer<Float>?, output: UnsafeMutableBufferPointer<Float>) throws -> (Int, Int) {
        guard batch > 0, height > 0, width > 0, !upsample2x || (height % 2 == 0 && width % 2 == 0) else {
            throw WinogradError(description: "conv 3x3: bad output size \(batch)x\(height)x\(width)\(upsample2x ? " (upsampled)" : "")")
        }
        let (plane, o0) = height.multipliedReportingOverflow(by: width)
        let inPlane = upsample2x ? plane / 4 : plane
        let (ib, o1) = inChannels.multipliedReportingOverflow(by: inPlane)
        let (ob, o2) = outChannels.multipliedReportingOverflow(by: plane)
        let (inAll, o3) = ib.multipliedReportingOverflow(by: batch)
        let (outAll, o4) = ob.multipliedReportingOverflow(by: batch)
        guard !o0, !o1, !o2, !o3, !o4, input.count == inAll, output.count == outAll, residual.map({ $0.count == outAll }) ?? true else {
            throw WinogradError(description: "conv 3x3: buffers hold \(input.count) in / \(output.count) out values for \(batch) images of \(inChannels)->\(outChannels) x \(height)x\(width)")
        }
        return (ib, ob)
    }
}
