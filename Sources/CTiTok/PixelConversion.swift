import ModelZoo

/// The ABI's byte images (interleaved [B,R,R,3]) <-> the models' planar floats, with size checks;
/// the conversion itself is `PixelLayout`'s.
enum PixelConversion {
    /// uint8 [B, S*S, 3] -> float [B, 3, S*S] scaled to [0, 1] (value / 255 in float32, as the reference).
    static func planarFloats(from rgb: UnsafePointer<UInt8>, into out: UnsafeMutableBufferPointer<Float>,
                             batch: Int, side: Int) throws {
        try expect(out.count, batch * 3 * side * side)
        guard let dst = out.baseAddress else { return }
        PixelLayout.planarFloats(fromRGB: rgb, batch: batch, side: side, into: dst)
    }

    /// float [B, 3, S*S] -> uint8 [B, S*S, 3]: clamp to [0, 1], times 255, truncated (as the
    /// reference's `recon_u8`). NaN becomes 0.
    static func bytes(from pixels: UnsafeBufferPointer<Float>, into rgb: UnsafeMutablePointer<UInt8>,
                      batch: Int, side: Int) throws {
        try expect(pixels.count, batch * 3 * side * side)
        guard let src = pixels.baseAddress else { return }
        PixelLayout.rgbBytes(fromPlanar: src, batch: batch, side: side, into: rgb)
    }

    /// The model returned a buffer of another size than its info promises: a library bug.
    static func expect(_ count: Int, _ expected: Int, _ what: String = "pixel") throws {
        guard count == expected else {
            throw ABIError(status: .internalError, message: "model returned \(count) \(what) values, expected \(expected)")
        }
    }
}
