/// Conversions between the ABI's byte images (interleaved [B,R,R,3]) and the models' planar floats.
enum PixelConversion {
    /// uint8 [B, S*S, 3] -> float [B, 3, S*S] scaled to [0, 1] (value / 255 in float32, as the reference).
    static func planarFloats(from rgb: UnsafePointer<UInt8>, into out: UnsafeMutableBufferPointer<Float>,
                             batch: Int, side: Int) throws {
        let plane = side * side
        try expect(out.count, batch * 3 * plane)
        guard let dst = out.baseAddress else { return }
        for b in 0..<batch {
            let src = rgb + b * plane * 3
            let image = dst + b * plane * 3
            for p in 0..<plane {
                image[p] = Float(src[3 * p]) / 255
                image[plane + p] = Float(src[3 * p + 1]) / 255
                image[2 * plane + p] = Float(src[3 * p + 2]) / 255
            }
        }
    }

    /// float [B, 3, S*S] -> uint8 [B, S*S, 3]: clamp to [0, 1], times 255, truncated (as the
    /// reference's `recon_u8`). NaN becomes 0.
    static func bytes(from pixels: UnsafeBufferPointer<Float>, into rgb: UnsafeMutablePointer<UInt8>,
                      batch: Int, side: Int) throws {
        let plane = side * side
        try expect(pixels.count, batch * 3 * plane)
        guard let src = pixels.baseAddress else { return }
        for b in 0..<batch {
            let image = src + b * plane * 3
            let dst = rgb + b * plane * 3
            for p in 0..<plane {
                dst[3 * p] = byte(image[p])
                dst[3 * p + 1] = byte(image[plane + p])
                dst[3 * p + 2] = byte(image[2 * plane + p])
            }
        }
    }

    /// The model returned a buffer of another size than its info promises: a library bug.
    static func expect(_ count: Int, _ expected: Int, _ what: String = "pixel") throws {
        guard count == expected else {
            throw ABIError(status: .internalError, message: "model returned \(count) \(what) values, expected \(expected)")
        }
    }

    @inline(__always)
    static func byte(_ v: Float) -> UInt8 {
        let c: Float = v > 0 ? (v < 1 ? v : 1) : 0
        return UInt8(c * 255)
    }
}
