import ImageIO

/// Conversions between 8-bit RGB images and the models' planar float pixels.
enum PixelTensors {
    /// Appends one R x R image as planar float32 [3, R, R] with values u8 / 255.
    static func appendPlanar(_ image: RGBImage, to out: inout [Float]) {
        let plane = image.width * image.height
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: 3 * plane))
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<plane {
                    for c in 0..<3 {
                        dst[start + c * plane + i] = Float(src[3 * i + c]) / 255
                    }
                }
            }
        }
    }

    /// Image `index` of planar floats [B, 3, R, R] as RGB8: clamp to [0, 1], times 255, truncated
    /// (as the reference turns reconstructions into bytes).
    static func image(fromPlanar pixels: [Float], index: Int, side: Int) -> RGBImage {
        let plane = side * side
        var bytes = [UInt8](repeating: 0, count: 3 * plane)
        let base = index * 3 * plane
        pixels.withUnsafeBufferPointer { src in
            for i in 0..<plane {
                for c in 0..<3 {
                    let v = src[base + c * plane + i]
                    let clamped = v.isNaN ? 0 : min(max(v, 0), 1)
                    bytes[3 * i + c] = UInt8(clamped * 255)
                }
            }
        }
        return RGBImage(width: side, height: side, pixels: bytes)
    }

    /// Two images of the same height next to each other.
    static func sideBySide(_ left: RGBImage, _ right: RGBImage) -> RGBImage {
        let h = min(left.height, right.height)
        let w = left.width + right.width
        var bytes = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            let row = y * w * 3
            bytes.replaceSubrange(row..<(row + left.width * 3),
                                  with: left.pixels[(y * left.width * 3)..<((y + 1) * left.width * 3)])
            let r = row + left.width * 3
            bytes.replaceSubrange(r..<(r + right.width * 3),
                                  with: right.pixels[(y * right.width * 3)..<((y + 1) * right.width * 3)])
        }
        return RGBImage(width: w, height: h, pixels: bytes)
    }
}
