import Foundation

/// How the classifier-free guidance scale changes over the sampling steps.
public enum GuidanceDecay: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// The same scale every step: logits = c + (c - u) * g.
    case constant
    /// Grows from 0 (first step, unguided) to g * (S-1)/S: logits = c + (c - u) * g_t.
    case linear
    /// MDT's schedule, 1 -> about g, mixed from the unconditional side: logits = u + (c - u) * g_t.
    case powerCosine = "power-cosine"

    public var description: String { rawValue }
}

/// The settings of one MaskGIT sampling run (the reference `generate()` arguments, plus the seed).
public struct GenerationParams: Sendable, Codable, Equatable {
    /// Sampling steps S (>= 1).
    public var steps: Int
    /// Classifier-free guidance scale g (0 with `.constant` disables guidance).
    public var guidanceScale: Double
    public var guidanceDecay: GuidanceDecay
    /// Gumbel noise temperature at the first step, annealed linearly to 0; 0 = fully deterministic.
    public var randomizeTemperature: Double
    /// Divide the logits by 0.5 + 0.8 * (1 - (s+1)/S) before sampling.
    public var softmaxTemperatureAnnealing: Bool
    /// Seed of the default noise source.
    public var seed: UInt64

    public init(steps: Int = 8, guidanceScale: Double = 3.0, guidanceDecay: GuidanceDecay = .constant,
                randomizeTemperature: Double = 4.5, softmaxTemperatureAnnealing: Bool = false, seed: UInt64 = 0) {
        self.steps = steps; self.guidanceScale = guidanceScale; self.guidanceDecay = guidanceDecay
        self.randomizeTemperature = randomizeTemperature
        self.softmaxTemperatureAnnealing = softmaxTemperatureAnnealing; self.seed = seed
    }

    /// Longest accepted schedule.
    public static let maxSteps = 4096

    /// Throws `ZooError.invalidArgument` for settings the sampler cannot run.
    public func validate() throws {
        guard steps >= 1 else { throw ZooError.invalidArgument("the number of sampling steps must be at least 1, got \(steps)") }
        guard steps <= Self.maxSteps else { throw ZooError.invalidArgument("at most \(Self.maxSteps) sampling steps, got \(steps)") }
        guard guidanceScale.isFinite, abs(guidanceScale) <= 1e6 else {
            throw ZooError.invalidArgument("the guidance scale must be a finite number, got \(guidanceScale)")
        }
        guard randomizeTemperature.isFinite, randomizeTemperature >= 0, randomizeTemperature <= 1e6 else {
            throw ZooError.invalidArgument("the randomize temperature must be a finite number >= 0, got \(randomizeTemperature)")
        }
    }
}

/// Which gumbel draw of a sampling step a block of uniforms feeds.
public enum NoisePurpose: Int, Sendable {
    /// [B, N, K]: the noise added to the logits before the argmax that picks the ids.
    case tokenSampling = 0
    /// [B, N]: the noise added to the confidence that decides which positions stay masked.
    case confidence = 1
}

/// A source of uniform draws u in [0, 1) for the gumbel noise -log(-log(u)); replaceable so that a
/// run can be replayed from recorded draws. Called only for steps whose temperature is above 0.
public protocol NoiseSource: AnyObject {
    /// Fills `buffer` (row-major [B, N, K] or [B, N]) with the draws for this step and purpose.
    func fillUniforms(step: Int, purpose: NoisePurpose, into buffer: UnsafeMutableBufferPointer<Double>) throws
}

/// Called after each sampling step with (steps done, total steps).
public typealias GenerationProgress = @Sendable (_ done: Int, _ total: Int) -> Void

/// The tokens of one generation run.
public struct GeneratedTokens: Sendable, Equatable {
    /// [batch, N] token ids in 0..<K.
    public var ids: [Int32]
    public var batch: Int
    public var numTokens: Int
    public init(ids: [Int32], batch: Int, numTokens: Int) { self.ids = ids; self.batch = batch; self.numTokens = numTokens }

    /// The ids of image `i`.
    public func row(_ i: Int) -> ArraySlice<Int32> { ids[(i * numTokens)..<((i + 1) * numTokens)] }
}

public extension TokenGenerator {
    /// Generates with the default (seeded) noise source and no progress callback.
    func generate(labels: [Int], parameters: GenerationParams) throws -> GeneratedTokens {
        try generate(labels: labels, parameters: parameters, noise: nil, progress: nil)
    }

    /// Throws a clear error when `tokenizer` cannot decode this generator's tokens.
    func checkCompatible(with tokenizer: TokenizerInfo) throws {
        let g = generatorInfo
        guard !tokenizer.isVAE else {
            throw ZooError.invalidArgument("\(tokenizer.variant) is a VAE tokenizer; \(g.variant) generates discrete tokens for \(g.tokenizerVariant)")
        }
        guard tokenizer.codebookSize == g.codebookSize else {
            throw ZooError.invalidArgument("\(tokenizer.variant) has a codebook of \(tokenizer.codebookSize) codes but \(g.variant) generates ids of a \(g.codebookSize)-code codebook (its tokenizer: \(g.tokenizerVariant))")
        }
        guard tokenizer.numTokens == g.numTokens else {
            throw ZooError.invalidArgument("\(tokenizer.variant) uses \(tokenizer.numTokens) tokens per image but \(g.variant) generates \(g.numTokens) (its tokenizer: \(g.tokenizerVariant))")
        }
    }
}
