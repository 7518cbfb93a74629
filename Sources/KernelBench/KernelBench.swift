// kernel-bench: timings of the compute kernels on the shapes TiTok runs, for docs/BENCHMARKS.md.
// Build in release: `swift build -c release --product kernel-bench`. Synthetic data; no model files.
import ArgumentParser
import Foundation
import Kernels

@main
struct KernelBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel-bench",
        abstract: "Time the compute kernels on TiTok's shapes (release builds only).",
        subcommands: [LinearBench.self, ConvBench.self, ColdConvBench.self, FilterBench.self, AttentionBench.self])
}

/// Seconds on the monotonic clock.
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Deterministic value number `i` of a sequence, in [-scale/2, scale/2).
func value(_ i: Int, seed: Int, scale: Float) -> Float { Float((i &* 7919 &+ seed &* 104_729) % 1000) * 1e-3 * scale - scale / 2 }

/// `count` deterministic values.
func filled(_ count: Int, seed: Int, scale: Float = 1) -> [Float] { (0..<count).map { value($0, seed: seed, scale: scale) } }

/// The same values in a 64-byte aligned buffer that lives as long as the process.
func alignedFloats(_ count: Int, seed: Int, scale: Float = 1) -> UnsafeMutablePointer<Float> {
    let p = AlignedFloats.allocate(count)
    for i in 0..<count { p[i] = value(i, seed: seed, scale: scale) }
    return p
}

struct LinearBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linear",
        abstract: "A ViT block's four Linear layers (QKV, out, fc1, fc2) over `layers` distinct weights, 1 and 2 threads alternated.",
        discussion: "Weights stored as strips16 (as a converted file's), so with 24 layers of ViT-L they come from DRAM as in an encode. Prints the best pass's GFLOP/s, per shape.")

    @Option(help: "Model width W (ViT-S 512, B 768, L 1024).") var width = 1024
    @Option(help: "Rows per product: tokens x images (289 for one 256x256 image at 32 tokens).") var rows = 289
    @Option(help: "Distinct layers' weights, cycled.") var layers = 24
    @Option(help: "Timed passes per thread count.") var passes = 4

    final class Owner {}

    func run() {
        let owner = Owner()
        let shapes = [(3 * width, width), (width, width), (4 * width, width), (width, 4 * width)]
        let weights = (0..<layers).map { l in
            shapes.map { n, k in
                PackedLinearWeight(strips: UnsafePointer(alignedFloats(n * k, seed: l, scale: 0.01)), outFeatures: n, inFeatures: k,
                                   owner: owner, readRows: { _, _, _ in })
            }
        }
        let x = alignedFloats(rows * 4 * width, seed: 1), y = alignedFloats(rows * 4 * width, seed: 2)
        var best: [Int: (Double, [Double])] = [:]
        for pass in 0..<passes {
            for threads in pass % 2 == 0 ? [1, 2] : [2, 1] {
                ComputeThreads.set(threads)
                var perShape = [Double](repeating: 0, count: shapes.count)
                let t0 = now()
                for layer in weights {
                    for (i, w) in layer.enumerated() {
                        let s = now()
                        Dense.linear(x, rows: rows, weight: w, bias: nil, into: y)
                        perShape[i] += now() - s
                    }
                }
                let total = now() - t0
                if total < best[threads]?.0 ?? .infinity { best[threads] = (total, perShape) }
            }
        }
        for threads in [1, 2] {
            let (total, perShape) = best[threads]!
            let flops = shapes.map { 2.0 * Double(rows * $0.0 * $0.1 * layers) }
            let rates = zip(flops, perShape).map { String(format: "%.0f", $0 / $1 / 1e9) }.joined(separator: " ")
            print(String(format: "threads %d: %.1f ms, %.1f GFLOP/s (QKV, out, fc1, fc2: %@)", threads, total * 1e3,
                         flops.reduce(0, +) / total / 1e9, rates))
        }
    }
}

/// The pixel decoder's 3x3 convolutions at 256x256 output: (K, C, output side, upsampled input, count per decode).
let pixelDecoderConvs: [(Int, Int, Int, Bool, Int)] = [
    (512, 256, 16, false, 1), (512, 512, 16, false, 8), (512, 512, 32, true, 1), (256, 512, 32, false, 1),
    (256, 256, 32, false, 3), (256, 256, 64, true, 1), (256, 256, 64, false, 4), (256, 256, 128, true, 1),
    (128, 256, 128, false, 1), (128, 128, 128, false, 3), (128, 128, 256, true, 1), (128, 128, 256, false, 4),
]

/// Winograd F(2x2) below 32x32 output, F(4x4) from 32 on, as `Conv3x3Fused` plans them.
func plannedTile(side: Int) -> WinogradTile { side >= Conv3x3Fused.winogradMinimumSide ? .f4x4 : .f2x2 }

struct ConvBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convs",
        abstract: "The pixel decoder's 3x3 convolutions (256x256 output), each repeated: best ms per shape and the total for one decode.",
        discussion: "One conv's transformed filters stay in cache between repetitions; `cold-convs` measures them as a decode meets them.")

    @Option(help: "Thread counts, comma-separated.") var threads = "1,2"
    @Option(help: "Repetitions per shape and thread count (best kept).") var repetitions = 5

    func run() throws {
        let counts = threads.split(separator: ",").compactMap { Int($0) }
        var totals = [Int: Double]()
        let ws = ScratchBuffer()
        for (k, c, side, up, perDecode) in pixelDecoderConvs {
            let weight = filled(k * c * 9, seed: k + c, scale: 0.1)
            let conv = try weight.withUnsafeBufferPointer {
                try WinogradConv3x3(weight: $0, bias: nil, outChannels: k, inChannels: c, tile: plannedTile(side: side))
            }
            let inSide = up ? side / 2 : side
            let x = filled(c * inSide * inSide, seed: 3)
            var y = [Float](repeating: 0, count: k * side * side)
            var line = "K \(k) C \(c) \(side)x\(side)\(up ? " upsampled" : "") (x\(perDecode)):"
            for t in counts {
                ComputeThreads.set(t)
                var best = Double.infinity
                for _ in 0..<repetitions {
                    let t0 = now()
                    try x.withUnsafeBufferPointer { xb in
                        try y.withUnsafeMutableBufferPointer { yb in
                            try conv.apply(input: xb, batch: 1, height: side, width: side, upsample2x: up, output: yb, workspace: ws)
                        }
                    }
                    best = min(best, now() - t0)
                }
                line += String(format: "  %d thread%@ %.2f ms", t, t == 1 ? "" : "s", best * 1e3)
                totals[t, default: 0] += best * Double(perDecode)
            }
            print(line)
        }
        for t in counts { print(String(format: "one decode's convs, %d thread%@: %.1f ms", t, t == 1 ? "" : "s", totals[t]! * 1e3)) }
    }
}

struct ColdConvBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cold-convs",
        abstract: "`count` distinct convs of one shape run in turn, so each finds its transformed filters out of cache (as in a decode).")

    @Argument(help: "Output channels K.") var outChannels: Int
    @Argument(help: "Input channels C.") var inChannels: Int
    @Argument(help: "Output side (input not upsampled).") var side: Int
    @Argument(help: "Distinct convs.") var count: Int
    @Option(help: "Compute threads.") var threads = 2
    @Option(help: "Rounds over all convs (the first is not timed).") var rounds = 6

    func run() throws {
        ComputeThreads.set(threads)
        let tile = plannedTile(side: side)
        let convs = try (0..<count).map { j in
            try filled(outChannels * inChannels * 9, seed: j, scale: 0.1).withUnsafeBufferPointer {
                try WinogradConv3x3(weight: $0, bias: nil, outChannels: outChannels, inChannels: inChannels, tile: tile)
            }
        }
        let x = filled(inChannels * side * side, seed: 3)
        var y = [Float](repeating: 0, count: outChannels * side * side)
        let ws = ScratchBuffer()
        var times: [Double] = []
        for round in 0..<rounds {
            for conv in convs {
                let t0 = now()
                try x.withUnsafeBufferPointer { xb in
                    try y.withUnsafeMutableBufferPointer { yb in
                        try conv.apply(input: xb, batch: 1, height: side, width: side, output: yb, workspace: ws)
                    }
                }
                if round > 0 { times.append(now() - t0) }
            }
        }
        times.sort()
        print(String(format: "%d convs K %d C %d %dx%d %@, %d threads: median %.2f ms, min %.2f, max %.2f", count, outChannels,
                     inChannels, side, side, tile.description, threads,
                     times[times.count / 2] * 1e3, times[0] * 1e3, times[times.count - 1] * 1e3))
    }
}

struct FilterBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filters",
        abstract: "The Winograd filter transforms of the pixel decoder's 3x3 convs (done on a model's first decode): best ms per shape and for one decoder.")

    @Option(help: "Compute threads.") var threads = 2
    @Option(help: "Repetitions per shape (best kept).") var repetitions = 3

    func run() throws {
        ComputeThreads.set(threads)
        var total = 0.0
        for (k, c, side, _, perDecode) in pixelDecoderConvs {
            let weight = filled(k * c * 9, seed: k + c, scale: 0.1)
            var best = Double.infinity
            for _ in 0..<repetitions {
                let t0 = now()
                let conv = try weight.withUnsafeBufferPointer {
                    try WinogradConv3x3(weight: $0, bias: nil, outChannels: k, inChannels: c, tile: plannedTile(side: side))
                }
                best = min(best, now() - t0)
                withExtendedLifetime(conv) {}
            }
            total += best * Double(perDecode)
            print(String(format: "K %d C %d at %dx%d, %@: %.2f ms (%.1f ns per filter)", k, c, side, side,
                         plannedTile(side: side).description, best * 1e3, best / Double(k * c) * 1e9))
        }
        print(String(format: "one pixel decoder's filters, %d threads: %.1f ms", threads, total * 1e3))
    }
}

struct AttentionBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attention",
        abstract: "Multi-head self-attention over one sequence (Attention.selfAttention): median and best ms, GFLOP/s.")

    @Argument(help: "Tokens T (289: L-32 at 256; 1089: L-64 at 512).") var tokens: Int
    @Option(help: "Model width W.") var width = 1024
    @Option(help: "Heads.") var heads = 16
    @Option(help: "Compute threads.") var threads = 2
    @Option(help: "Timed calls.") var calls = 20

    func run() {
        ComputeThreads.set(threads)
        let qkv = filled(tokens * 3 * width, seed: 5)
        var out = [Float](repeating: 0, count: tokens * width)
        var times: [Double] = []
        for _ in 0..<calls {
            let t0 = now()
            qkv.withUnsafeBufferPointer { q in
                out.withUnsafeMutableBufferPointer { o in
                    Attention.selfAttention(qkv: q.baseAddress!, batch: 1, tokens: tokens, width: width, heads: heads, into: o.baseAddress!)
                }
            }
            times.append(now() - t0)
        }
        times.sort()
        let flops = 4.0 * Double(tokens * tokens * width)
        print(String(format: "attention T %d W %d, %d heads, %d threads: median %.2f ms, best %.2f ms (%.0f GFLOP/s)", tokens, width,
                     heads, threads, times[calls / 2] * 1e3, times[0] * 1e3, flops / times[0] / 1e9))
    }
}
