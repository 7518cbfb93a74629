import ImageIO
import ModelZoo

/// Conversions between 8-bit RGB images and the models' planar float pixels.
enum PixelTensors {
    /// Appends one R x R image as planar float32 [3, R, R] with values u8 / 255.
    static func appendPlanar(_ image: RGBImage, to out: inout [Float]) {
        out.append(contentsOf: PixelLayout.planarFloats(fromRGB: image.pixels, batch: 1, side: image.width))
    }

    /// Image `index` of planar floats [B, 3, R, R] as RGB8: clamp to [0, 1], times 255, truncated
    /// (as the reference turns reconstructions into bytes).
    static func image(fromPlanar pixels: [Float], index: Int, side: Int) -> RGBImage {
        let per = 3 * side * side
        let bytes = PixelLayout.rgbBytes(fromPlanar: Array(pixels[(index * per)..<((index + 1) * per)]), batch: 1, side: side)
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
