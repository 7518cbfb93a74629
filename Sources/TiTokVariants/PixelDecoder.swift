import Kernels
import WeightFormat

/// The MaskGIT-VQGAN convolutional decoder of the legacy family: [Z, g, g] -> [3, 16g, 16g].
struct PixelDecoder: @unchecked Sendable {
    static let groupNormEps: Float = 1e-6
    static let groups = 32

    /// A residual block; `shortcut` is the 1x1 conv applied to the block's own output when in != out.
    struct ResBlock: @unchecked Sendable {
        let input: Int, output: Int
        let norm1w, norm1b, norm2w, norm2b: Float32Tensor
        /// The 3x3 convs, planned for this block's image side (Winograd on large sides).
        let conv1, conv2: Conv3x3Fused
        let shortcut: Float32Tensor?

        init(_ w: CheckedWeights, _ p: String, input: Int, output: Int, side: Int) throws {
            self.input = input; self.output = output
            norm1w = try w("\(p).norm1.weight"); norm1b = try w("\(p).norm1.bias")
            norm2w = try w("\(p).norm2.weight"); norm2b = try w("\(p).norm2.bias")
            conv1 = try planConv(w, "\(p).conv1.weight", bias: nil, input: input, output: output, side: side)
            conv2 = try planConv(w, "\(p).conv2.weight", bias: nil, input: output, output: output, side: side)
            shortcut = input == output ? nil : try w("\(p).nin_shortcut.weight")
        }
    }

    struct Level: @unchecked Sendable {
        let blocks: [ResBlock]
        /// Nearest 2x upsampling fused with the following 3x3 conv (levels 4..1).
        let upsample: Conv3x3Fused?
    }

    /// The three activation buffers and the Winograd scratch of one call, kept between calls.
    final class Scratch: @unchecked Sendable {
        let x = ScratchBuffer(), a = ScratchBuffer(), h = ScratchBuffer()
        let winograd = ScratchBuffer()
    }

    let hidden: Int
    let zChannels: Int
    let scratch = ScratchPool<Scratch> { Scratch() }
    let normOutW, normOutB: Float32Tensor
    let convIn, convOut: Conv3x3Fused
    let mid: [ResBlock]
    /// Levels in execution order (up.4 first).
    let levels: [Level]

    init(_ w: CheckedWeights, config c: TiTokConfig) throws {
        hidden = c.pixelHiddenChannels; zChannels = c.pixelZChannels
        let top = hidden * PixelDecoderLayout.channelMultipliers.last!
        var side = c.gridSide
        convIn = try planConv(w, "pixel_decoder.conv_in.weight", bias: "pixel_decoder.conv_in.bias",
                              input: zChannels, output: top, side: side)
        mid = try [ResBlock(w, "pixel_decoder.mid.0", input: top, output: top, side: side),
                   ResBlock(w, "pixel_decoder.mid.1", input: top, output: top, side: side)]
        var levels: [Level] = []
        for i in stride(from: PixelDecoderLayout.channelMultipliers.count - 1, through: 0, by: -1) {
            let (cin, cout) = PixelDecoderLayout.levelChannels(i, hidden: hidden)
            let blocks = try [ResBlock(w, "pixel_decoder.up.\(i).block.0", input: cin, output: cout, side: side),
                              ResBlock(w, "pixel_decoder.up.\(i).block.1", input: cout, output: cout, side: side)]
            var upsample: Conv3x3Fused?
            if i != 0 {
                side *= 2
                upsample = try planConv(w, "pixel_decoder.up.\(i).upsample_conv.weight", bias: "pixel_decoder.up.\(i).upsample_conv.bias",
                                        input: cout, output: cout, side: side)
            }
            levels.append(Level(blocks: blocks, upsample: upsample))
        }
        self.levels = levels
        normOutW = try w("pixel_decoder.norm_out.weight"); normOutB = try w("pixel_decoder.norm_out.bias")
        convOut = try planConv(w, "pixel_decoder.conv_out.weight", bias: "pixel_decoder.conv_out.bias",
                               input: hidden * PixelDecoderLayout.channelMultipliers[0], output: 3, side: side)
    }

    /// Largest activation (channels x pixels) of one image at grid side g.
    func largestActivation(grid g: Int) -> Int {
        var side = g, best = zChannels * g * g
        best = max(best, hidden * PixelDecoderLayout.channelMultipliers.last! * side * side)
        for (index, level) in levels.enumerated() {
            best = max(best, level.blocks[0].input * side * side, level.blocks[0].output * side * side)
            if index < levels.count - 1 { side *= 2; best = max(best, level.blocks[0].output * side * side) }
        }
        return best
    }

    /// Decodes one image: `z` [Z, g, g] -> `out` [3, 16g, 16g]. Three activation buffers are
    /// reused through the whole network (upsampling is fused into the convs that follow it), and
    /// kept for the next call (`scratch`: one set per concurrent caller).
    func decode(_ z: UnsafePointer<Float>, grid g: Int, into out: UnsafeMutablePointer<Float>) throws {
        try scratch.with { s in try decodeOwnThreads(z, grid: g, into: out, scratch: s) }
    }

    private func decodeOwnThreads(_ z: UnsafePointer<Float>, grid g: Int, into out: UnsafeMutablePointer<Float>,
                                  scratch s: Scratch) throws {
        let cap = largestActivation(grid: g)
        var x = s.x.pointer(count: cap)
        var a = s.a.pointer(count: cap)
        let h = s.h.pointer(count: cap)
        let ws = s.winograd
        var side = g
        var channels = hidden * PixelDecoderLayout.channelMultipliers.last!
        try convIn.apply(input: UnsafeBufferPointer(start: z, count: zChannels * g * g), batch: 1, height: g, width: g,
                         output: UnsafeMutableBufferPointer(start: x, count: channels * g * g), workspace: ws)
        for block in mid { try run(block, x: x, a: a, h: h, side: side, workspace: ws) }
        for level in levels {
            for block in level.blocks { try run(block, x: x, a: a, h: h, side: side, workspace: ws) }
            channels = level.blocks.last!.output
            if let up = level.upsample {
                try up.apply(input: UnsafeBufferPointer(start: x, count: channels * side * side), batch: 1,
                             height: 2 * side, width: 2 * side, upsample2x: true,
                             output: UnsafeMutableBufferPointer(start: a, count: channels * 4 * side * side), workspace: ws)
                swap(&x, &a)
                side *= 2
            }
        }
        try normSiLU(x, into: a, channels: channels, spatial: side * side, weight: normOutW, bias: normOutB)
        try convOut.apply(input: UnsafeBufferPointer(start: a, count: channels * side * side), batch: 1, height: side, width: side,
                          output: UnsafeMutableBufferPointer(start: out, count: 3 * side * side), workspace: ws)
    }

    private func normSiLU(_ src: UnsafeMutablePointer<Float>, into dst: UnsafeMutablePointer<Float>, channels: Int, spatial: Int,
                          weight: Float32Tensor, bias: Float32Tensor) throws {
        try GroupNormSiLUFused.apply(input: UnsafeBufferPointer(start: src, count: channels * spatial),
                                     output: UnsafeMutableBufferPointer(start: dst, count: channels * spatial),
                                     batch: 1, channels: channels, spatial: spatial, groups: Self.groups,
                                     gamma: weight.buffer, beta: bias.buffer, eps: Self.groupNormEps, silu: true)
    }

    /// x <- block(x); `a`, `h` are scratch buffers of the same capacity.
    private func run(_ b: ResBlock, x: UnsafeMutablePointer<Float>, a: UnsafeMutablePointer<Float>,
                     h: UnsafeMutablePointer<Float>, side: Int, workspace ws: ScratchBuffer) throws {
        let s = side * side
        let inCount = b.input * s, outCount = b.output * s
        try normSiLU(x, into: a, channels: b.input, spatial: s, weight: b.norm1w, bias: b.norm1b)
        try b.conv1.apply(input: UnsafeBufferPointer(start: a, count: inCount), batch: 1, height: side, width: side,
                          output: UnsafeMutableBufferPointer(start: h, count: outCount), workspace: ws)
        try normSiLU(h, into: a, channels: b.output, spatial: s, weight: b.norm2w, bias: b.norm2b)
        if let sc = b.shortcut {
            // h2 + nin_shortcut(h2): the reference applies the shortcut to the block's own output.
            try b.conv2.apply(input: UnsafeBufferPointer(start: a, count: outCount), batch: 1, height: side, width: side,
                              output: UnsafeMutableBufferPointer(start: h, count: outCount), workspace: ws)
            x.update(from: h, count: outCount)
            splitRowsSGEMM(m: b.output, n: s, k: b.output, a: sc.baseAddress, lda: b.output, b: h, ldb: s,
                           c: x, ldc: s, accumulate: true)
        } else {
            // x + conv2(...): the residual is added in place by the conv's output transform.
            let xs = UnsafeMutableBufferPointer(start: x, count: outCount)
            try b.conv2.apply(input: UnsafeBufferPointer(start: a, count: outCount), batch: 1, height: side, width: side,
                              residual: UnsafeBufferPointer(xs), output: xs, workspace: ws)
        }
    }
}

/// A planned 3x3 conv over checkpoint tensors (kept alive by the plan). A raw 16-bit weight is
/// read from the file when the plan first runs (its filters transformed then), so opening the
/// file converts nothing; its shape was checked with the others when the weights were opened.
private func planConv(_ w: CheckedWeights, _ weightName: String, bias biasName: String?, input: Int, output: Int,
                      side: Int) throws -> Conv3x3Fused {
    let bias = try biasName.map { try w($0) }
    if let deferred = w.deferred(weightName) {
        return try Conv3x3Fused(count: deferred.count, readWeight: { deferred.read(elements: 0..<deferred.count, into: $0) },
                                bias: bias?.buffer, outChannels: output, inChannels: input, side: side,
                                keepAlive: PlanOwners(bias?.owner), releaseWeight: { deferred.releaseResidentPages() })
    }
    let weight = try w(weightName)
    return try Conv3x3Fused(weight: weight.buffer, bias: bias?.buffer, outChannels: output, inChannels: input, side: side,
                            keepAlive: PlanOwners(weight.owner, bias?.owner), releaseWeight: w.releaseResidentPages(of: weight))
}

/// Keeps the storages of a conv's tensors alive.
private final class PlanOwners {
    let owners: [AnyObject]
    init(_ owners: AnyObject?...) { self.owners = owners.compactMap { $0 } }
}
