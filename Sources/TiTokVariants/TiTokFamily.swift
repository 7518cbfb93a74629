import Kernels
import ModelZoo
import WeightFormat

/// The TiTok tokenizer family plugin: registers the variants and builds `TiTokModel`s.
public struct TiTokFamily: ModelFamily {
    public init() {}
    public var name: String { "titok" }
    public var variants: [VariantInfo] { TiTokCatalog.variants }

    /// The config of a registered variant at a resolution.
    public static func config(variant: String, resolution: Int) throws -> TiTokConfig {
        try TiTokCatalog.config(variant: variant, resolution: resolution)
    }

    public func load(metadata: ModelMetadata, tensors: TensorProvider, options: LoadOptions) throws -> LoadedModel {
        let config = try TiTokConfig(json: metadata.config)
        if options.threads > 0 { ComputeThreads.set(options.threads) }
        let untrained = metadata.raw["untrained"]?.boolValue ?? false
        return .tokenizer(try TiTokModel(config: config, tensors: tensors, variant: metadata.variant, untrained: untrained))
    }

    public func randomModel(variant: String, resolution: Int, seed: UInt64, options: LoadOptions) throws -> LoadedModel {
        let config = try TiTokCatalog.config(variant: variant, resolution: resolution)
        if options.threads > 0 { ComputeThreads.set(options.threads) }
        let name = TiTokCatalog.entry(variant)?.name ?? variant
        return .tokenizer(try TiTokModel(config: config, tensors: RandomTiTokWeights.make(config: config, seed: seed),
                                         variant: name, untrained: true))
    }
}
