extension RGBImage {
    /// The width x height region whose top-left corner is (x, y); throws when it leaves the image.
    public func cropped(x: Int, y: Int, width cw: Int, height ch: Int) throws -> RGBImage {
        guard x >= 0, y >= 0, cw > 0, ch > 0, x <= width - cw, y <= height - ch else {
            throw ImageIOError.invalidArgument("crop \(cw)x\(ch) at (\(x), \(y)) does not fit in a \(width)x\(height) image")
        }
        var out = [UInt8](repeating: 0, count: cw * ch * 3)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for row in 0..<ch {
                    let s = ((y + row) * width + x) * 3
                    let d = row * cw * 3
                    for j in 0..<(cw * 3) { dst[d + j] = src[s + j] }
                }
            }
        }
        return RGBImage(width: cw, height: ch, pixels: out)
    }

    /// The image mirrored left to right.
    public func flippedHorizontally() -> RGBImage {
        var out = [UInt8](repeating: 0, count: pixels.count)
        let w = width
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    for x in 0..<w {
                        let s = (y * w + x) * 3, d = (y * w + (w - 1 - x)) * 3
                        dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2]
                    }
                }
            }
        }
        return RGBImage(width: w, height: height, pixels: out)
    }
}
