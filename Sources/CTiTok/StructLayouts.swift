import ModelZoo

/// Byte layout of `titok_options` (include/titok.h), version 1. Read through raw offsets so the
/// Swift side does not depend on Swift struct layout.
enum OptionsLayout {
    static let structSize = 0  // uint32_t
    static let numThreads = 4  // int32_t
    static let size = 8

    /// Reads caller options (NULL = defaults), rejecting structs smaller than version 1.
    static func read(_ pointer: UnsafeRawPointer?) throws -> LoadOptions {
        guard let pointer else { return LoadOptions() }
        let declared = pointer.loadUnaligned(fromByteOffset: structSize, as: UInt32.self)
        guard declared >= UInt32(size) else {
            throw ABIError.invalid("titok_options.struct_size is \(declared), smaller than version 1 (\(size)); call titok_options_default first")
        }
        let threads = pointer.loadUnaligned(fromByteOffset: numThreads, as: Int32.self)
        guard threads >= 0 else {
            throw ABIError.invalid("titok_options.num_threads is \(threads); use 0 for all cores or a positive count")
        }
        return LoadOptions(threads: Int(threads))
    }

    static func writeDefaults(_ pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: UInt32(size), toByteOffset: structSize, as: UInt32.self)
        pointer.storeBytes(of: Int32(0), toByteOffset: numThreads, as: Int32.self)
    }
}

/// Byte layout of `titok_model_info` (include/titok.h), version 1.
enum ModelInfoLayout {
    static let structSize = 0      // uint32_t
    static let variant = 4         // char[64]
    static let variantCapacity = 64
    static let resolution = 68     // int32_t
    static let numTokens = 72      // int32_t
    static let codebookSize = 76   // int32_t
    static let tokenDim = 80       // int32_t
    static let isVAE = 84          // int32_t
    static let size = 88

    /// The facts written into the struct.
    struct Values {
        var variant: String
        var resolution: Int
        var numTokens: Int
        var codebookSize: Int
        var tokenDim: Int
        var isVAE: Bool
    }

    /// Checks the caller's struct_size, then writes the version-1 fields (struct_size is left as
    /// the caller set it; bytes past version 1 are not touched).
    static func write(_ values: Values, to pointer: UnsafeMutableRawPointer) throws {
        let declared = pointer.loadUnaligned(fromByteOffset: structSize, as: UInt32.self)
        guard declared >= UInt32(size) else {
            throw ABIError.invalid("titok_model_info.struct_size is \(declared), smaller than version 1 (\(size)); set it to sizeof(titok_model_info)")
        }
        let name = (pointer + variant).bindMemory(to: CChar.self, capacity: variantCapacity)
        name.initialize(repeating: 0, count: variantCapacity)
        var utf8: [UInt8] = []
        for scalar in values.variant.unicodeScalars {  // whole code points only
            let bytes = Array(String(scalar).utf8)
            guard utf8.count + bytes.count < variantCapacity else { break }
            utf8 += bytes
        }
        for (i, byte) in utf8.enumerated() { name[i] = CChar(bitPattern: byte) }
        pointer.storeBytes(of: clamp32(values.resolution), toByteOffset: resolution, as: Int32.self)
        pointer.storeBytes(of: clamp32(values.numTokens), toByteOffset: numTokens, as: Int32.self)
        pointer.storeBytes(of: clamp32(values.codebookSize), toByteOffset: codebookSize, as: Int32.self)
        pointer.storeBytes(of: clamp32(values.tokenDim), toByteOffset: tokenDim, as: Int32.self)
        pointer.storeBytes(of: Int32(values.isVAE ? 1 : 0), toByteOffset: isVAE, as: Int32.self)
    }

    private static func clamp32(_ v: Int) -> Int32 { Int32(clamping: v) }
}
