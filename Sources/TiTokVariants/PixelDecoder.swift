import Kernels
import WeightFormat

/// The MaskGIT-VQGAN convolutional decoder of the legacy family: [Z, g, g] -> [3, 16g, 16g].
struct PixelDecoder: @unchecked Sendable {
    static let groupNormEps: Float = 1e-6
    static let groups = 32

    /// A residual block; `shortcut` is the 1x1 conv applied to the block's own output when in != out.
    struct ResBlock: @unchecked Sendable {
        let input: Int, output: Int
        let norm1w, norm1b, conv1, norm2w, norm2b, conv2: Float32Tensor
        let shortcut: Float32Tensor?

        init(_ w: CheckedWeights, _ p: String, input: Int, output: Int) throws {
            self.input = input; self.output = output
            norm1w = try w("\(p).norm1.weight"); norm1b = try w("\(p).norm1.bias"); conv1 = try w("\(p).conv1.weight")
            norm2w = try w("\(p).norm2.weight"); norm2b = try w("\(p).norm2.bias"); conv2 = try w("\(p).conv2.weight")
            shortcut = input == output ? nil : try w("\(p).nin_shortcut.weight")
        }
    }

    struct Level: @unchecked Sendable {
        let blocks: [ResBlock]
        let upsampleW: Float32Tensor?, upsampleB: Float32Tensor?
    }

    let hidden: Int
    let zChannels: Int
    let convInW, convInB, normOutW, normOutB, convOutW, convOutB: Float32Tensor
    let mid: [ResBlock]
    /// Levels in execution order (up.4 first).
    let levels: [Level]

    init(_ w: CheckedWeights, config c: TiTokConfig) throws {
        hidden = c.pixelHiddenChannels; zChannels = c.pixelZChannels
        let top = hidden * PixelDecoderLayout.channelMultipliers.last!
        convInW = try w("pixel_decoder.conv_in.weight"); convInB = try w("pixel_decoder.conv_in.bias")
        mid = try [ResBlock(w, "pixel_decoder.mid.0", input: top, output: top), ResBlock(w, "pixel_decoder.mid.1", input: top, output: top)]
        var levels: [Level] = []
        for i in stride(from: PixelDecoderLayout.channelMultipliers.count - 1, through: 0, by: -1) {
            let (cin, cout) = PixelDecoderLayout.levelChannels(i, hidden: hidden)
            let blocks = try [ResBlock(w, "pixel_decoder.up.\(i).block.0", input: cin, output: cout),
                              ResBlock(w, "pixel_decoder.up.\(i).block.1", input: cout, output: cout)]
            levels.append(Level(blocks: blocks,
                                upsampleW: i == 0 ? nil : try w("pixel_decoder.up.\(i).upsample_conv.weight"),
                                upsampleB: i == 0 ? nil : try w("pixel_decoder.up.\(i).upsample_conv.bias")))
        }
        self.levels = levels
        normOutW = try w("pixel_decoder.norm_out.weight"); normOutB = try w("pixel_decoder.norm_out.bias")
        convOutW = try w("pixel_decoder.conv_out.weight"); convOutB = try w("pixel_decoder.conv_out.bias")
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

    /// Decodes one image: `z` [Z, g, g] -> `out` [3, 16g, 16g].
    func decode(_ z: UnsafePointer<Float>, grid g: Int, into out: UnsafeMutablePointer<Float>) throws {
        let cap = largestActivation(grid: g)
        let x = UnsafeMutablePointer<Float>.allocate(capacity: cap)
        let a = UnsafeMutablePointer<Float>.allocate(capacity: cap)
        let h = UnsafeMutablePointer<Float>.allocate(capacity: cap)
        defer { x.deallocate(); a.deallocate(); h.deallocate() }
        var side = g
        var channels = hidden * PixelDecoderLayout.channelMultipliers.last!
        Convolution.conv2d(z, channels: zChannels, height: g, width: g, weight: convInW.baseAddress, bias: convInB.baseAddress,
                           outChannels: channels, kernel: 3, into: x)
        for block in mid { try run(block, x: x, a: a, h: h, side: side) }
        for (index, level) in levels.enumerated() {
            for block in level.blocks { try run(block, x: x, a: a, h: h, side: side) }
            channels = level.blocks.last!.output
            if let uw = level.upsampleW, let ub = level.upsampleB {
                Convolution.upsampleNearest2x(x, channels: channels, height: side, width: side, into: a)
                side *= 2
                Convolution.conv2d(a, channels: channels, height: side, width: side, weight: uw.baseAddress, bias: ub.baseAddress,
                                   outChannels: channels, kernel: 3, into: x)
            }
            _ = index
        }
        try normSiLU(x, into: a, channels: channels, spatial: side * side, weight: normOutW, bias: normOutB)
        Convolution.conv2d(a, channels: channels, height: side, width: side, weight: convOutW.baseAddress,
                           bias: convOutB.baseAddress, outChannels: 3, kernel: 3, into: out)
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
                     h: UnsafeMutablePointer<Float>, side: Int) throws {
        let s = side * side
        try normSiLU(x, into: a, channels: b.input, spatial: s, weight: b.norm1w, bias: b.norm1b)
        Convolution.conv2d(a, channels: b.input, height: side, width: side, weight: b.conv1.baseAddress, bias: nil,
                           outChannels: b.output, kernel: 3, into: h)
        try normSiLU(h, into: a, channels: b.output, spatial: s, weight: b.norm2w, bias: b.norm2b)
        if let sc = b.shortcut {
            // h2 + nin_shortcut(h2): the reference applies the shortcut to the block's own output.
            Convolution.conv2d(a, channels: b.output, height: side, width: side, weight: b.conv2.baseAddress, bias: nil,
                               outChannels: b.output, kernel: 3, into: h)
            x.update(from: h, count: b.output * s)
            Convolution.conv2d(h, channels: b.output, height: side, width: side, weight: sc.baseAddress, bias: nil,
                               outChannels: b.output, kernel: 1, into: x, accumulate: true)
        } else {
            Convolution.conv2d(a, channels: b.output, height: side, width: side, weight: b.conv2.baseAddress, bias: nil,
                               outChannels: b.output, kernel: 3, into: x, accumulate: true)
        }
    }
}
