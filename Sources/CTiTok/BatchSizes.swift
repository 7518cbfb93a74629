import ModelZoo

/// Element counts of one call's buffers, computed with overflow checks from the caller's batch.
struct BatchSizes {
    let batch: Int
    /// batch * R * R * 3 (bytes of interleaved RGB, or floats of planar pixels).
    let pixels: Int
    /// batch * N.
    let tokens: Int
    /// batch * C * N.
    let latents: Int

    init(batch requested: UInt, info: TokenizerInfo) throws {
        guard requested > 0 else { throw ABIError.invalid("batch is 0; pass at least one image") }
        guard let batch = Int(exactly: requested) else {
            throw ABIError(status: .outOfMemory, message: "batch of \(requested) is too large: buffer size overflows")
        }
        self.batch = batch
        let side = info.resolution
        pixels = try Self.product([batch, side, side, 3])
        tokens = try Self.product([batch, info.numTokens])
        latents = try Self.product([batch, info.tokenDim, info.numTokens])
        // Float buffers must be addressable in bytes as well.
        _ = try Self.product([max(pixels, latents), MemoryLayout<Float>.stride])
    }

    private static func product(_ factors: [Int]) throws -> Int {
        var total = 1
        for f in factors {
            let (p, overflow) = total.multipliedReportingOverflow(by: f)
            guard !overflow, f >= 0 else {
                throw ABIError(status: .outOfMemory, message: "batch of \(factors.first ?? 0) is too large: buffer size overflows")
            }
            total = p
        }
        return total
    }
}
