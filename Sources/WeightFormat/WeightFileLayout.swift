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

/// The constants and limits of `.tzw` version 1 (see docs/weight-format.md).
public enum WeightFileLayout {
    public static let magic: [UInt8] = Array("TZWEIGHT".utf8)
    public static let version: UInt32 = 1
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

    /// Number of elements (product of the shape; 1 for a scalar).
    public var elementCount: Int { rawLength / dtype.size }
}

extension DType: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let name = try c.decode(String.self)
        guard let d = DType(name: name) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "unknown dtype '\(name)'")
        }
        self = d
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

extension TensorEncoding: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let name = try c.decode(String.self)
        guard let e = TensorEncoding(name: name) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "unknown encoding '\(name)'")
        }
        self = e
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
