/// Conversions between float32 and the 16-bit float formats (IEEE half, bfloat16).
public enum HalfFloat {
    /// IEEE 754 binary16 bits -> float32 (exact, handles subnormals, inf, NaN payloads).
    /// Branch-free (selects only), so loops over it vectorise: normal values re-bias the
    /// exponent in integer arithmetic, subnormals are mantissa x 2^-24 (no float32 subnormal is
    /// ever an operand, so a host that sets denormals-are-zero gets the same bits), infinities
    /// and NaNs take the all-ones exponent.
    @inline(__always)
    public static func f16ToF32(_ h: UInt16) -> Float {
        let bits = UInt32(h)
        let magnitude = bits & 0x7FFF
        let normal = (magnitude << 13) &+ (112 << 23)
        let subnormal = (Float(magnitude) * 0x1p-24).bitPattern
        let special = 0x7F80_0000 | (magnitude & 0x3FF) << 13
        let value = magnitude >= 0x7C00 ? special : (magnitude < 0x400 ? subnormal : normal)
        return Float(bitPattern: value | (bits & 0x8000) << 16)
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
