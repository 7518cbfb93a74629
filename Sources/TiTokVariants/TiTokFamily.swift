import ModelZoo
import WeightFormat

/// The TiTok tokenizer family plugin.
/// IN PROGRESS (skeleton for parallel work): the inference work replaces load/randomModel and fills `variants`.
public struct TiTokFamily: ModelFamily {
    public init() {}
    public var name: String { "titok" }
    public var variants: [VariantInfo] { [] }

    public func load(metadata: ModelMetadata, tensors: TensorProvider, options: LoadOptions) throws -> LoadedModel {
        _ = try TiTokConfig(json: metadata.config)
        throw ZooError.unsupported("TiTok inference is not built yet")
    }

    public func randomModel(variant: String, resolution: Int, seed: UInt64, options: LoadOptions) throws -> LoadedModel {
        throw ZooError.unsupported("TiTok inference is not built yet")
    }
}
