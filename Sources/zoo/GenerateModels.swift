import ArgumentParser
import Foundation
import ModelCatalog
import ModelZoo

/// A generator opened from the command line, with where it came from.
struct OpenedGenerator {
    let generator: TokenGenerator
    /// "path/to/file.tzw" or "random weights (seed 0, untrained)".
    let source: String
    let loadMs: Double

    var info: GeneratorInfo { generator.generatorInfo }
}

/// Opening a generator and the tokenizer that decodes its tokens.
enum GenerateModels {
    /// Opens MODEL (a .tzw file or a generator variant name) as a generator.
    static func openGenerator(_ model: String, randomWeights: Bool, weightsSeed: UInt64, models: ModelSearchPath,
                              threads: Int) throws -> OpenedGenerator {
        let registry = ModelCatalog.registry
        let options = LoadOptions(threads: threads)
        let isPath = ModelOptions.looksLikePath(model)
        if isPath, randomWeights { throw CLIError("--random-weights needs a variant name, not a file ('\(model)')") }
        if !isPath {
            let info = try registry.variant(named: model)
            guard info.kind == .generator else {
                throw CLIError("\(info.name) is an image tokenizer, not a generator; generators: "
                               + registry.variants.filter { $0.kind == .generator }.map(\.name).joined(separator: ", "))
            }
        } else if !FileManager.default.fileExists(atPath: model) {
            throw CLIError("no such model file: \(model)")
        }
        let (loaded, ms): (LoadedModel, Double) = try Stopwatch.measure {
            if isPath { return try registry.open(path: model, options: options) }
            if randomWeights { return try registry.randomModel(variant: model, resolution: nil, seed: weightsSeed, options: options) }
            return try registry.open(variant: model, resolution: nil, models: models, options: options)
        }
        let source: String
        if isPath { source = model } else if randomWeights { source = "random weights (seed \(weightsSeed), untrained)" } else {
            source = (try? registry.locate(variant: model, resolution: nil, models: models)) ?? model
        }
        switch loaded {
        case .generator(let g): return OpenedGenerator(generator: g, source: source, loadMs: ms)
        case .tokenizer(let t):
            throw CLIError("\(t.info.variant) is an image tokenizer, not a generator (see `zoo list` for MaskGIT-* generators)")
        }
    }

    /// The tokenizer for a generator: `explicit` (a file or variant) or the generator's paired
    /// variant; random weights when the generator has them and no file was named.
    static func openTokenizer(for generator: OpenedGenerator, explicit: String?, randomWeights: Bool,
                              models: ModelSearchPath, threads: Int) throws -> OpenedTokenizer {
        let name: String
        if let explicit { name = explicit } else {
            let paired = generator.info.tokenizerVariant
            guard !paired.isEmpty else {
                throw CLIError("\(generator.info.variant) does not name its tokenizer; give one with --tokenizer FILE|VARIANT")
            }
            name = paired
        }
        var args = [name]
        if randomWeights, !ModelOptions.looksLikePath(name) { args.append("--random-weights") }
        let options: ModelOptions
        do { options = try ModelOptions.parse(args) } catch {
            throw CLIError("bad tokenizer '\(name)': \(ModelOptions.message(for: error))")
        }
        let opened: OpenedTokenizer
        do { opened = try options.openTokenizer(models: models, threads: threads) } catch let e as ZooError {
            if case .weightsNotFound = e, explicit == nil {
                throw CLIError("\(e.description) (the tokenizer \(generator.info.variant) pairs with; or name one with --tokenizer, or write only --tokens-out with --no-images)")
            }
            throw e
        }
        try generator.generator.checkCompatible(with: opened.info)
        return opened
    }
}
