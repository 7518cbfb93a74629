import ArgumentParser
import Foundation
import ImageIO
import ModelZoo
import WeightFormat

/// `zoo generate`: class-conditional image generation with a MaskGIT generator and its tokenizer.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate images of ImageNet classes with a MaskGIT generator.",
        discussion: """
            Samples N tokens per image with the generator (default settings: the paper's for that \
            generator), decodes them with the tokenizer it pairs with (or --tokenizer) and writes \
            DIR/0.png, DIR/1.png, ... and a contact sheet DIR/grid.png. --class takes numbers 0-999 \
            or ImageNet names ("golden retriever"); repeat it for more images. The same --seed gives \
            the same images for any thread count.
            """)

    @Argument(help: ArgumentHelp("A generator .tzw file or variant (MaskGIT-TiTok-L-32, MaskGIT-TiTok-B-64, MaskGIT-TiTok-S-128).",
                                 valueName: "MODEL"))
    var model: String

    @Option(name: .customLong("class"), help: ArgumentHelp("Class number or ImageNet name; repeat for a batch.", valueName: "CLASS"))
    var classes: [String] = []

    @Option(name: .long, help: ArgumentHelp("Seed of the sampling noise.", valueName: "S"))
    var seed: UInt64 = 0

    @Option(name: .long, help: ArgumentHelp("Sampling steps (default: the generator's).", valueName: "N"))
    var steps: Int?

    @Option(name: .long, help: ArgumentHelp("Classifier-free guidance scale (default: the generator's).", valueName: "G"))
    var guidance: Double?

    @Option(name: .long, help: ArgumentHelp("Gumbel noise temperature at the first step; 0 is deterministic (default: the generator's).", valueName: "T"))
    var temperature: Double?

    @Option(name: .long, help: ArgumentHelp("Guidance schedule: constant, linear or power-cosine (default: the generator's).", valueName: "DECAY"))
    var decay: String?

    @Option(name: .long, help: ArgumentHelp("Softmax temperature annealing: on or off (default: the generator's).", valueName: "on|off"))
    var annealing: String?

    @Option(name: .long, help: ArgumentHelp("Tokenizer that decodes the tokens: a .tzw file or variant (default: the one the generator pairs with).", valueName: "MODEL"))
    var tokenizer: String?

    @Option(name: .customLong("tokens-out"), help: ArgumentHelp("Also write the tokens as JSON (the form `zoo decode` reads).", valueName: "FILE"))
    var tokensOut: String?

    @Option(name: .long, help: ArgumentHelp("Folder for the PNGs (created if missing).", valueName: "DIR"))
    var out: String?

    @Flag(name: .customLong("no-images"), help: "Only sample tokens (write them with --tokens-out); no tokenizer needed.")
    var noImages = false

    @Flag(name: .customLong("random-weights"), help: "Untrained seeded random weights for the generator and its tokenizer (no files needed).")
    var randomWeights = false

    @OptionGroup var folder: ModelsFolderOptions
    @OptionGroup var threading: ThreadOptions

    func validate() throws {
        guard !classes.isEmpty else { throw ValidationError("give at least one --class (a number 0-999 or an ImageNet name)") }
        guard classes.count <= 1024 else { throw ValidationError("at most 1024 --class values, got \(classes.count)") }
        if let s = steps, s < 1 || s > GenerationParams.maxSteps {
            throw ValidationError("--steps must be between 1 and \(GenerationParams.maxSteps), got \(s)")
        }
        if let g = guidance, !g.isFinite { throw ValidationError("--guidance must be a finite number") }
        if let t = temperature, !(t.isFinite && t >= 0) { throw ValidationError("--temperature must be a finite number >= 0, got \(t)") }
        if let d = decay, GuidanceDecay(rawValue: d) == nil {
            throw ValidationError("--decay must be constant, linear or power-cosine, got '\(d)'")
        }
        if let a = annealing, !["on", "off"].contains(a) { throw ValidationError("--annealing must be on or off, got '\(a)'") }
        if noImages {
            guard tokensOut != nil else { throw ValidationError("--no-images needs --tokens-out FILE") }
            if tokenizer != nil { throw ValidationError("--tokenizer has no use with --no-images") }
        } else if out == nil {
            throw ValidationError("give --out DIR for the images (or --no-images with --tokens-out)")
        }
    }

    func run() throws {
        let threads = threading.apply()
        let names = try? ImageNetClasses.load()
        let byName = classes.map { Int($0.trimmingCharacters(in: .whitespaces)) == nil }
        let labels = try classes.map { text -> Int in
            if let n = Int(text.trimmingCharacters(in: .whitespaces)) { return n }
            guard let names else { throw CLIError("class names need assets/imagenet_classes.json (not found); give class numbers") }
            return try names.resolve(text)
        }
        let opened = try GenerateModels.openGenerator(model, randomWeights: randomWeights, weightsSeed: 0,
                                                      models: folder.searchPath, threads: threads)
        let info = opened.info
        if byName.contains(true), let names, info.numClasses != names.entries.count {
            throw CLIError("\(info.variant) has \(info.numClasses) classes, not ImageNet's \(names.entries.count): give class numbers")
        }
        for (i, c) in labels.enumerated() where c < 0 || c >= info.numClasses {
            throw CLIError("--class \(classes[i]): class \(c) is out of range 0..<\(info.numClasses)")
        }
        let decoder = noImages ? nil : try GenerateModels.openTokenizer(for: opened, explicit: tokenizer, randomWeights: randomWeights,
                                                                        models: folder.searchPath, threads: threads)
        let params = parameters(defaults: opened.generator.defaultParameters)
        if let out, !noImages { try DecodeCommand.makeDirectory(out) }  // before sampling: --tokens-out may point into it
        printError("\(info.variant) (\(opened.source)): \(labels.count) image\(labels.count == 1 ? "" : "s"), "
                   + "\(params.steps) steps, guidance \(params.guidanceScale) \(params.guidanceDecay), temperature \(params.randomizeTemperature), "
                   + "annealing \(params.softmaxTemperatureAnnealing ? "on" : "off"), seed \(params.seed)")
        let progress = GenerateProgress(enabled: isatty(STDERR_FILENO) != 0)
        let (tokens, ms) = try Stopwatch.measure {
            try opened.generator.generate(labels: labels, parameters: params, noise: nil, progress: progress.callback)
        }
        progress.finish()
        printError(String(format: "sampled in %.0f ms (%.0f ms per image)", ms, ms / Double(labels.count)))

        if let tokensOut {
            let model = decoder?.info.variant ?? info.tokenizerVariant
            try GenerateOutput.writeTokens(tokens, model: model, resolution: decoder?.info.resolution,
                                           generator: info.variant, labels: labels, to: tokensOut)
            printError("wrote tokens to \(tokensOut)")
        }
        guard let decoder, let out else { return }
        let (pixels, decodeMs) = try Stopwatch.measure {
            try tokens.ids.withUnsafeBufferPointer { try decoder.tokenizer.decode(tokens: $0, batch: tokens.batch) }
        }
        let side = decoder.info.resolution
        var images: [RGBImage] = []
        for b in 0..<tokens.batch {
            let image = PixelTensors.image(fromPlanar: pixels, index: b, side: side)
            try ImageFile.writePNG(image, to: (out as NSString).appendingPathComponent("\(b).png"))
            images.append(image)
        }
        try ImageFile.writePNG(GenerateOutput.contactSheet(images), to: (out as NSString).appendingPathComponent("grid.png"))
        let named = labels.map { c in names.map { "\(c) \($0.name(c))" } ?? "\(c)" }
        print("generated \(tokens.batch) image\(tokens.batch == 1 ? "" : "s") (\(named.joined(separator: ", "))) "
              + "with \(info.variant) + \(decoder.info.variant) to \(out)/{0..\(tokens.batch - 1)}.png and \(out)/grid.png"
              + String(format: " (decode %.0f ms)", decodeMs))
        if info.untrained || decoder.info.untrained {
            printError("note: untrained random weights: the images are noise")
        }
    }

    /// The generator's defaults with the options given on the command line.
    func parameters(defaults: GenerationParams) -> GenerationParams {
        var p = defaults
        p.seed = seed
        if let steps { p.steps = steps }
        if let guidance { p.guidanceScale = guidance }
        if let temperature { p.randomizeTemperature = temperature }
        if let decay, let d = GuidanceDecay(rawValue: decay) { p.guidanceDecay = d }
        if let annealing { p.softmaxTemperatureAnnealing = annealing == "on" }
        return p
    }
}
