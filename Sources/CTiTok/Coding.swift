#if canImport(Glibc)
import Glibc
#endif
import ModelZoo

/// Model facts as titok_model_info reports them.
private func infoValues(_ model: LoadedModel) -> ModelInfoLayout.Values {
    switch model {
    case .tokenizer(let t):
        let i = t.info
        return .init(variant: i.variant, resolution: i.resolution, numTokens: i.numTokens,
                     codebookSize: i.codebookSize, tokenDim: i.tokenDim, isVAE: i.isVAE)
    case .generator(let g):
        let i = g.generatorInfo
        return .init(variant: i.variant, resolution: 0, numTokens: i.numTokens,
                     codebookSize: i.codebookSize, tokenDim: 0, isVAE: false)
    }
}

/// Fills *out with the model's shape facts.
@_cdecl("titok_model_get_info")
public func titok_model_get_info(_ model: UnsafeRawPointer?, _ out: UnsafeMutableRawPointer?) -> Int32 {
    guarded("titok_model_get_info") {
        let handle = try LiveHandles.lookup(model)
        guard let out else { throw ABIError.invalid("out is NULL") }
        try ModelInfoLayout.write(infoValues(handle.model), to: out)
    }
}

/// Stores the model's kind (titok_model_kind: 0 tokenizer, 1 generator) in *out.
@_cdecl("titok_model_get_kind")
public func titok_model_get_kind(_ model: UnsafeRawPointer?, _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("titok_model_get_kind") {
        let handle = try LiveHandles.lookup(model)
        let out = try required(out, "out")
        switch handle.model {
        case .tokenizer: out.pointee = 0
        case .generator: out.pointee = 1
        }
    }
}

/// A VQ tokenizer, or an INVALID_ARGUMENT naming the right call for this model.
private func vqTokenizer(_ model: UnsafeRawPointer?, _ function: String) throws -> ImageTokenizer {
    let tokenizer = try LiveHandles.lookup(model).tokenizer(for: function)
    guard !tokenizer.info.isVAE, tokenizer.info.codebookSize > 0 else {
        let alternative = function == "titok_encode" ? "titok_encode_latents" : "titok_decode_latents"
        throw ABIError.invalid("\(tokenizer.info.variant) is a VAE tokenizer with continuous latents, not token ids; use \(alternative)")
    }
    return tokenizer
}

/// Checked pointer argument.
private func required<T>(_ pointer: T?, _ name: String) throws -> T {
    guard let pointer else { throw ABIError.invalid("\(name) is NULL") }
    return pointer
}

/// Runs `body` with a malloc'd float buffer of `count` elements (OUT_OF_MEMORY when refused).
private func withFloatBuffer<R>(_ count: Int, _ body: (UnsafeMutableBufferPointer<Float>) throws -> R) throws -> R {
    guard let raw = malloc(count * MemoryLayout<Float>.stride) else {
        throw ABIError(status: .outOfMemory, message: "cannot allocate \(count * MemoryLayout<Float>.stride) bytes for the batch")
    }
    defer { free(raw) }
    return try body(UnsafeMutableBufferPointer(start: raw.bindMemory(to: Float.self, capacity: count), count: count))
}

/// Encodes byte images to token ids.
@_cdecl("titok_encode")
public func titok_encode(_ model: UnsafeMutableRawPointer?, _ rgb: UnsafePointer<UInt8>?, _ batch: UInt,
                         _ tokensOut: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("titok_encode") {
        let tokenizer = try vqTokenizer(model, "titok_encode")
        let rgb = try required(rgb, "rgb")
        let out = try required(tokensOut, "tokens_out")
        let info = tokenizer.info
        let sizes = try BatchSizes(batch: batch, info: info)
        let encoding = try withFloatBuffer(sizes.pixels) { pixels in
            try PixelConversion.planarFloats(from: rgb, into: pixels, batch: sizes.batch, side: info.resolution)
            return try tokenizer.encode(pixels: UnsafeBufferPointer(pixels), batch: sizes.batch)
        }
        guard let tokens = encoding.tokens else {
            throw ABIError(status: .internalError, message: "\(info.variant) returned no token ids")
        }
        try PixelConversion.expect(tokens.count, sizes.tokens, "token")
        tokens.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: $0.count) }
    }
}

/// Decodes token ids to byte images.
@_cdecl("titok_decode")
public func titok_decode(_ model: UnsafeMutableRawPointer?, _ tokens: UnsafePointer<Int32>?, _ batch: UInt,
                         _ rgbOut: UnsafeMutablePointer<UInt8>?) -> Int32 {
    guarded("titok_decode") {
        let tokenizer = try vqTokenizer(model, "titok_decode")
        let tokens = try required(tokens, "tokens")
        let out = try required(rgbOut, "rgb_out")
        let info = tokenizer.info
        let sizes = try BatchSizes(batch: batch, info: info)
        let ids = UnsafeBufferPointer(start: tokens, count: sizes.tokens)
        if let bad = ids.firstIndex(where: { $0 < 0 || Int($0) >= info.codebookSize }) {
            throw ABIError.invalid("token \(ids[bad]) at index \(bad) (image \(bad / info.numTokens), position \(bad % info.numTokens)) is outside the codebook 0..<\(info.codebookSize)")
        }
        let pixels = try tokenizer.decode(tokens: ids, batch: sizes.batch)
        try pixels.withUnsafeBufferPointer {
            try PixelConversion.bytes(from: $0, into: out, batch: sizes.batch, side: info.resolution)
        }
    }
}

/// Encodes float images to latents [B, C, N].
@_cdecl("titok_encode_latents")
public func titok_encode_latents(_ model: UnsafeMutableRawPointer?, _ pixels: UnsafePointer<Float>?, _ batch: UInt,
                                 _ latentsOut: UnsafeMutablePointer<Float>?) -> Int32 {
    guarded("titok_encode_latents") {
        let tokenizer = try LiveHandles.lookup(model).tokenizer(for: "titok_encode_latents")
        let pixels = try required(pixels, "pixels")
        let out = try required(latentsOut, "latents_out")
        let sizes = try BatchSizes(batch: batch, info: tokenizer.info)
        let encoding = try tokenizer.encode(pixels: UnsafeBufferPointer(start: pixels, count: sizes.pixels), batch: sizes.batch)
        try PixelConversion.expect(encoding.latents.count, sizes.latents, "latent")
        encoding.latents.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: $0.count) }
    }
}

/// Decodes latents [B, C, N] to float images [B, 3, R, R].
@_cdecl("titok_decode_latents")
public func titok_decode_latents(_ model: UnsafeMutableRawPointer?, _ latents: UnsafePointer<Float>?, _ batch: UInt,
                                 _ pixelsOut: UnsafeMutablePointer<Float>?) -> Int32 {
    guarded("titok_decode_latents") {
        let tokenizer = try LiveHandles.lookup(model).tokenizer(for: "titok_decode_latents")
        let latents = try required(latents, "latents")
        let out = try required(pixelsOut, "pixels_out")
        let sizes = try BatchSizes(batch: batch, info: tokenizer.info)
        let pixels = try tokenizer.decode(latents: UnsafeBufferPointer(start: latents, count: sizes.latents), batch: sizes.batch)
        try PixelConversion.expect(pixels.count, sizes.pixels)
        pixels.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: $0.count) }
    }
}
