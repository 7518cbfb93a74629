import CTurboJPEG

/// JPEG decoding and encoding through libjpeg-turbo's TurboJPEG API.
///
/// Decodes to RGB8 with libjpeg's accurate integer DCT and fancy upsampling (as Pillow does); grey is
/// replicated; CMYK/YCCK (Adobe, stored inverted) is converted with Pillow's rule for Adobe (inverted)
/// CMYK. The EXIF orientation is applied, so the result is upright.
public enum JPEGCodec {
    /// Decodes a JPEG held in memory; `name` is used in error messages.
    public static func decode(_ data: UnsafeRawBufferPointer, name: String, applyOrientation: Bool = true) throws -> RGBImage {
        guard let base = data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count > 0 else {
            throw ImageIOError.corrupt(name: name, format: "JPEG", detail: "empty file")
        }
        guard let handle = tjInitDecompress() else {
            throw ImageIOError.corrupt(name: name, format: "JPEG", detail: "cannot start the TurboJPEG decoder")
        }
        defer { tjDestroy(handle) }
        let size = UInt(data.count)
        var w: Int32 = 0, h: Int32 = 0, subsamp: Int32 = 0, colorspace: Int32 = 0
        guard tjDecompressHeader3(handle, base, size, &w, &h, &subsamp, &colorspace) == 0 else {
            throw ImageIOError.corrupt(name: name, format: "JPEG", detail: errorText(handle))
        }
        let width = Int(w), height = Int(h)
        let rgbCount = try ImageLimits.rgbByteCount(width: width, height: height, name: name)
        let cmyk = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        let channels = cmyk ? 4 : 3
        let format = cmyk ? TJPF_CMYK : TJPF_RGB
        var buf = [UInt8](repeating: 0, count: rgbCount / 3 * channels)
        let rc = buf.withUnsafeMutableBufferPointer { out in
            tjDecompress2(handle, base, size, out.baseAddress, w, Int32(width * channels), h,
                          Int32(format.rawValue), 0)
        }
        if rc != 0 {
            let text = errorText(handle)
            // libjpeg reports a truncated file as a warning and pads with grey: treat it as an error.
            let fatal = tjGetErrorCode(handle) == Int32(TJERR_FATAL.rawValue)
            if fatal || text.contains("Premature end") {
                throw ImageIOError.corrupt(name: name, format: "JPEG", detail: text)
            }
        }
        var image: RGBImage
        if cmyk {
            var rgb = [UInt8](repeating: 0, count: rgbCount)
            buf.withUnsafeBufferPointer { src in
                rgb.withUnsafeMutableBufferPointer { dst in
                    for p in 0..<(width * height) {
                        // Pillow: stored values are inverted ("CMYK;I"); R = (255-K) - (C*(255-K))/255.
                        let nk = Int(src[p * 4 + 3])
                        for c in 0..<3 {
                            let t = (255 - Int(src[p * 4 + c])) * nk + 128
                            dst[p * 3 + c] = UInt8(clamping: nk - (((t >> 8) + t) >> 8))
                        }
                    }
                }
            }
            image = RGBImage(width: width, height: height, pixels: rgb)
        } else {
            image = RGBImage(width: width, height: height, pixels: buf)
        }
        if applyOrientation {
            image = image.applying(ExifOrientation.read(jpeg: data))
        }
        return image
    }

    /// Encodes an RGB8 image as a baseline JPEG (4:2:0 chroma subsampling), quality 1...100.
    public static func encode(_ img: RGBImage, quality: Int = 90, name: String = "image") throws -> [UInt8] {
        _ = try ImageLimits.rgbByteCount(width: img.width, height: img.height, name: name)
        guard (1...100).contains(quality) else {
            throw ImageIOError.invalidArgument("JPEG quality must be in 1...100, got \(quality)")
        }
        guard let handle = tjInitCompress() else {
            throw ImageIOError.encodeFailed(name: name, format: "JPEG", detail: "cannot start the TurboJPEG encoder")
        }
        defer { tjDestroy(handle) }
        var out: UnsafeMutablePointer<UInt8>? = nil
        var outSize: UInt = 0
        let rc = img.pixels.withUnsafeBufferPointer { px in
            tjCompress2(handle, px.baseAddress, Int32(img.width), Int32(img.width * 3), Int32(img.height),
                        Int32(TJPF_RGB.rawValue), &out, &outSize, Int32(TJSAMP_420.rawValue), Int32(quality), 0)
        }
        defer { if let o = out { tjFree(o) } }
        guard rc == 0, let o = out else {
            throw ImageIOError.encodeFailed(name: name, format: "JPEG", detail: errorText(handle))
        }
        return Array(UnsafeBufferPointer(start: o, count: Int(outSize)))
    }

    private static func errorText(_ handle: tjhandle) -> String {
        guard let c = tjGetErrorStr2(handle) else { return "TurboJPEG error" }
        return String(cString: c)
    }
}
