/// The one conversion between 8-bit RGB images (interleaved [B, S, S, 3]) and the models' planar
/// float pixels ([B, 3, S, S]), with the reference's rules in both directions.
public enum PixelLayout {
    /// uint8 RGB -> planar float32, value / 255 computed in float32 (the reference's `pixel_values`).
    /// `rgb` holds batch * side * side * 3 bytes, `out` batch * 3 * side * side floats.
    public static func planarFloats(fromRGB rgb: UnsafePointer<UInt8>, batch: Int, side: Int,
                                    into out: UnsafeMutablePointer<Float>) {
        let plane = side * side
        for b in 0..<batch {
            let src = rgb + b * plane * 3, dst = out + b * plane * 3
            for p in 0..<plane {
                dst[p] = Float(src[3 * p]) / 255
                dst[plane + p] = Float(src[3 * p + 1]) / 255
                dst[2 * plane + p] = Float(src[3 * p + 2]) / 255
            }
        }
    }

    /// Planar float -> uint8 RGB: clamp to [0, 1], times 255, truncate (the reference's `recon_u8`);
    /// NaN becomes 0.
    public static func rgbBytes(fromPlanar pixels: UnsafePointer<Float>, batch: Int, side: Int,
                                into out: UnsafeMutablePointer<UInt8>) {
        let plane = side * side
        for b in 0..<batch {
            let src = pixels + b * plane * 3, dst = out + b * plane * 3
            for p in 0..<plane {
                dst[3 * p] = byte(src[p])
                dst[3 * p + 1] = byte(src[plane + p])
                dst[3 * p + 2] = byte(src[2 * plane + p])
            }
        }
    }

    /// Array convenience: [B, S, S, 3] bytes -> [B, 3, S, S] floats.
    public static func planarFloats(fromRGB rgb: [UInt8], batch: Int, side: Int) -> [Float] {
        precondition(rgb.count == batch * side * side * 3, "PixelLayout: byte count does not match the batch")
        var out = [Float](repeating: 0, count: rgb.count)
        rgb.withUnsafeBufferPointer { src in out.withUnsafeMutableBufferPointer { dst in
            planarFloats(fromRGB: src.baseAddress!, batch: batch, side: side, into: dst.baseAddress!)
        } }
        return out
    }

    /// Array convenience: [B, 3, S, S] floats -> [B, S, S, 3] bytes.
    public static func rgbBytes(fromPlanar pixels: [Float], batch: Int, side: Int) -> [UInt8] {
        precondition(pixels.count == batch * side * side * 3, "PixelLayout: float count does not match the batch")
        var out = [UInt8](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { src in out.withUnsafeMutableBufferPointer { dst in
            rgbBytes(fromPlanar: src.baseAddress!, batch: batch, side: side, into: dst.baseAddress!)
        } }
        return out
    }

    @inline(__always)
    static func byte(_ v: Float) -> UInt8 {
        let c: Float = v > 0 ? (v < 1 ? v : 1) : 0
        return UInt8(c * 255)
    }
}
