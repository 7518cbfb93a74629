import Foundation
import ModelCatalog
import ModelZoo

/// A tokenizer opened from the command line, with where it came from.
struct OpenedTokenizer {
    let tokenizer: ImageTokenizer
    /// "path/to/file.tzw" or "random weights (seed 0)".
    let source: String
    /// Milliseconds spent opening or building it.
    let loadMs: Double

    var info: TokenizerInfo { tokenizer.info }
}

extension ModelOptions {
    /// Opens MODEL as a tokenizer: a file, an installed variant, or random weights.
    func openTokenizer(models: ModelSearchPath, threads: Int) throws -> OpenedTokenizer {
        let registry = ModelCatalog.registry
        let options = LoadOptions(threads: threads)
        let source: String
        let (loaded, ms): (LoadedModel, Double) = try Stopwatch.measure {
            if isPath {
                guard FileManager.default.fileExists(atPath: model) else {
                    throw CLIError("no such model file: \(model)")
                }
                return try registry.open(path: model, options: options)
            }
            if randomWeights {
                return try registry.randomModel(variant: model, resolution: resolution, seed: seed, options: options)
            }
            return try registry.open(variant: model, resolution: resolution, models: models, options: options)
        }
        if isPath {
            source = model
        } else if randomWeights {
            source = "random weights (seed \(seed), untrained)"
        } else {
            source = (try? registry.locate(variant: model, resolution: resolution, models: models)) ?? model
        }
        switch loaded {
        case .tokenizer(let t):
            return OpenedTokenizer(tokenizer: t, source: source, loadMs: ms)
        case .generator(let g):
            let paired = g.generatorInfo.tokenizerVariant
            throw CLIError("\(g.generatorInfo.variant) is a token generator, not an image tokenizer; this command needs a tokenizer"
                           + (paired.isEmpty ? "" : " such as \(paired), whose tokens it generates"))
        }
    }
}
