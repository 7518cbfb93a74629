import ArgumentParser
import Foundation
import ImageIO
import Kernels
import ModelZoo

/// `zoo tokenize`: a folder of images to JSON Lines of tokens (or latents), batched, resumable,
/// shardable; decoding and preprocessing run on worker threads while the model computes.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize a folder of images into JSON Lines (resumable, shardable).",
        discussion: """
            Walks DIR for .png/.jpg/.jpeg files in sorted order. In the ImageFolder layout \
            (DIR/<class>/<image>) each row gets the class's index in sorted order. Rows: \
            {"path": P, "class_id": K, "tokens": [...]} (VAE models: "latents": [[...] x C]); \
            --preprocess tencrop writes ten rows per image with "crop": 0-9. An existing --out is \
            resumed: images already in it are skipped and a half-written last line is dropped. \
            Unreadable images are reported on stderr and skipped. --shard I/N takes every N-th image \
            from the I-th; `zoo tokenize --merge A B ... --out FILE` joins shard files in the order a \
            single run writes. See docs/preprocessing.md for the preprocessing modes.
            """)

    @Argument(help: ArgumentHelp("Folder of images (ImageFolder layout gives class ids).", valueName: "DIR"))
    var directory: String?

    @Option(name: .long, help: ArgumentHelp("A .tzw file or a variant name (see `zoo list`).", valueName: "M"))
    var model: String?

    @Option(name: .customLong("res"), help: ArgumentHelp("Resolution of a variant (default: its first).", valueName: "R"))
    var resolution: Int?

    @Flag(name: .customLong("random-weights"), help: "Use seeded random (untrained) weights for the variant.")
    var randomWeights = false

    @Option(name: .long, help: ArgumentHelp("Seed of --random-weights.", valueName: "S"))
    var seed: UInt64 = 0

    @Option(name: .long, help: ArgumentHelp("The JSON Lines file to write (resumed when it exists).", valueName: "FILE"))
    var out: String

    @Option(name: .long, help: ArgumentHelp("Images per model call (ten-crop: 10 crops each).", valueName: "B"))
    var batch: Int = 8

    @Option(name: .long, help: ArgumentHelp("Also write the tokens as int32 .npy [rows, N] (VAE: float32 [rows, C, N]).", valueName: "FILE"))
    var npy: String?

    @Option(name: .long, help: ArgumentHelp("Process only every N-th image, from the I-th (0 <= I < N).", valueName: "I/N"))
    var shard: String?

    @Option(name: .long, parsing: .upToNextOption, help: ArgumentHelp("Join these shard files into --out instead of tokenizing.", valueName: "SHARD_FILE"))
    var merge: [String] = []

    @Option(name: .long, help: ArgumentHelp("center (resize + centre crop), adm (ADM centre crop) or tencrop.", valueName: "MODE"))
    var preprocess: String = PreprocessMode.center.rawValue

    @Option(name: .long, help: ArgumentHelp("Decoding/preprocessing threads; 0 = half the cores.", valueName: "K"))
    var workers: Int = 0

    @OptionGroup var folder: ModelsFolderOptions
    @OptionGroup var threading: ThreadOptions

    func validate() throws {
        if !merge.isEmpty {
            if directory != nil || model != nil || shard != nil {
                throw ValidationError("--merge joins existing shard files: give no DIR, --model or --shard with it")
            }
            return
        }
        guard directory != nil else { throw ValidationError("give the image folder DIR (or --merge SHARD_FILES...)") }
        guard let model else { throw ValidationError("--model is required: a .tzw file or a variant name") }
        guard batch >= 1, batch <= 1024 else { throw ValidationError("--batch must be between 1 and 1024, got \(batch)") }
        guard workers >= 0, workers <= 256 else { throw ValidationError("--workers must be between 0 and 256, got \(workers)") }
        guard PreprocessMode(rawValue: preprocess) != nil else {
            throw ValidationError("--preprocess must be one of \(PreprocessMode.allCases.map(\.rawValue).joined(separator: ", ")), got '\(preprocess)'")
        }
        if let shard { do { _ = try ShardSpec(parsing: shard) } catch { throw ValidationError("\(error)") } }
        if let r = resolution, r <= 0 || r > 8192 { throw ValidationError("--res must be a positive resolution, got \(r)") }
        if ModelOptions.looksLikePath(model), randomWeights || resolution != nil {
            throw ValidationError("--random-weights and --res apply to variant names, not to the file '\(model)'")
        }
    }

    func run() throws {
        if !merge.isEmpty {
            let rows = try TokenizeOutput.merge(merge, into: out)
            print("merged \(merge.count) shard files: \(rows) rows -> \(out)")
            if let npy { try TokenizeNPY.write(fromRows: out, to: npy); print("wrote \(npy)") }
            return
        }
        try TokenizeRun(command: self).execute()
    }

    /// The tokenizer named by --model (file, installed variant or random weights).
    func openModel() throws -> OpenedTokenizer {
        var options = ModelOptions()
        options.model = model ?? ""
        options.resolution = resolution
        options.randomWeights = randomWeights
        options.seed = seed
        return try options.openTokenizer(models: folder.searchPath, threads: threading.apply())
    }
}
