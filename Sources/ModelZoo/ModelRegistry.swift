import Foundation
import WeightFormat

/// All model families of this build, and how to find, open or build their models.
/// The CLI and the C ABI go through this; families are plugins (`ModelFamily`).
public final class ModelRegistry: Sendable {
    /// The registered families, in registration order.
    public let families: [any ModelFamily]

    public init(families: [any ModelFamily]) {
        self.families = families
    }

    /// Every variant of every family.
    public var variants: [VariantInfo] { families.flatMap(\.variants) }

    /// The variant with this name (case-insensitive). Unknown names throw `ZooError.unknownVariant`
    /// with the closest registered names.
    public func variant(named name: String) throws -> VariantInfo {
        let all = variants
        let key = name.lowercased()
        if let v = all.first(where: { $0.name.lowercased() == key }) { return v }
        throw ZooError.unknownVariant(name, suggestions: NameSuggestions.closest(to: name, among: all.map(\.name)))
    }

    /// The family with this name (as in weight-file metadata), or nil.
    public func family(named name: String) -> (any ModelFamily)? {
        let key = name.lowercased()
        return families.first { $0.name.lowercased() == key }
    }

    /// The resolution to use for a variant: `requested`, or the variant's default when nil.
    public func resolution(for info: VariantInfo, requested: Int?) throws -> Int {
        guard let r = requested else { return info.defaultResolution }
        guard info.resolutions.contains(r) else {
            throw ZooError.unsupportedResolution(variant: info.name, resolution: r, supported: info.resolutions)
        }
        return r
    }

    /// Builds a model from metadata and tensors, dispatching on `metadata.family`.
    public func open(metadata: ModelMetadata, tensors: TensorProvider, options: LoadOptions) throws -> LoadedModel {
        guard let family = self.family(named: metadata.family) else {
            throw ZooError.unknownFamily(metadata.family, known: families.map(\.name))
        }
        return try family.load(metadata: metadata, tensors: tensors, options: options)
    }

    /// Opens a `.tzw` weight file and builds its model with the family its metadata names.
    public func open(path: String, options: LoadOptions) throws -> LoadedModel {
        let file = try WeightFile(path: path, verifyChecksums: options.verifyChecksums)
        return try open(metadata: file.metadata, tensors: file, options: options)
    }

    /// Locates the variant's weight file on the search path and opens it. When none is installed,
    /// throws `ZooError.weightsNotFound` with a hint on how to get the weights.
    public func open(variant name: String, resolution: Int?, models: ModelSearchPath, options: LoadOptions) throws -> LoadedModel {
        try open(path: try locate(variant: name, resolution: resolution, models: models), options: options)
    }

    /// The path of the variant's installed weight file; throws `weightsNotFound` (with a hint) when absent.
    public func locate(variant name: String, resolution: Int?, models: ModelSearchPath) throws -> String {
        let info = try variant(named: name)
        let r = try self.resolution(for: info, requested: resolution)
        if let path = models.locate(variant: info.name, resolution: r) { return path }
        throw ZooError.weightsNotFound(variant: info.name, resolution: r, searched: models.directories,
                                       hint: Self.installHint(for: info, resolution: r, models: models))
    }

    /// Builds a seeded random-weight (untrained) model with the variant's real architecture.
    public func randomModel(variant name: String, resolution: Int?, seed: UInt64, options: LoadOptions) throws -> LoadedModel {
        let info = try variant(named: name)
        let r = try self.resolution(for: info, requested: resolution)
        guard let family = self.family(named: info.family) else {
            throw ZooError.unknownFamily(info.family, known: families.map(\.name))
        }
        return try family.randomModel(variant: info.name, resolution: r, seed: seed, options: options)
    }

    /// How to obtain a variant's weights: convert the released checkpoint, or say none was published.
    public static func installHint(for info: VariantInfo, resolution: Int, models: ModelSearchPath) -> String {
        let folder = models.directories.first ?? "~/.cache/titok"
        let untrained = "`--random-weights` runs the same architecture with untrained weights."
        if let repo = info.hubRepos[resolution] {
            return "Convert the released checkpoint with `python3 tools/convert_checkpoint.py --from-hub \(repo) --models-dir \(folder)`; \(untrained)"
        }
        return "\(info.name) at \(resolution)x\(resolution) was never published; \(untrained)"
    }

    /// Where a variant's weights are: the installed path, else the hub repo, else nil (never published).
    public func availability(of info: VariantInfo, resolution: Int, models: ModelSearchPath) -> WeightsAvailability {
        if let path = models.locate(variant: info.name, resolution: resolution) { return .installed(path) }
        if let repo = info.hubRepos[resolution] { return .onHub(repo) }
        return .neverPublished
    }
}

/// Where the weights of one variant at one resolution can be had.
public enum WeightsAvailability: Sendable, Equatable, CustomStringConvertible {
    case installed(String)
    case onHub(String)
    case neverPublished

    public var description: String {
        switch self {
        case .installed(let p): return p
        case .onHub(let r): return "on the hub as \(r)"
        case .neverPublished: return "never published"
        }
    }
}
