import ModelZoo
import TiTokVariants

/// The model families this build knows: the one place a new family is added.
public enum ModelCatalog {
    public static let families: [any ModelFamily] = [TiTokFamily()]
}
