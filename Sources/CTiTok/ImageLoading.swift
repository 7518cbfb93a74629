import ImageIO

/// Reads a PNG/JPEG file and fits it to R x R (shorter side resized bicubic, centre crop).
@_cdecl("titok_image_load_rgb")
public func titok_image_load_rgb(_ path: UnsafePointer<CChar>?, _ resolution: Int32,
                                 _ rgbOut: UnsafeMutablePointer<UInt8>?) -> Int32 {
    guarded("titok_image_load_rgb", fallback: .format) {
        let file = try Opening.string(path, "path")
        guard resolution > 0, resolution <= 16384 else {
            throw ABIError.invalid("resolution is \(resolution); expected 1...16384 (usually the model's, e.g. 256)")
        }
        guard let out = rgbOut else { throw ABIError.invalid("rgb_out is NULL") }
        let side = Int(resolution)
        let image = try ImageFile.read(file)
        let fitted = (image.width == side && image.height == side)
            ? image : try Preprocess.resizeShorterSideAndCenterCrop(image, to: side)
        try PixelConversion.expect(fitted.pixels.count, side * side * 3, "image byte")
        fitted.pixels.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: $0.count) }
    }
}
