import ModelCatalog
import ModelZoo

/// Byte layout of `titok_generate_params` (include/titok.h, generation section), version 1.
enum GenerateParamsLayout {
    static let structSize = 0      // uint32_t
    static let steps = 4           // int32_t
    static let guidanceScale = 8   // double
    static let guidanceDecay = 16  // int32_t (titok_guidance_decay)
    static let annealing = 20      // int32_t (0 or 1)
    static let temperature = 24    // double
    static let seed = 32           // uint64_t
    static let size = 40

    static let decays: [GuidanceDecay] = [.constant, .linear, .powerCosine]

    static func write(_ p: GenerationParams, to pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: UInt32(size), toByteOffset: structSize, as: UInt32.self)
        pointer.storeBytes(of: Int32(clamping: p.steps), toByteOffset: steps, as: Int32.self)
        pointer.storeBytes(of: p.guidanceScale, toByteOffset: guidanceScale, as: Double.self)
        pointer.storeBytes(of: Int32(decays.firstIndex(of: p.guidanceDecay) ?? 0), toByteOffset: guidanceDecay, as: Int32.self)
        pointer.storeBytes(of: Int32(p.softmaxTemperatureAnnealing ? 1 : 0), toByteOffset: annealing, as: Int32.self)
        pointer.storeBytes(of: p.randomizeTemperature, toByteOffset: temperature, as: Double.self)
        pointer.storeBytes(of: p.seed, toByteOffset: seed, as: UInt64.self)
    }

    static func read(_ pointer: UnsafeRawPointer) throws -> GenerationParams {
        let declared = pointer.loadUnaligned(fromByteOffset: structSize, as: UInt32.self)
        guard declared >= UInt32(size) else {
            throw ABIError.invalid("titok_generate_params.struct_size is \(declared), smaller than version 1 (\(size)); call titok_generate_params_default first")
        }
        let decay = pointer.loadUnaligned(fromByteOffset: guidanceDecay, as: Int32.self)
        guard decay >= 0, Int(decay) < decays.count else {
            throw ABIError.invalid("titok_generate_params.guidance_decay is \(decay); use TITOK_GUIDANCE_CONSTANT, _LINEAR or _POWER_COSINE")
        }
        let anneal = pointer.loadUnaligned(fromByteOffset: annealing, as: Int32.self)
        guard anneal == 0 || anneal == 1 else {
            throw ABIError.invalid("titok_generate_params.softmax_temperature_annealing is \(anneal); use 0 or 1")
        }
        let p = GenerationParams(
            steps: Int(pointer.loadUnaligned(fromByteOffset: steps, as: Int32.self)),
            guidanceScale: pointer.loadUnaligned(fromByteOffset: guidanceScale, as: Double.self),
            guidanceDecay: decays[Int(decay)],
            randomizeTemperature: pointer.loadUnaligned(fromByteOffset: temperature, as: Double.self),
            softmaxTemperatureAnnealing: anneal == 1,
            seed: pointer.loadUnaligned(fromByteOffset: seed, as: UInt64.self))
        try p.validate()
        return p
    }
}

extension ModelHandle {
    /// The model as a generator; a tokenizer handle is the wrong kind for `function`.
    func generator(for function: String) throws -> TokenGenerator {
        switch model {
        case .generator(let g): return g
        case .tokenizer(let t):
            throw ABIError.invalid("\(t.info.variant) is an image tokenizer, not a generator; \(function) needs a MaskGIT generator")
        }
    }
}

/// Fills *p with the reference `generate()` defaults (8 steps, guidance 3.0 constant,
/// temperature 4.5, no annealing, seed 0). NULL is a no-op.
@_cdecl("titok_generate_params_default")
public func titok_generate_params_default(_ p: UnsafeMutableRawPointer?) {
    guard let p else { return }
    GenerateParamsLayout.write(GenerationParams(), to: p)
}

/// sizeof(titok_generate_params) of this build.
@_cdecl("titok_sizeof_generate_params")
public func titok_sizeof_generate_params() -> Int { GenerateParamsLayout.size }

/// Opens a generator .tzw file; a tokenizer file is refused.
@_cdecl("titok_generator_open")
public func titok_generator_open(_ path: UnsafePointer<CChar>?, _ opts: UnsafeRawPointer?,
                                 _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32 {
    guarded("titok_generator_open", fallback: .format) {
        out?.pointee = nil
        let file = try Opening.string(path, "path")
        let options = try OptionsLayout.read(opts)
        try Opening.open(into: out) {
            let model = try Opening.openFile(file, options: options)
            _ = try ModelHandle(model).generator(for: "titok_generator_open")
            return model
        }
    }
}

/// Builds a registered generator variant with seeded random (untrained) weights.
@_cdecl("titok_generator_open_random")
public func titok_generator_open_random(_ variant: UnsafePointer<CChar>?, _ seed: UInt64, _ opts: UnsafeRawPointer?,
                                        _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32 {
    guarded("titok_generator_open_random") {
        out?.pointee = nil
        let name = try Opening.string(variant, "variant")
        let options = try OptionsLayout.read(opts)
        let info = try ModelCatalog.registry.variant(named: name)
        guard info.kind == .generator else { throw ABIError.invalid("\(info.name) is an image tokenizer, not a generator") }
        try Opening.open(into: out) {
            try ModelCatalog.registry.randomModel(variant: name, resolution: nil, seed: seed, options: options)
        }
    }
}

/// Shape facts of a generator: tokens per image, codebook size, number of classes (NULL outputs skipped).
@_cdecl("titok_generator_get_info")
public func titok_generator_get_info(_ gen: UnsafeRawPointer?, _ numTokens: UnsafeMutablePointer<Int32>?,
                                     _ codebookSize: UnsafeMutablePointer<Int32>?,
                                     _ numClasses: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("titok_generator_get_info") {
        let info = try LiveHandles.lookup(gen).generator(for: "titok_generator_get_info").generatorInfo
        numTokens?.pointee = Int32(clamping: info.numTokens)
        codebookSize?.pointee = Int32(clamping: info.codebookSize)
        numClasses?.pointee = Int32(clamping: info.numClasses)
    }
}

/// Fills *out with the generator's own sampling defaults (the paper's settings; seed 0).
@_cdecl("titok_generator_get_params")
public func titok_generator_get_params(_ gen: UnsafeRawPointer?, _ out: UnsafeMutableRawPointer?) -> Int32 {
    guarded("titok_generator_get_params") {
        let g = try LiveHandles.lookup(gen).generator(for: "titok_generator_get_params")
        guard let out else { throw ABIError.invalid("out is NULL") }
        GenerateParamsLayout.write(g.defaultParameters, to: out)
    }
}

/// Samples batch x N token ids, image b of class labels[b]. params NULL = the generator's defaults
/// (seed 0). tokenizer (may be NULL) is checked to decode these tokens (codebook size, token count).
@_cdecl("titok_generate")
public func titok_generate(_ gen: UnsafeRawPointer?, _ tokenizer: UnsafeRawPointer?, _ labels: UnsafePointer<Int32>?,
                           _ batch: UInt, _ params: UnsafeRawPointer?, _ tokensOut: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("titok_generate") {
        let g = try LiveHandles.lookup(gen).generator(for: "titok_generate")
        if tokenizer != nil {
            let t = try LiveHandles.lookup(tokenizer).tokenizer(for: "titok_generate (tokenizer argument)")
            try g.checkCompatible(with: t.info)
        }
        guard let labels else { throw ABIError.invalid("labels is NULL") }
        guard let tokensOut else { throw ABIError.invalid("tokens_out is NULL") }
        guard batch > 0 else { throw ABIError.invalid("batch is 0; pass at least one label") }
        guard batch <= 65_536 else { throw ABIError.invalid("batch of \(batch) is too large (at most 65536)") }
        let p = try params.map { try GenerateParamsLayout.read($0) } ?? g.defaultParameters
        let list = (0..<Int(batch)).map { Int(labels[$0]) }
        let tokens = try g.generate(labels: list, parameters: p)
        tokens.ids.withUnsafeBufferPointer { src in tokensOut.update(from: src.baseAddress!, count: src.count) }
    }
}

/// Releases a generator. NULL is a no-op.
@_cdecl("titok_generator_free")
public func titok_generator_free(_ gen: UnsafeMutableRawPointer?) {
    guard let gen else { return }
    LiveHandles.remove(gen)
}
