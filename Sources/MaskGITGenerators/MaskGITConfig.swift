import ModelZoo
import WeightFormat

/// The two generator networks of the reference (`model.generator.model_type`).
public enum MaskGITKind: String, Sendable, Codable, CaseIterable {
    /// `ImageBert`: a post-norm BERT encoder (TiTok-L-32, TiTok-B-64).
    case vit
    /// `UViTBert`: a pre-norm U-ViT with long skips (TiTok-S-128).
    case uvit
}

/// The architecture of one MaskGIT generator plus its paired tokenizer and default sampling:
/// the `config` object of a `maskgit` weight file.
public struct MaskGITConfig: Sendable, Equatable {
    public var kind: MaskGITKind
    /// N image tokens per sequence.
    public var numTokens: Int
    /// K image-token codebook size (the mask token is id K).
    public var codebookSize: Int
    /// M classes (class c is token K+1+c; K+1+M is "no class").
    public var numClasses: Int
    public var hidden: Int
    public var layers: Int
    public var heads: Int
    public var intermediate: Int
    /// Registry name of the paired tokenizer ("TiTok-L-32"), nil when unknown.
    public var tokenizerVariant: String?
    /// The sampling defaults (seed 0).
    public var sampling: GenerationParams

    public init(kind: MaskGITKind, numTokens: Int, codebookSize: Int, numClasses: Int, hidden: Int, layers: Int,
                heads: Int, intermediate: Int, tokenizerVariant: String?, sampling: GenerationParams) {
        self.kind = kind; self.numTokens = numTokens; self.codebookSize = codebookSize
        self.numClasses = numClasses; self.hidden = hidden; self.layers = layers; self.heads = heads
        self.intermediate = intermediate; self.tokenizerVariant = tokenizerVariant; self.sampling = sampling
    }

    /// Vocabulary K + M + 2 (image tokens, mask, classes, no-class).
    public var vocabulary: Int { codebookSize + numClasses + 2 }
    /// The sequence length N + 1 (class token first).
    public var sequenceLength: Int { numTokens + 1 }
    public var headDim: Int { hidden / heads }
    public var maskToken: Int { codebookSize }
    public var noClassToken: Int { codebookSize + 1 + numClasses }
    public func classToken(_ label: Int) -> Int { codebookSize + 1 + label }

    /// Throws `MaskGITConfigError.invalid` for sizes no network can have (checked before any allocation).
    public func validate() throws {
        func bad(_ m: String) -> MaskGITConfigError { .invalid(m) }
        let limit = 1 << 20
        for (name, v) in [("num_tokens", numTokens), ("codebook_size", codebookSize), ("num_classes", numClasses),
                          ("hidden", hidden), ("layers", layers), ("heads", heads), ("intermediate", intermediate)] {
            guard v >= 1, v <= limit else { throw bad("\(name) must be between 1 and \(limit), got \(v)") }
        }
        guard hidden % heads == 0 else { throw bad("hidden \(hidden) is not divisible by \(heads) heads") }
        if kind == .uvit, layers % 2 != 0 || layers < 2 {
            throw bad("a UViT generator needs an even number of layers >= 2 (in-blocks and out-blocks), got \(layers)")
        }
        guard codebookSize <= Int(Int32.max) - numClasses - 2 else { throw bad("codebook_size \(codebookSize) is too large") }
        let (params, overflow) = parameterCountChecked()
        guard !overflow, params <= 1 << 36 else { throw bad("the network would have too many parameters") }
        do { try sampling.validate() } catch let e as ZooError { throw bad("sampling defaults: \(e.description)") }
    }

    /// Learnable parameters (matches the reference `sum(p.numel())`).
    public var parameterCount: Int { parameterCountChecked().value }

    private func parameterCountChecked() -> (value: Int, overflow: Bool) {
        var overflow = false
        func mul(_ a: Int, _ b: Int) -> Int { let r = a.multipliedReportingOverflow(by: b); overflow = overflow || r.overflow; return r.partialValue }
        func add(_ xs: Int...) -> Int { xs.reduce(0) { let r = $0.addingReportingOverflow($1); overflow = overflow || r.overflow; return r.partialValue } }
        let h = hidden, i = intermediate
        let linear = { (inp: Int, out: Int, bias: Bool) in add(mul(inp, out), bias ? out : 0) }
        let norm = mul(2, h)
        let mlp = add(linear(h, i, true), linear(i, h, true))
        let head = linear(h, codebookSize, true)
        switch kind {
        case .vit:
            let embeddings = add(mul(vocabulary, h), mul(sequenceLength, h), mul(2, h), norm)
            let layer = add(mul(4, linear(h, h, true)), mlp, mul(2, norm))
            return (add(embeddings, mul(layers, layer), head), overflow)
        case .uvit:
            let embeddings = add(mul(vocabulary, h), mul(sequenceLength, h))
            let block = add(linear(h, mul(3, h), false), linear(h, h, true), mlp, mul(2, norm))
            let skips = mul(layers / 2, linear(mul(2, h), h, true))
            return (add(embeddings, mul(layers + 1, block), skips, norm, head), overflow)
        }
    }

    /// Multiply-add FLOPs x 2 of one network pass over one sequence, in GFLOPs.
    public var forwardGFLOPs: Double {
        let h = Double(hidden), i = Double(intermediate), l = Double(sequenceLength), n = Double(numTokens)
        let attention = 2 * 2 * l * l * h                       // QK^T and AV
        let block = 2 * l * (4 * h * h + 2 * h * i) + attention
        var total = Double(kind == .uvit ? layers + 1 : layers) * block
        if kind == .uvit { total += Double(layers / 2) * 2 * l * 2 * h * h }
        total += 2 * n * h * Double(codebookSize)
        return total / 1e9
    }
}

/// A generator config that cannot be used.
public enum MaskGITConfigError: Error, CustomStringConvertible, Equatable {
    /// A missing or mistyped key (`key` as in the JSON).
    case badKey(String, expected: String)
    case invalid(String)

    public var description: String {
        switch self {
        case .badKey(let k, let e): return "generator config: key '\(k)' is missing or not \(e)"
        case .invalid(let m): return "generator config: \(m)"
        }
    }
}

extension MaskGITConfig {
    /// The config as the metadata JSON object (keys of docs/weight-format.md, family "maskgit").
    public var json: JSONValue {
        .object([
            "kind": .string(kind.rawValue),
            "num_tokens": .number(Double(numTokens)),
            "codebook_size": .number(Double(codebookSize)),
            "num_classes": .number(Double(numClasses)),
            "hidden": .number(Double(hidden)),
            "layers": .number(Double(layers)),
            "heads": .number(Double(heads)),
            "intermediate": .number(Double(intermediate)),
            "tokenizer_variant": tokenizerVariant.map { .string($0) } ?? .null,
            "sampling": .object([
                "steps": .number(Double(sampling.steps)),
                "randomize_temperature": .number(sampling.randomizeTemperature),
                "guidance_scale": .number(sampling.guidanceScale),
                "guidance_decay": .string(sampling.guidanceDecay.rawValue),
                "softmax_temperature_annealing": .bool(sampling.softmaxTemperatureAnnealing),
            ]),
        ])
    }

    /// Reads a weight file's config; the error names the missing or bad key. `sampling` keys that
    /// are absent take the reference `generate()` defaults.
    public init(json: JSONValue) throws {
        func int(_ k: String) throws -> Int {
            guard let v = json[k]?.intValue else { throw MaskGITConfigError.badKey(k, expected: "an integer") }
            return v
        }
        guard let kindName = json["kind"]?.stringValue else { throw MaskGITConfigError.badKey("kind", expected: "a string") }
        guard let kind = MaskGITKind(rawValue: kindName.lowercased()) else {
            throw MaskGITConfigError.invalid("kind '\(kindName)' is not one of vit, uvit")
        }
        var tokenizer: String?
        switch json["tokenizer_variant"] {
        case nil, .null?: tokenizer = nil
        case .string(let s)?: tokenizer = s.isEmpty ? nil : s
        default: throw MaskGITConfigError.badKey("tokenizer_variant", expected: "a string or null")
        }
        let sampling = try Self.sampling(from: json["sampling"] ?? .object([:]), keyPrefix: "sampling.",
                                         names: SamplingKeys.metadata)
        self.init(kind: kind, numTokens: try int("num_tokens"), codebookSize: try int("codebook_size"),
                  numClasses: try int("num_classes"), hidden: try int("hidden"), layers: try int("layers"),
                  heads: try int("heads"), intermediate: try int("intermediate"),
                  tokenizerVariant: tokenizer, sampling: sampling)
        try validate()
    }

    /// Reads the reference training config (config.json on the hub: `model.generator.*`,
    /// `model.vq_model.codebook_size`), as the fixtures carry it.
    public init(referenceConfig root: JSONValue, tokenizerVariant: String? = nil) throws {
        guard let gen = root.at("model.generator"), gen.objectValue != nil else {
            throw MaskGITConfigError.badKey("model.generator", expected: "an object")
        }
        func int(_ k: String) throws -> Int {
            guard let v = gen[k]?.intValue else { throw MaskGITConfigError.badKey("model.generator.\(k)", expected: "an integer") }
            return v
        }
        let type = gen["model_type"]?.stringValue ?? "ViT"
        guard let kind = MaskGITKind(rawValue: type.lowercased()) else {
            throw MaskGITConfigError.invalid("model.generator.model_type '\(type)' is not ViT or UViT")
        }
        guard let k = root.at("model.vq_model.codebook_size")?.intValue else {
            throw MaskGITConfigError.badKey("model.vq_model.codebook_size", expected: "an integer")
        }
        let sampling = try Self.sampling(from: gen, keyPrefix: "model.generator.", names: SamplingKeys.reference)
        self.init(kind: kind, numTokens: try int("image_seq_len"), codebookSize: k,
                  numClasses: try int("condition_num_classes"), hidden: try int("hidden_size"),
                  layers: try int("num_hidden_layers"), heads: try int("num_attention_heads"),
                  intermediate: try int("intermediate_size"), tokenizerVariant: tokenizerVariant, sampling: sampling)
        try validate()
    }

    /// Key names of the sampling settings in the two config dialects.
    private struct SamplingKeys {
        var steps, temperature, scale, decay, annealing: String
        static let metadata = SamplingKeys(steps: "steps", temperature: "randomize_temperature", scale: "guidance_scale",
                                           decay: "guidance_decay", annealing: "softmax_temperature_annealing")
        static let reference = SamplingKeys(steps: "num_steps", temperature: "randomize_temperature", scale: "guidance_scale",
                                            decay: "guidance_decay", annealing: "softmax_temperature_annealing")
    }

    /// Sampling settings, each absent key taking the reference `generate()` default.
    private static func sampling(from o: JSONValue, keyPrefix: String, names: SamplingKeys) throws -> GenerationParams {
        var p = GenerationParams()
        func number(_ k: String) throws -> Double? {
            guard let v = o[k] else { return nil }
            guard let d = v.doubleValue else { throw MaskGITConfigError.badKey(keyPrefix + k, expected: "a number") }
            return d
        }
        if let v = o[names.steps] {
            guard let s = v.intValue else { throw MaskGITConfigError.badKey(keyPrefix + names.steps, expected: "an integer") }
            p.steps = s
        }
        if let v = try number(names.temperature) { p.randomizeTemperature = v }
        if let v = try number(names.scale) { p.guidanceScale = v }
        if let v = o[names.decay] {
            guard let s = v.stringValue else { throw MaskGITConfigError.badKey(keyPrefix + names.decay, expected: "a string") }
            guard let d = GuidanceDecay(rawValue: s) else {
                throw MaskGITConfigError.invalid("\(keyPrefix)\(names.decay) '\(s)' is not one of constant, linear, power-cosine")
            }
            p.guidanceDecay = d
        }
        if let v = o[names.annealing] {
            guard let b = v.boolValue else { throw MaskGITConfigError.badKey(keyPrefix + names.annealing, expected: "true or false") }
            p.softmaxTemperatureAnnealing = b
        }
        return p
    }
}
