import ArgumentParser
import Foundation
import Kernels
import ModelZoo

/// `--threads`: compute threads for OpenBLAS and the model's own loops.
struct ThreadOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Compute threads; 0 uses every core.", valueName: "N"))
    var threads: Int = 0

    func validate() throws {
        guard threads >= 0, threads <= 4096 else { throw ValidationError("--threads must be between 0 and 4096, got \(threads)") }
    }

    /// Applies the thread count process-wide and returns it for `LoadOptions`.
    func apply() -> Int {
        ComputeThreads.set(threads)
        return threads
    }
}

/// `--models DIR`: the first folder searched for `<Variant>-<R>.tzw` files.
struct ModelsFolderOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Folder with <Variant>-<R>.tzw weight files, searched before $TITOK_MODELS and $XDG_CACHE_HOME/titok (~/.cache/titok).",
        valueName: "DIR"))
    var models: String?

    var searchPath: ModelSearchPath { ModelSearchPath(explicitDirectory: models) }
}

/// The model argument: a `.tzw` file or a registered variant name, with `--res`, `--random-weights`, `--seed`.
struct ModelOptions: ParsableArguments {
    @Argument(help: ArgumentHelp(
        "A .tzw weight file, or a variant name (see `zoo list`) looked up on the model search path.",
        valueName: "MODEL"))
    var model: String

    @Option(name: .customLong("res"), help: ArgumentHelp(
        "Resolution of a variant (256 or 512 where registered); default: the variant's first.", valueName: "R"))
    var resolution: Int?

    @Flag(name: .customLong("random-weights"), help: "Build the variant with seeded random (untrained) weights instead of loading a file.")
    var randomWeights = false

    @Option(name: .long, help: ArgumentHelp("Seed of --random-weights.", valueName: "S"))
    var seed: UInt64 = 0

    /// True when MODEL names a file rather than a variant.
    var isPath: Bool { ModelOptions.looksLikePath(model) }

    static func looksLikePath(_ s: String) -> Bool {
        s.hasSuffix(".tzw") || s.contains("/") || FileManager.default.fileExists(atPath: s)
    }

    func validate() throws {
        if let r = resolution, r <= 0 || r > 8192 { throw ValidationError("--res must be a positive resolution, got \(r)") }
        if isPath, randomWeights { throw ValidationError("--random-weights needs a variant name, not a file ('\(model)')") }
        if isPath, resolution != nil { throw ValidationError("--res applies to variant names; '\(model)' is a file with its own resolution") }
    }
}

/// `--no-resize`: how inputs of another size than the model's are treated.
struct ImageSizingOptions: ParsableArguments {
    @Flag(name: .customLong("no-resize"), help: """
        Reject images that are not exactly R x R instead of resizing them \
        (default: bicubic resize of the shorter side to R, then a centre crop).
        """)
    var noResize = false
}
