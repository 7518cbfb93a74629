/// Conversions between float32 and the 16-bit float formats (IEEE half, bfloat16).
public enum HalfFloat {
    /// IEEE 754 binary16 bits -> float32 (exact, handles subnormals, inf, NaN).
    @inline(__always)
    public static func f16ToF32(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = UInt32((h >> 10) & 0x1F)
        let man = UInt32(h & 0x3FF)
        if exp == 0 {
            if man == 0 { return Float(bitPattern: sign) }
            // subnormal: value = man * 2^-24
            let v = Float(man) * Float(bitPattern: 0x3380_0000)  // 2^-24
            return sign != 0 ? -v : v
        }
        if exp == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (man << 13)) }
        return Float(bitPattern: sign | ((exp + 112) << 23) | (man << 13))
    }

    /// float32 -> IEEE binary16 bits, round to nearest even.
    @inline(__always)
    public static func f32ToF16(_ f: Float) -> UInt16 { Float16(f).bitPattern }

    /// bfloat16 bits -> float32 (exact).
    @inline(__always)
    public static func bf16ToF32(_ b: UInt16) -> Float { Float(bitPattern: UInt32(b) << 16) }

    /// float32 -> bfloat16 bits, round to nearest even (NaN kept quiet).
    @inline(__always)
    public static func f32ToBF16(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        if f.isNaN { return UInt16(bits >> 16) | 0x0040 }
        let rounding = UInt32(0x7FFF) + ((bits >> 16) & 1)
        return UInt16((bits &+ rounding) >> 16)
    }
}
