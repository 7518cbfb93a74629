import MaskGITGenerators
import ModelZoo
import TiTokVariants

/// The model families this build knows: the one place a new family is added.
public enum ModelCatalog {
    public static let families: [any ModelFamily] = [TiTokFamily(), MaskGITFamily()]
    /// The registry over `families`, shared by the CLI and the C ABI.
    public static let registry = ModelRegistry(families: families)
}
