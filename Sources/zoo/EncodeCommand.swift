import ArgumentParser
import Foundation
import ImageIO
import ModelZoo
import WeightFormat

/// `zoo encode`: images to tokens (VQ) or latents (VAE).
struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Tokenize images: print their token ids (VQ) or latents (VAE).",
        discussion: """
            Images (PNG or JPEG) that are not R x R are resized (bicubic, shorter side to R) and \
            centre-cropped, unless --no-resize is given. With --json the output is \
            {"model": NAME, "resolution": R, "tokens": [[id, ...], ...]} for VQ models or \
            {"model": NAME, "resolution": R, "latents": [[[x, ...] ...] ...]} ([B][C][N]) for VAE \
            models: the input of `zoo decode`. --npy writes the encoder output before quantization \
            as float32 [B, C', N].
            """)

    @OptionGroup var model: ModelOptions

    @Argument(help: ArgumentHelp("PNG or JPEG images.", valueName: "IMAGE"))
    var images: [String] = []

    @OptionGroup var sizing: ImageSizingOptions
    @OptionGroup var folder: ModelsFolderOptions
    @OptionGroup var threading: ThreadOptions

    @Flag(name: .long, help: "Print the token JSON (the input of `zoo decode`).")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Also write the pre-quantization latents as float32 .npy [B, C', N].", valueName: "FILE"))
    var npy: String?

    @Option(name: .long, help: ArgumentHelp("Images per model call.", valueName: "B"))
    var batch: Int = 8

    @Option(name: .long, help: ArgumentHelp("VAE models: output a seeded sample of the posterior instead of its mean.", valueName: "SEED"))
    var sampleSeed: UInt64?

    func validate() throws {
        if images.isEmpty { throw ValidationError("give at least one IMAGE to encode") }
        guard batch >= 1, batch <= 1024 else { throw ValidationError("--batch must be between 1 and 1024, got \(batch)") }
    }

    func run() throws {
        let threads = threading.apply()
        let opened = try model.openTokenizer(models: folder.searchPath, threads: threads)
        let info = opened.info
        var encoding = try encodeAll(opened.tokenizer, info: info)
        if let seed = sampleSeed {
            guard info.isVAE else { throw ValidationError("--sample-seed applies to VAE models; \(info.variant) is a VQ model") }
            encoding.latents = try encoding.sampledLatents(seed: seed)
        }
        if let npy {
            try NPYFile.writeFloat32(encoding.preQuantization, shape: [images.count, info.preQuantChannels, info.numTokens], to: npy)
        }
        if json {
            print(try TokenFile.json(model: info.variant, info: info, encoding: encoding, batch: images.count))
        } else {
            printSummary(info: info, source: opened.source, encoding: encoding)
        }
    }

    /// Encodes every image, `batch` at a time, concatenating the results.
    private func encodeAll(_ tokenizer: ImageTokenizer, info: TokenizerInfo) throws -> TokenizerEncoding {
        var all = TokenizerEncoding(tokens: info.isVAE ? nil : [], latents: [], preQuantization: [])
        for start in stride(from: 0, to: images.count, by: batch) {
            let paths = images[start..<min(start + batch, images.count)]
            var pixels: [Float] = []
            for p in paths { PixelTensors.appendPlanar(try sizing.prepare(path: p, side: info.resolution).image, to: &pixels) }
            let e = try pixels.withUnsafeBufferPointer { try tokenizer.encode(pixels: $0, batch: paths.count) }
            if let t = e.tokens { all.tokens?.append(contentsOf: t) }
            all.latents.append(contentsOf: e.latents)
            all.preQuantization.append(contentsOf: e.preQuantization)
            if let std = e.latentStd { all.latentStd = (all.latentStd ?? []) + std }
        }
        return all
    }

    private func printSummary(info: TokenizerInfo, source: String, encoding: TokenizerEncoding) {
        print("model: \(info.variant) \(info.resolution)x\(info.resolution) (\(source))")
        let n = info.numTokens
        for (b, path) in images.enumerated() {
            if let t = encoding.tokens {
                print("\(path): \(n) tokens: " + t[(b * n)..<((b + 1) * n)].map(String.init).joined(separator: " "))
            } else {
                let c = info.tokenDim
                let slice = encoding.latents[(b * c * n)..<((b + 1) * c * n)]
                let mean = slice.reduce(0, +) / Float(slice.count)
                let std = (slice.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(slice.count)).squareRoot()
                print("\(path): latents \(c)x\(n), mean \(String(format: "%.4f", mean)), std \(String(format: "%.4f", std))")
            }
        }
        if let npy { print("wrote pre-quantization latents to \(npy)") }
    }
}
