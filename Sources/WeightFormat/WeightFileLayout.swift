/// How a tensor's bytes are stored in a `.tzw` file.
public enum TensorEncoding: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case raw = 0, zlib = 1, zlibShuffle = 2

    public var description: String {
        switch self {
        case .raw: return "raw"
        case .zlib: return "zlib"
        case .zlibShuffle: return "zlib+shuffle"
        }
    }

    /// Parses "raw", "zlib", "zlib+shuffle" (also "shuffle", "zlib_shuffle").
    public init?(name: String) {
        switch name.lowercased() {
        case "raw": self = .raw
        case "zlib": self = .zlib
        case "zlib+shuffle", "zlib_shuffle", "shuffle": self = .zlibShuffle
        default: return nil
        }
    }
}

/// The order of a tensor's elements in its record. Version 2 of the format stores it in the
/// table entry's fourth type byte (version 1: always row-major, the byte 0).
public enum ElementOrder: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Outer dimension first (PyTorch order).
    case rowMajor = 0
    /// A matrix [n, k] (trailing dimensions of 1 allowed, n a multiple of 16) as n / 16 strips,
    /// each [k][16]: element (r, c) at (r / 16) * 16k + c * 16 + r % 16. Raw f32 (version 2),
    /// f16 or bf16 (version 3) only: the layout the AVX2 matrix kernel reads a Linear weight in,
    /// used straight from the map.
    case strips16 = 1

    public var description: String {
        switch self {
        case .rowMajor: return "row-major"
        case .strips16: return "strips16"
        }
    }

    /// Rows per strip of `strips16`.
    public static let stripRows = 16

    /// Parses "row-major" (also "rowmajor", "row_major") and "strips16".
    public init?(name: String) {
        switch name.lowercased() {
        case "row-major", "rowmajor", "row_major": self = .rowMajor
        case "strips16": self = .strips16
        default: return nil
        }
    }

    /// Position in the record of row-major element `index` of a matrix with `columns` columns
    /// stored in this order.
    @inline(__always)
    public func storedIndex(of index: Int, columns: Int) -> Int {
        switch self {
        case .rowMajor:
            return index
        case .strips16:
            let r = index / columns, c = index - r * columns
            return (r / 16) * (columns * 16) + c * 16 + r % 16
        }
    }

    /// Calls `body(i, storedIndex(of: i))` for each row-major element index `i` in `elements`
    /// of a matrix with `columns` columns, in order, one division per call rather than per element.
    @inline(__always)
    public func forEachStoredIndex(_ elements: Range<Int>, columns: Int, _ body: (Int, Int) -> Void) {
        guard !elements.isEmpty, columns > 0 else { return }
        let step = self == .rowMajor ? 1 : 16
        var r = elements.lowerBound / columns, i = elements.lowerBound
        while i < elements.upperBound {
            let rowStart = r * columns, end = min(elements.upperBound, rowStart + columns)
            var at = storedIndex(of: i, columns: columns)
            while i < end {
                body(i, at)
                i += 1
                at += step
            }
            r += 1
        }
    }

    /// The first format version that stores a `dtype` tensor in this order: 1 for row-major, 2
    /// for f32 strips16, 3 for 16-bit strips16.
    public func minimumVersion(dtype: DType) -> UInt32 {
        switch self {
        case .rowMajor: return 1
        case .strips16: return dtype == .f32 ? 2 : 3
        }
    }

    /// Why `shape`, `dtype` and `encoding` cannot be stored in this order; nil when they can.
    public func unsupportedReason(shape: [Int], dtype: DType, encoding: TensorEncoding) -> String? {
        switch self {
        case .rowMajor:
            return nil
        case .strips16:
            guard [.f32, .f16, .bf16].contains(dtype), encoding == .raw else {
                return "strips16 is for raw f32, f16 or bf16 tensors (got \(dtype), \(encoding))"
            }
            guard shape.count >= 2, shape.dropFirst(2).allSatisfy({ $0 == 1 }) else {
                return "strips16 needs a matrix [n, k] (trailing dimensions of 1 allowed), got shape \(shape)"
            }
            guard shape[0] % Self.stripRows == 0 else { return "strips16 needs n a multiple of 16, got shape \(shape)" }
            return nil
        }
    }
}

/// The constants and limits of `.tzw` versions 1 to 3 (see docs/weight-format.md).
public enum WeightFileLayout {
    public static let magic: [UInt8] = Array("TZWEIGHT".utf8)
    /// The newest version: written when a 16-bit tensor is stored as strips16 (2 when only f32
    /// ones are, 1 when every tensor is row-major: the oldest version that holds the file).
    public static let version: UInt32 = 3
    /// Versions this reader accepts.
    public static let readableVersions: ClosedRange<UInt32> = 1...3
    public static let headerSize = 80
    public static let minAlignment = 64
    public static let maxAlignment = 1 << 20
    public static let defaultAlignment = 64
    public static let maxTensorCount = 1_000_000
    public static let minMetadataLength = 2
    public static let maxMetadataLength = 16 << 20
    public static let maxTableLength = 64 << 20
    public static let maxNameLength = 1024
    public static let maxDimensions = 8
    public static let maxDimension: UInt64 = 1 << 40
    /// Fixed bytes of a table entry besides its name and shape.
    public static let entryFixedSize = 2 + 4 + 8 + 8 + 8 + 4
    /// The smallest possible entry (1-byte name, scalar).
    public static let minEntrySize = entryFixedSize + 1
    /// Deflate expands at most 1032:1; a compressed tensor claiming more cannot be valid.
    public static let maxInflateRatio: UInt64 = 1032
    /// Slack allowed on top of `maxInflateRatio` (zlib header, tiny streams).
    public static let inflateSlack: UInt64 = 1024

    /// Bytes a table entry with this name length and rank occupies.
    public static func entrySize(nameLength: Int, ndim: Int) -> Int {
        entryFixedSize + nameLength + 8 * ndim
    }

    /// `value` rounded up to a multiple of `alignment` (a power of two), nil on overflow.
    public static func alignUp(_ value: UInt64, _ alignment: UInt64) -> UInt64? {
        let (sum, overflow) = value.addingReportingOverflow(alignment - 1)
        return overflow ? nil : sum & ~(alignment - 1)
    }
}

/// The 80-byte header of a `.tzw` file, as stored.
public struct WeightFileHeader: Sendable, Equatable, Codable {
    public var version: UInt32
    public var flags: UInt32
    public var alignment: UInt32
    public var tensorCount: UInt32
    public var metadataOffset: UInt64
    public var metadataLength: UInt64
    public var tableOffset: UInt64
    public var tableLength: UInt64
    public var dataOffset: UInt64
    public var fileSize: UInt64
    public var headerCRC32: UInt32
    public var indexCRC32: UInt32
}

/// One tensor table entry: where a tensor lies in the file and how it is stored.
public struct TensorEntry: Sendable, Equatable, Codable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    /// Offset of the record from `data_offset`.
    public let offset: Int
    /// Offset of the record from the start of the file.
    public let fileOffset: Int
    public let storedLength: Int
    public let rawLength: Int
    public let encoding: TensorEncoding
    public let crc32: UInt32
    /// The order of the elements in the record (row-major in version 1 files).
    public let order: ElementOrder

    /// Number of elements (product of the shape; 1 for a scalar).
    public var elementCount: Int { rawLength / dtype.size }
}

/// Dtypes, encodings and element orders are coded in JSON (`zoo info --json`, summaries) by
/// name: `description` out, `init?(name:)` back in.
private func decodeName<T>(_ decoder: Decoder, kind: String, _ parse: (String) -> T?) throws -> T {
    let c = try decoder.singleValueContainer()
    let name = try c.decode(String.self)
    guard let value = parse(name) else {
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "unknown \(kind) '\(name)'")
    }
    return value
}

private func encodeName(_ name: String, to encoder: Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(name)
}

extension DType: Codable {
    public init(from decoder: Decoder) throws { self = try decodeName(decoder, kind: "dtype", DType.init(name:)) }
    public func encode(to encoder: Encoder) throws { try encodeName(description, to: encoder) }
}

extension TensorEncoding: Codable {
    public init(from decoder: Decoder) throws { self = try decodeName(decoder, kind: "encoding", TensorEncoding.init(name:)) }
    public func encode(to encoder: Encoder) throws { try encodeName(description, to: encoder) }
}

extension ElementOrder: Codable {
    public init(from decoder: Decoder) throws { self = try decodeName(decoder, kind: "element order", ElementOrder.init(name:)) }
    public func encode(to encoder: Encoder) throws { try encodeName(description, to: encoder) }
}
