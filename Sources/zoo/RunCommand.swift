import ArgumentParser
import Foundation
import ImageIO
import ModelZoo

/// `zoo run`: tokenize one image and reconstruct it, with sizes and timings.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Tokenize one image and reconstruct it from its tokens.",
        discussion: """
            Prints the tokens (or latent statistics for VAE models), the compression (R*R*24 bits \
            of RGB against N*log2(codebook) bits of tokens) and the time of each stage. Default \
            image: the shipped photo assets/\(AssetLocator.defaultImage) (found next to the \
            executable, in the package, or under $TITOK_ASSETS). Images of another size are resized \
            (bicubic, shorter side to R) and centre-cropped; --no-resize rejects them. --out writes \
            the input and the reconstruction side by side.
            """)

    @OptionGroup var model: ModelOptions

    @Option(name: .long, help: ArgumentHelp("Input PNG or JPEG (default: a shipped photo).", valueName: "IN"))
    var image: String?

    @Option(name: .long, help: ArgumentHelp("Write input | reconstruction side by side as PNG.", valueName: "OUT.png"))
    var out: String?

    @Option(name: .customLong("tokens-out"), help: ArgumentHelp("Write the token JSON (as `zoo encode --json`).", valueName: "FILE"))
    var tokensOut: String?

    @OptionGroup var sizing: ImageSizingOptions
    @OptionGroup var folder: ModelsFolderOptions
    @OptionGroup var threading: ThreadOptions

    func run() throws {
        let inputPath = try resolveImage()
        let threads = threading.apply()
        let opened = try model.openTokenizer(models: folder.searchPath, threads: threads)
        let info = opened.info
        let (prepared, prepMs) = try Stopwatch.measure { try sizing.prepare(path: inputPath, side: info.resolution) }
        var pixels: [Float] = []
        PixelTensors.appendPlanar(prepared.image, to: &pixels)
        let (encoding, encStages, encMs) = try TimedCalls.encode(opened.tokenizer, pixels: pixels, batch: 1)
        let (decoded, decStages, decMs) = try TimedCalls.decode(opened.tokenizer, encoding: encoding, batch: 1)
        let recon = PixelTensors.image(fromPlanar: decoded, index: 0, side: info.resolution)

        print("model:   \(info.variant) at \(info.resolution)x\(info.resolution) (\(opened.source))")
        if info.untrained { print("         untrained weights: the reconstruction is noise, the shapes and timings are real") }
        let sizeNote = prepared.wasResized
            ? "\(prepared.original.width)x\(prepared.original.height), resized (bicubic, shorter side) and centre-cropped to \(info.resolution)x\(info.resolution)"
            : "\(info.resolution)x\(info.resolution)"
        print("image:   \(inputPath) (\(sizeNote))")
        if let tokens = encoding.tokens {
            print("tokens:  \(tokens.count): " + tokens.map(String.init).joined(separator: " "))
        } else {
            print("latents: \(info.tokenDim) x \(info.numTokens) (continuous VAE tokens)")
        }
        print("size:    " + Self.compression(info))
        print("time:    load \(Formatting.ms(opened.loadMs)), preprocess \(Formatting.ms(prepMs)), encode \(Formatting.ms(encMs))\(Self.detail(encStages)), decode \(Formatting.ms(decMs))\(Self.detail(decStages))")
        let mse = zip(prepared.image.pixels, recon.pixels).reduce(0.0) { acc, p in
            let d = Double(p.0) - Double(p.1); return acc + d * d
        } / Double(recon.pixels.count)
        print("psnr:    " + (mse == 0 ? "inf" : String(format: "%.2f dB", 10 * log10(255.0 * 255.0 / mse))))

        if let out {
            try ImageFile.writePNG(PixelTensors.sideBySide(prepared.image, recon), to: out)
            print("wrote:   \(out) (input | reconstruction)")
        }
        if let tokensOut {
            let text = try TokenFile.json(model: info.variant, info: info, encoding: encoding, batch: 1)
            do { try Data((text + "\n").utf8).write(to: URL(fileURLWithPath: tokensOut), options: .atomic) } catch {
                throw CLIError("cannot write \(tokensOut): \((error as NSError).localizedDescription)")
            }
            print("wrote:   \(tokensOut) (tokens)")
        }
    }

    private func resolveImage() throws -> String {
        if let image { return image }
        let (path, tried) = AssetLocator.find(AssetLocator.defaultImage)
        guard let path else {
            throw CLIError("cannot find the shipped photo (tried \(tried.joined(separator: ", "))); pass --image IN or set $TITOK_ASSETS to the assets folder")
        }
        return path
    }

    /// "R*R*24 bits -> N*log2(K) bits (ratio x)".
    static func compression(_ info: TokenizerInfo) -> String {
        let rgbBits = Double(info.resolution * info.resolution * 24)
        if info.isVAE {
            let bits = Double(info.numTokens * info.tokenDim * 32)
            return String(format: "%d*%d*24 = %.0f bits of RGB -> %d tokens x %d float32 = %.0f bits (%.1fx smaller)",
                          info.resolution, info.resolution, rgbBits, info.numTokens, info.tokenDim, bits, rgbBits / bits)
        }
        let perToken = log2(Double(max(info.codebookSize, 1)))
        let bits = Double(info.numTokens) * perToken
        return String(format: "%d*%d*24 = %.0f bits of RGB -> %d tokens x log2(%d) = %.0f bits (%.0fx smaller)",
                      info.resolution, info.resolution, rgbBits, info.numTokens, info.codebookSize, bits, rgbBits / bits)
    }

    static func detail(_ stages: StageTimes) -> String {
        guard stages.count > 1 else { return "" }
        return " (" + stages.map { "\($0.stage) \(Formatting.ms($0.ms))" }.joined(separator: ", ") + ")"
    }
}
