import WeightFormat

/// What a family's models do.
public enum ModelKind: String, Sendable, Codable {
    case tokenizer
    case generator
}

/// Cost and size of one variant at one resolution.
public struct VariantCost: Sendable, Codable, Equatable {
    public var parameters: Int
    public var encodeGFLOPs: Double
    public var decodeGFLOPs: Double
    public init(parameters: Int, encodeGFLOPs: Double, decodeGFLOPs: Double) {
        self.parameters = parameters
        self.encodeGFLOPs = encodeGFLOPs
        self.decodeGFLOPs = decodeGFLOPs
    }
}

/// One named entry of the registry ("TiTok-L-32"), valid at one or more resolutions.
public struct VariantInfo: Sendable, Codable, Equatable {
    public var name: String
    public var family: String
    public var kind: ModelKind
    /// Resolutions this variant is registered at (256, 512); the first is the default.
    public var resolutions: [Int]
    public var numTokens: Int
    /// Codebook size (0 for VAE models).
    public var codebookSize: Int
    /// Channels per token (codebook dim; VAE latent channels).
    public var tokenDim: Int
    public var isVAE: Bool
    /// One-line description ("ViT-L encoder/decoder, legacy two-stage VQ").
    public var summary: String
    /// Hugging Face hub repo id of the published weights, per resolution; absent = never published.
    public var hubRepos: [Int: String]
    /// Parameters and GFLOPs per resolution.
    public var costs: [Int: VariantCost]
    /// For generators: the tokenizer variant whose tokens it generates.
    public var pairedTokenizer: String?

    public init(name: String, family: String, kind: ModelKind, resolutions: [Int], numTokens: Int,
                codebookSize: Int, tokenDim: Int, isVAE: Bool, summary: String,
                hubRepos: [Int: String], costs: [Int: VariantCost], pairedTokenizer: String? = nil) {
        self.name = name; self.family = family; self.kind = kind; self.resolutions = resolutions
        self.numTokens = numTokens; self.codebookSize = codebookSize; self.tokenDim = tokenDim
        self.isVAE = isVAE; self.summary = summary; self.hubRepos = hubRepos; self.costs = costs
        self.pairedTokenizer = pairedTokenizer
    }

    public var defaultResolution: Int { resolutions.first ?? 256 }
}

/// Options for opening or building a model.
public struct LoadOptions: Sendable {
    /// Threads for compute (OpenBLAS and the library's own loops); 0 = all cores.
    public var threads: Int = 0
    /// Verify the CRC32 of every tensor at load (always done for compressed tensors).
    public var verifyChecksums: Bool = false
    public init(threads: Int = 0, verifyChecksums: Bool = false) {
        self.threads = threads
        self.verifyChecksums = verifyChecksums
    }
}

/// Shape facts of an opened tokenizer.
public struct TokenizerInfo: Sendable, Codable, Equatable {
    public var variant: String
    public var family: String
    public var resolution: Int
    public var numTokens: Int
    /// 0 for VAE models.
    public var codebookSize: Int
    /// C: channels per token of the quantized latent (VAE: latent channels).
    public var tokenDim: Int
    /// C': channels of the pre-quantization latent (C for VQ, 2C for VAE).
    public var preQuantChannels: Int
    public var isVAE: Bool
    /// True for seeded random (untrained) weights.
    public var untrained: Bool

    public init(variant: String, family: String, resolution: Int, numTokens: Int, codebookSize: Int,
                tokenDim: Int, preQuantChannels: Int, isVAE: Bool, untrained: Bool) {
        self.variant = variant; self.family = family; self.resolution = resolution
        self.numTokens = numTokens; self.codebookSize = codebookSize; self.tokenDim = tokenDim
        self.preQuantChannels = preQuantChannels; self.isVAE = isVAE; self.untrained = untrained
    }
}

/// The result of encoding a batch.
public struct TokenizerEncoding: Sendable {
    /// VQ: token ids [B, N]; nil for VAE models.
    public var tokens: [Int32]?
    /// Quantized latents [B, C, N]: the codebook rows for VQ, the posterior mean (or a sample) for VAE.
    public var latents: [Float]
    /// Encoder output before quantization [B, C', N].
    public var preQuantization: [Float]
    /// VAE only: the posterior standard deviation [B, C, N] (for sampling); nil for VQ models.
    public var latentStd: [Float]?
    public init(tokens: [Int32]?, latents: [Float], preQuantization: [Float], latentStd: [Float]? = nil) {
        self.tokens = tokens; self.latents = latents; self.preQuantization = preQuantization; self.latentStd = latentStd
    }
}

/// Per-stage wall time of the last call, for `zoo run` / `zoo bench` (milliseconds).
public typealias StageTimes = [(stage: String, ms: Double)]

/// An image tokenizer: pixels -> tokens or latents -> pixels. Safe to call from several threads at once.
public protocol ImageTokenizer: AnyObject, Sendable {
    var info: TokenizerInfo { get }
    /// pixels: planar float32 [batch, 3, R, R] in [0, 1].
    func encode(pixels: UnsafeBufferPointer<Float>, batch: Int) throws -> TokenizerEncoding
    /// tokens: [batch, N] ids in 0..<codebookSize. Returns float pixels [batch, 3, R, R], unclamped.
    func decode(tokens: UnsafeBufferPointer<Int32>, batch: Int) throws -> [Float]
    /// latents: [batch, C, N]. Returns float pixels [batch, 3, R, R], unclamped.
    func decode(latents: UnsafeBufferPointer<Float>, batch: Int) throws -> [Float]
}

extension ImageTokenizer {
    /// Encodes and decodes one synthetic mid-grey image and discards the result, so that what a
    /// model makes on first use (Winograd filters, packed weights, activation buffers) is made
    /// now instead of in the first real call.
    public func warmUp() throws {
        let side = info.resolution
        let pixels = [Float](repeating: 0.5, count: 3 * side * side)
        let encoding = try pixels.withUnsafeBufferPointer { try encode(pixels: $0, batch: 1) }
        _ = try encoding.latents.withUnsafeBufferPointer { try decode(latents: $0, batch: 1) }
    }
}

/// A class-conditional token generator (MaskGIT). Its protocol lives in `Generation.swift`.
public protocol TokenGenerator: AnyObject, Sendable {
    var generatorInfo: GeneratorInfo { get }
    /// The paper's sampling settings for this generator (seed 0).
    var defaultParameters: GenerationParams { get }
    /// Samples [labels.count, N] token ids, image b of class labels[b]. `noise` nil: seeded from
    /// `parameters.seed`. Bad labels or settings throw `ZooError.invalidArgument`.
    func generate(labels: [Int], parameters: GenerationParams, noise: (any NoiseSource)?,
                  progress: GenerationProgress?) throws -> GeneratedTokens
    /// One network pass: logits [batch, N, K] over the image tokens for `imageIds` [batch, N]
    /// (0..<K, or K for a mask); labels[b] nil is the unconditional ("no class") token.
    func logits(imageIds: [Int32], labels: [Int?]) throws -> [Float]
}

/// Shape facts of an opened generator.
public struct GeneratorInfo: Sendable, Codable, Equatable {
    public var variant: String
    public var family: String
    public var numTokens: Int
    public var codebookSize: Int
    public var numClasses: Int
    /// Registry name of the tokenizer whose tokens it generates ("TiTok-L-32").
    public var tokenizerVariant: String
    public var untrained: Bool
    public init(variant: String, family: String, numTokens: Int, codebookSize: Int, numClasses: Int,
                tokenizerVariant: String, untrained: Bool) {
        self.variant = variant; self.family = family; self.numTokens = numTokens
        self.codebookSize = codebookSize; self.numClasses = numClasses
        self.tokenizerVariant = tokenizerVariant; self.untrained = untrained
    }
}

/// A model built by a family.
public enum LoadedModel: Sendable {
    case tokenizer(ImageTokenizer)
    case generator(TokenGenerator)
}

/// A model family plugin: declares its variants and builds runnable models.
/// The CLI and the C ABI only talk to families through the `ModelRegistry`.
public protocol ModelFamily: Sendable {
    /// Family name, as stored in weight-file metadata ("titok").
    var name: String { get }
    /// Every registered variant.
    var variants: [VariantInfo] { get }
    /// Builds a model from weight-file metadata and its tensors. Throws a clear error when the
    /// config or the tensor shapes do not fit this family.
    func load(metadata: ModelMetadata, tensors: TensorProvider, options: LoadOptions) throws -> LoadedModel
    /// Builds a seeded random-weight (untrained) model with the variant's real shapes.
    func randomModel(variant: String, resolution: Int, seed: UInt64, options: LoadOptions) throws -> LoadedModel
}
