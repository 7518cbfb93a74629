/// Errors of image decoding, encoding and resampling, each with a message meant for the user.
public enum ImageIOError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be read at all (missing, a directory, permissions).
    case unreadable(path: String, reason: String)
    /// The bytes are neither PNG nor JPEG.
    case unsupportedFormat(name: String)
    /// A PNG or JPEG that its decoder rejects (corrupt or truncated); `detail` is the library's message.
    case corrupt(name: String, format: String, detail: String)
    /// An image whose declared size is zero or too large to decode safely.
    case badDimensions(name: String, width: Int, height: Int)
    /// Encoding or writing failed.
    case encodeFailed(name: String, format: String, detail: String)
    /// A bad argument to a resampling or cropping call.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .unreadable(let p, let r): return "cannot read image '\(p)': \(r)"
        case .unsupportedFormat(let n): return "'\(n)' is not a PNG or JPEG image (unrecognised leading bytes)"
        case .corrupt(let n, let f, let d): return "'\(n)' is not a valid \(f) file (corrupt or truncated): \(d)"
        case .badDimensions(let n, let w, let h):
            return "'\(n)' declares a \(w)x\(h) image, which is empty or larger than \(ImageLimits.maxPixels) pixels"
        case .encodeFailed(let n, let f, let d): return "cannot write \(f) '\(n)': \(d)"
        case .invalidArgument(let m): return m
        }
    }
}

/// Safety limits applied to sizes read from image files.
public enum ImageLimits {
    /// The most pixels a decoded image may have (guards against decompression bombs): 2^27.
    public static let maxPixels = 1 << 27

    /// Checks a declared size and returns the byte count of its RGB8 buffer.
    static func rgbByteCount(width: Int, height: Int, name: String) throws -> Int {
        guard width > 0, height > 0 else { throw ImageIOError.badDimensions(name: name, width: width, height: height) }
        let (px, o1) = width.multipliedReportingOverflow(by: height)
        guard !o1, px <= maxPixels else { throw ImageIOError.badDimensions(name: name, width: width, height: height) }
        return px * 3
    }
}
