import ModelZoo
import WeightFormat

/// One forward pass of a generator network: logits over the K image tokens.
protocol GeneratorNetwork: Sendable {
    /// sequences: [rows, N+1] token ids in 0..<vocabulary (class token first).
    /// Returns logits [rows, N, K] for the N image positions.
    func logits(sequences: UnsafeBufferPointer<Int32>, rows: Int) throws -> [Float]
}

/// A loaded MaskGIT generator (ViT/BERT or UViT network plus the sampling loop).
/// Stateless between calls: safe to use from several threads at once.
public final class MaskGITGenerator: TokenGenerator {
    public let config: MaskGITConfig
    public let generatorInfo: GeneratorInfo
    let network: any GeneratorNetwork

    init(config: MaskGITConfig, variant: String, untrained: Bool, network: any GeneratorNetwork) {
        self.config = config
        self.network = network
        generatorInfo = GeneratorInfo(variant: variant, family: MaskGITFamily.familyName, numTokens: config.numTokens,
                                      codebookSize: config.codebookSize, numClasses: config.numClasses,
                                      tokenizerVariant: config.tokenizerVariant ?? "", untrained: untrained)
    }

    /// Builds the network of `config` from reference-named tensors, checking every shape.
    public convenience init(config: MaskGITConfig, tensors: TensorProvider, variant: String, untrained: Bool = false) throws {
        try config.validate()
        let network: any GeneratorNetwork
        switch config.kind {
        case .vit: network = try BertGeneratorNetwork(config: config, tensors: tensors)
        case .uvit: network = try UViTGeneratorNetwork(config: config, tensors: tensors)
        }
        self.init(config: config, variant: variant, untrained: untrained, network: network)
    }

    public var defaultParameters: GenerationParams { config.sampling }

    public func generate(labels: [Int], parameters: GenerationParams, noise: (any NoiseSource)?,
                         progress: GenerationProgress?) throws -> GeneratedTokens {
        let sampler = MaskGITSampler(config: config)
        let source = noise ?? SeededNoise(seed: parameters.seed)
        let ids = try sampler.sample(labels: labels, parameters: parameters, noise: source, progress: progress) { seq, rows in
            try seq.withUnsafeBufferPointer { try network.logits(sequences: $0, rows: rows) }
        }
        return GeneratedTokens(ids: ids, batch: labels.count, numTokens: config.numTokens)
    }

    public func logits(imageIds: [Int32], labels: [Int?]) throws -> [Float] {
        let n = config.numTokens
        guard !labels.isEmpty else { throw ZooError.invalidArgument("no sequences to run") }
        guard imageIds.count == labels.count * n else {
            throw ZooError.invalidArgument("expected \(labels.count) x \(n) image ids, got \(imageIds.count)")
        }
        var sequences = [Int32](); sequences.reserveCapacity(labels.count * (n + 1))
        for (b, label) in labels.enumerated() {
            if let c = label {
                guard c >= 0, c < config.numClasses else {
                    throw ZooError.invalidArgument("class label \(c) is out of range: this generator knows classes 0..<\(config.numClasses)")
                }
                sequences.append(Int32(config.classToken(c)))
            } else {
                sequences.append(Int32(config.noClassToken))
            }
            for i in 0..<n {
                let id = imageIds[b * n + i]
                guard id >= 0, Int(id) <= config.maskToken else {
                    throw ZooError.invalidArgument("image id \(id) at [\(b), \(i)] is out of range 0...\(config.maskToken) (\(config.maskToken) is the mask)")
                }
                sequences.append(id)
            }
        }
        return try sequences.withUnsafeBufferPointer { try network.logits(sequences: $0, rows: labels.count) }
    }
}
