import Foundation

/// Reading and writing image files; the format is chosen by the leading bytes, never the extension.
public enum ImageFile {
    /// Reads and decodes a PNG or JPEG file to RGB8 (JPEGs turned upright by their EXIF orientation).
    public static func read(_ path: String) throws -> RGBImage {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ImageIOError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        return try decode(data: data, name: path)
    }

    /// Decodes PNG or JPEG bytes; `name` appears in error messages.
    public static func decode(data: Data, name: String) throws -> RGBImage {
        try data.withUnsafeBytes { raw in try decode(bytes: raw, name: name) }
    }

    /// Decodes PNG or JPEG bytes held in memory.
    public static func decode(bytes raw: UnsafeRawBufferPointer, name: String) throws -> RGBImage {
        switch sniff(raw) {
        case .png: return try PNGCodec.decode(raw, name: name)
        case .jpeg: return try JPEGCodec.decode(raw, name: name)
        case nil: throw ImageIOError.unsupportedFormat(name: name)
        }
    }

    /// The container formats this module reads.
    public enum Format: Sendable { case png, jpeg }

    /// The format named by the leading bytes, or nil.
    public static func sniff(_ raw: UnsafeRawBufferPointer) -> Format? {
        if raw.count >= 8, raw.prefix(8).elementsEqual(PNGCodec.signature) { return .png }
        if raw.count >= 3, raw[0] == 0xFF, raw[1] == 0xD8, raw[2] == 0xFF { return .jpeg }
        return nil
    }

    /// Writes an RGB8 PNG file.
    public static func writePNG(_ image: RGBImage, to path: String) throws {
        try write(PNGCodec.encode(image, name: path), to: path, format: "PNG")
    }

    /// Writes an RGB8 JPEG file.
    public static func writeJPEG(_ image: RGBImage, to path: String, quality: Int = 90) throws {
        try write(JPEGCodec.encode(image, quality: quality, name: path), to: path, format: "JPEG")
    }

    private static func write(_ bytes: [UInt8], to path: String, format: String) throws {
        do { try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw ImageIOError.encodeFailed(name: path, format: format, detail: (error as NSError).localizedDescription)
        }
    }
}
