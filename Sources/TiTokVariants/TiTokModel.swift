import Foundation
import Kernels
import ModelZoo
import WeightFormat

/// A runnable TiTok tokenizer (any of the three kinds), built from a config and its weights.
/// Immutable after construction: safe to use from several threads at once.
public final class TiTokModel: ImageTokenizer, StageTimedTokenizer, @unchecked Sendable {
    public let config: TiTokConfig
    public let info: TokenizerInfo
    /// Keeps the weight source (e.g. the memory-mapped file) alive.
    private let source: TensorProvider
    private let encoder: TiTokEncoder
    private let quantizer: VectorQuantizer?
    private let decoder: TiTokDecoder
    private let legacyHead: LegacyHead?
    private let rgbHead: RGBHead?
    private let pixelDecoder: PixelDecoder?

    /// Builds the model; every tensor's presence and shape is checked against the config.
    public init(config: TiTokConfig, tensors: TensorProvider, variant: String, untrained: Bool = false) throws {
        try config.validate()
        let w = try CheckedWeights(tensors, config: config)
        self.config = config
        source = tensors
        encoder = try TiTokEncoder(w, config: config)
        decoder = try TiTokDecoder(w, config: config)
        quantizer = config.kind == .vae ? nil
            : VectorQuantizer(embedding: try w("quantize.embedding.weight"), size: config.codebookSize,
                              dim: config.tokenSize, l2: config.useL2Norm)
        legacyHead = config.kind == .legacyVQ ? try LegacyHead(w, config: config) : nil
        pixelDecoder = config.kind == .legacyVQ ? try PixelDecoder(w, config: config) : nil
        rgbHead = config.kind == .legacyVQ ? nil : try RGBHead(w, config: config)
        info = TokenizerInfo(variant: variant, family: "titok", resolution: config.resolution, numTokens: config.numTokens,
                             codebookSize: config.kind == .vae ? 0 : config.codebookSize, tokenDim: config.tokenSize,
                             preQuantChannels: config.preQuantChannels, isVAE: config.kind == .vae, untrained: untrained)
    }

    // MARK: stage access

    /// Every intermediate of an encode: pre-quantization latents, tokens, quantized latents; for VAE the posterior.
    public struct EncodeStages: Sendable {
        public var zPre: [Float]
        public var tokens: [Int32]?
        public var zq: [Float]
        public var posteriorStd: [Float]?
    }

    /// Every intermediate of a decode: the legacy decoder logits [B, 1024, g, g] and the pixels [B, 3, R, R].
    public struct DecodeStages: Sendable {
        public var logits: [Float]?
        public var pixels: [Float]
    }

    private var pixelsPerImage: Int { 3 * config.resolution * config.resolution }
    private var latentsPerImage: Int { config.tokenSize * config.numTokens }

    private func checkBatch(_ batch: Int, _ count: Int, per: Int, _ what: String) throws {
        guard batch >= 1 else { throw ZooError.invalidArgument("batch must be at least 1, got \(batch)") }
        let (need, o) = batch.multipliedReportingOverflow(by: per)
        guard !o, count == need else {
            throw ZooError.invalidArgument("\(what): expected \(batch) x \(per) = \(o ? "overflow" : String(need)) values, got \(count)")
        }
    }

    /// Runs the encoder and the quantizer, keeping every stage.
    public func encodeStages(pixels: UnsafeBufferPointer<Float>, batch: Int, timings: ((String, Double) -> Void)? = nil) throws -> EncodeStages {
        try checkBatch(batch, pixels.count, per: pixelsPerImage, "pixels [B, 3, R, R]")
        var clock = ContinuousClock.now
        func lap(_ s: String) { if let timings { let now = ContinuousClock.now; timings(s, Self.ms(now - clock)); clock = now } }
        let z = encoder.encode(pixels.baseAddress!, batch: batch)
        lap("encoder")
        let n = config.numTokens, c = config.tokenSize
        if let q = quantizer {
            let (tokens, zq) = q.quantize(z, batch: batch, tokens: n)
            lap("quantize")
            return EncodeStages(zPre: z, tokens: tokens, zq: zq, posteriorStd: nil)
        }
        // VAE: mean = first C channels, logvar = last C channels clamped to [-30, 20].
        var mean = [Float](repeating: 0, count: batch * c * n), std = mean
        for b in 0..<batch {
            for i in 0..<(c * n) {
                mean[b * c * n + i] = z[b * 2 * c * n + i]
                let logvar = min(max(z[b * 2 * c * n + c * n + i], -30), 20)
                std[b * c * n + i] = expf(logvar / 2)
            }
        }
        lap("posterior")
        return EncodeStages(zPre: z, tokens: nil, zq: mean, posteriorStd: std)
    }

    /// Runs the decoder from latents [B, C, N], keeping the logits of the legacy head.
    /// `keepLogits: false` skips laying the legacy logits out as [B, 1024, g, g] (decode needs only the pixels).
    public func decodeStages(latents: UnsafeBufferPointer<Float>, batch: Int, keepLogits: Bool = true,
                             timings: ((String, Double) -> Void)? = nil) throws -> DecodeStages {
        try checkBatch(batch, latents.count, per: latentsPerImage, "latents [B, C, N]")
        var clock = ContinuousClock.now
        func lap(_ s: String) { if let timings { let now = ContinuousClock.now; timings(s, Self.ms(now - clock)); clock = now } }
        let features = decoder.decode(latents.baseAddress!, batch: batch)
        lap("decoder")
        let gg = config.numPatches, g = config.gridSide, r = config.resolution
        if let head = rgbHead {
            let px = head.pixels(features, batch: batch)
            lap("rgb_head")
            return DecodeStages(logits: nil, pixels: px)
        }
        let head = legacyHead!, pd = pixelDecoder!
        let logits = head.logits(features, rows: batch * gg)
        let mixed = head.mix(logits, rows: batch * gg)
        lap("decoder_head")
        let classes = config.pixelCodebookSize, zc = config.pixelZChannels
        var logitsPlanar: [Float]? = nil
        if keepLogits {
            var planarLogits = [Float](repeating: 0, count: logits.count)
            for b in 0..<batch { for p in 0..<gg { for k in 0..<classes {
                planarLogits[(b * classes + k) * gg + p] = logits[(b * gg + p) * classes + k]
            } } }
            logitsPlanar = planarLogits
        }
        var pixels = [Float](repeating: 0, count: batch * 3 * r * r)
        var planar = [Float](repeating: 0, count: zc * gg)
        try pixels.withUnsafeMutableBufferPointer { out in
            for b in 0..<batch {
                for p in 0..<gg { for k in 0..<zc { planar[k * gg + p] = mixed[(b * gg + p) * zc + k] } }
                try planar.withUnsafeBufferPointer { zp in
                    try pd.decode(zp.baseAddress!, grid: g, into: out.baseAddress! + b * 3 * r * r)
                }
            }
        }
        lap("pixel_decoder")
        return DecodeStages(logits: logitsPlanar, pixels: pixels)
    }

    // MARK: ImageTokenizer

    public func encode(pixels: UnsafeBufferPointer<Float>, batch: Int) throws -> TokenizerEncoding {
        let s = try encodeStages(pixels: pixels, batch: batch)
        return TokenizerEncoding(tokens: s.tokens, latents: s.zq, preQuantization: s.zPre, latentStd: s.posteriorStd)
    }

    public func decode(tokens: UnsafeBufferPointer<Int32>, batch: Int) throws -> [Float] {
        let lat = try latents(forTokens: tokens, batch: batch)
        return try lat.withUnsafeBufferPointer { try decodeStages(latents: $0, batch: batch, keepLogits: false).pixels }
    }

    public func decode(latents: UnsafeBufferPointer<Float>, batch: Int) throws -> [Float] {
        try decodeStages(latents: latents, batch: batch, keepLogits: false).pixels
    }

    /// Codebook latents [B, C, N] of token ids [B, N], after checking every id.
    public func latents(forTokens tokens: UnsafeBufferPointer<Int32>, batch: Int) throws -> [Float] {
        guard let q = quantizer else {
            throw ZooError.invalidArgument("\(info.variant) is a VAE model: it decodes latents, not token ids")
        }
        try checkBatch(batch, tokens.count, per: config.numTokens, "tokens [B, N]")
        for (i, id) in tokens.enumerated() where id < 0 || Int(id) >= q.size {
            throw ZooError.invalidArgument("token id \(id) at image \(i / config.numTokens), position \(i % config.numTokens) is outside 0..<\(q.size)")
        }
        return q.lookup(Array(tokens), batch: batch, tokens: config.numTokens)
    }

    // MARK: StageTimedTokenizer

    public func encodeTimed(pixels: UnsafeBufferPointer<Float>, batch: Int) throws -> (TokenizerEncoding, StageTimes) {
        var times: StageTimes = []
        let s = try encodeStages(pixels: pixels, batch: batch) { times.append(($0, $1)) }
        return (TokenizerEncoding(tokens: s.tokens, latents: s.zq, preQuantization: s.zPre, latentStd: s.posteriorStd), times)
    }

    public func decodeTimed(tokens: UnsafeBufferPointer<Int32>, batch: Int) throws -> ([Float], StageTimes) {
        var times: StageTimes = []
        let start = ContinuousClock.now
        let lat = try latents(forTokens: tokens, batch: batch)
        times.append(("lookup", Self.ms(ContinuousClock.now - start)))
        let s = try lat.withUnsafeBufferPointer { try decodeStages(latents: $0, batch: batch, keepLogits: false) { times.append(($0, $1)) } }
        return (s.pixels, times)
    }

    public func decodeTimed(latents: UnsafeBufferPointer<Float>, batch: Int) throws -> ([Float], StageTimes) {
        var times: StageTimes = []
        let s = try decodeStages(latents: latents, batch: batch, keepLogits: false) { times.append(($0, $1)) }
        return (s.pixels, times)
    }

    static func ms(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) * 1000 + Double(c.attoseconds) / 1e15
    }
}
