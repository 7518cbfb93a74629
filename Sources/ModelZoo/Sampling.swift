import Foundation

/// A small, fast, seeded PRNG (SplitMix64): the same stream on every machine and thread count.
public struct SplitMix64: Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
    /// Standard normal (Box-Muller).
    public mutating func nextNormal() -> Double {
        let u1 = max(nextUnit(), 1e-300), u2 = nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

extension TokenizerEncoding {
    /// VAE: a seeded sample of the posterior, mean + std * N(0, 1), [B, C, N]. VQ models have no
    /// posterior to sample and throw.
    public func sampledLatents(seed: UInt64) throws -> [Float] {
        guard let std = latentStd, std.count == latents.count else {
            throw ZooError.invalidArgument("only VAE models have a posterior to sample; this encoding has tokens")
        }
        var rng = SplitMix64(seed: seed)
        var out = latents
        for i in out.indices { out[i] += std[i] * Float(rng.nextNormal()) }
        return out
    }
}
