import CPNG
import Foundation

/// PNG decoding and encoding through libpng's simplified API.
///
/// Every PNG kind decodes to RGB8: 8- and 16-bit (16-bit samples are scaled to 8 bits as sRGB-encoded
/// values, not treated as linear), grey (replicated), palette (incl. tRNS). Alpha is dropped, not
/// composited: colour values are kept as stored, which is what Pillow's `convert("RGB")` (the
/// reference's ImageFolder loader) does.
public enum PNGCodec {
    /// The PNG signature.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Decodes a PNG held in memory; `name` is used in error messages.
    public static func decode(_ data: UnsafeRawBufferPointer, name: String) throws -> RGBImage {
        guard let base = data.baseAddress, data.count > 0 else {
            throw ImageIOError.corrupt(name: name, format: "PNG", detail: "empty file")
        }
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.opaque = nil
        guard png_image_begin_read_from_memory(&image, base, data.count) != 0 else {
            let msg = message(of: &image)
            png_image_free(&image)
            throw ImageIOError.corrupt(name: name, format: "PNG", detail: msg)
        }
        let width = Int(image.width), height = Int(image.height)
        let rgbCount: Int
        do { rgbCount = try ImageLimits.rgbByteCount(width: width, height: height, name: name) } catch {
            png_image_free(&image); throw error
        }
        // Read as RGBA so no alpha compositing (linear-light, in libpng) takes place; then drop alpha.
        image.format = png_uint_32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
        image.flags |= png_uint_32(PNG_IMAGE_FLAG_16BIT_sRGB)
        var rgba = [UInt8](repeating: 0, count: rgbCount / 3 * 4)
        let ok = rgba.withUnsafeMutableBytes { buf in
            png_image_finish_read(&image, nil, buf.baseAddress, png_int_32(width * 4), nil)
        }
        guard ok != 0 else {
            let msg = message(of: &image)
            png_image_free(&image)
            throw ImageIOError.corrupt(name: name, format: "PNG", detail: msg)
        }
        png_image_free(&image)
        var rgb = [UInt8](repeating: 0, count: rgbCount)
        rgba.withUnsafeBufferPointer { src in
            rgb.withUnsafeMutableBufferPointer { dst in
                for p in 0..<(width * height) {
                    dst[p * 3] = src[p * 4]
                    dst[p * 3 + 1] = src[p * 4 + 1]
                    dst[p * 3 + 2] = src[p * 4 + 2]
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: rgb)
    }

    /// Encodes an RGB8 PNG in memory.
    public static func encode(_ img: RGBImage, name: String = "image") throws -> [UInt8] {
        _ = try ImageLimits.rgbByteCount(width: img.width, height: img.height, name: name)
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(img.width)
        image.height = png_uint_32(img.height)
        image.format = png_uint_32(PNG_FORMAT_RGB)
        var size = 0
        // First call sizes the output, second writes it.
        let sized = img.pixels.withUnsafeBytes { px in
            png_image_write_to_memory(&image, nil, &size, 0, px.baseAddress, png_int_32(img.width * 3), nil)
        }
        guard sized != 0, size > 0 else {
            let msg = message(of: &image); png_image_free(&image)
            throw ImageIOError.encodeFailed(name: name, format: "PNG", detail: msg)
        }
        var out = [UInt8](repeating: 0, count: size)
        let ok = out.withUnsafeMutableBytes { o in
            img.pixels.withUnsafeBytes { px in
                png_image_write_to_memory(&image, o.baseAddress, &size, 0, px.baseAddress, png_int_32(img.width * 3), nil)
            }
        }
        guard ok != 0 else {
            let msg = message(of: &image); png_image_free(&image)
            throw ImageIOError.encodeFailed(name: name, format: "PNG", detail: msg)
        }
        png_image_free(&image)
        return Array(out.prefix(size))
    }

    private static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            let bytes = raw.prefix { $0 != 0 }
            let s = String(decoding: bytes, as: UTF8.self)
            return s.isEmpty ? "libpng error" : s
        }
    }
}
