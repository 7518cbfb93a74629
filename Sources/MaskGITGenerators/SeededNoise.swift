import ModelZoo

/// The default noise source: uniforms from a counter-based SplitMix64 stream keyed by
/// (seed, step, purpose). Draw i of a block depends on nothing else, so a seeded run gives the
/// same ids for any thread count, batch position order or call history.
public final class SeededNoise: NoiseSource {
    public let seed: UInt64

    public init(seed: UInt64) { self.seed = seed }

    public func fillUniforms(step: Int, purpose: NoisePurpose, into buffer: UnsafeMutableBufferPointer<Double>) {
        let key = Self.mix(seed ^ Self.mix(UInt64(truncatingIfNeeded: step) &* 2 &+ UInt64(purpose.rawValue) &+ 0x5851_F42D_4C95_7F2D))
        for i in buffer.indices {
            buffer[i] = Self.unit(Self.mix(key &+ UInt64(truncatingIfNeeded: i) &* 0x9E37_79B9_7F4A_7C15))
        }
    }

    /// The SplitMix64 output function (Steele, Lea & Flood 2014).
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The top 53 bits as a double in [0, 1).
    @inline(__always)
    static func unit(_ x: UInt64) -> Double { Double(x >> 11) * 0x1.0p-53 }
}
