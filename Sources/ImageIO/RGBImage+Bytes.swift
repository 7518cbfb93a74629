extension RGBImage {
    /// Builds an image from interleaved RGB8 bytes, throwing (not trapping) when the count does not fit the size.
    public static func from(width: Int, height: Int, bytes: [UInt8]) throws -> RGBImage {
        let count = try ImageLimits.rgbByteCount(width: width, height: height, name: "pixel buffer")
        guard bytes.count == count else {
            throw ImageIOError.invalidArgument("RGB buffer has \(bytes.count) bytes; a \(width)x\(height) image needs \(count)")
        }
        return RGBImage(width: width, height: height, pixels: bytes)
    }

    /// The pixel at (x, y) as (r, g, b). Traps when out of range (for tests and small tools).
    public func pixel(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        let i = (y * width + x) * 3
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }
}
