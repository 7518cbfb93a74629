import ModelZoo
import WeightFormat

/// The MaskGIT generator family plugin ("maskgit"): class-conditional token generators
/// for TiTok tokenizers (ViT/BERT and UViT networks).
public struct MaskGITFamily: ModelFamily {
    public static let familyName = "maskgit"

    public init() {}
    public var name: String { Self.familyName }
    public var variants: [VariantInfo] { MaskGITVariants.all.map(MaskGITVariants.info) }

    public func load(metadata: ModelMetadata, tensors: TensorProvider, options: LoadOptions) throws -> LoadedModel {
        let config: MaskGITConfig
        do { config = try MaskGITConfig(json: metadata.config) } catch let e as MaskGITConfigError {
            throw ZooError.incompatibleWeights("\(metadata.variant): \(e.description)")
        }
        let untrained = metadata.raw["untrained"]?.boolValue ?? false
        return .generator(try MaskGITGenerator(config: config, tensors: tensors, variant: metadata.variant, untrained: untrained))
    }

    public func randomModel(variant: String, resolution: Int, seed: UInt64, options: LoadOptions) throws -> LoadedModel {
        guard let entry = MaskGITVariants.entry(named: variant) else {
            throw ZooError.unknownVariant(variant, suggestions: MaskGITVariants.all.map(\.name))
        }
        guard resolution == MaskGITVariants.resolution else {
            throw ZooError.unsupportedResolution(variant: entry.name, resolution: resolution, supported: [MaskGITVariants.resolution])
        }
        let tensors = try RandomGeneratorWeights.tensors(config: entry.config, seed: seed)
        return .generator(try MaskGITGenerator(config: entry.config, tensors: tensors, variant: entry.name, untrained: true))
    }
}
