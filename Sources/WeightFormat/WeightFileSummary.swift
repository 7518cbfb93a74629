import Foundation

/// What `zoo info` prints about a weight file: metadata and tensor statistics (Codable for JSON).
public struct WeightFileSummary: Sendable, Codable, Equatable {
    public let path: String
    public let version: UInt32
    public let alignment: Int
    public let fileSize: Int
    public let family: String
    public let variant: String
    public let config: JSONValue
    public let provenance: JSONValue
    public let tensorCount: Int
    /// Number of tensors per dtype name ("f32", "bf16", ...).
    public let dtypeCounts: [String: Int]
    /// Number of tensors per encoding name ("raw", "zlib", "zlib+shuffle").
    public let encodingCounts: [String: Int]
    /// Number of tensors per element order ("row-major", "strips16").
    public let orderCounts: [String: Int]
    /// Sum of the tensors' decoded sizes.
    public let rawBytes: Int
    /// Sum of the tensors' sizes on disk.
    public let storedBytes: Int
    /// rawBytes / storedBytes (1 when nothing is stored).
    public let compressionRatio: Double
    /// Total number of elements over all tensors.
    public let parameters: Int

    public init(_ file: WeightFile) {
        path = file.path
        version = file.header.version
        alignment = Int(file.header.alignment)
        fileSize = file.fileSize
        family = file.metadata.family
        variant = file.metadata.variant
        config = file.metadata.config
        provenance = file.metadata.provenance
        tensorCount = file.entries.count
        var dtypes: [String: Int] = [:], encodings: [String: Int] = [:], orders: [String: Int] = [:]
        var raw = 0, stored = 0, elements = 0
        for e in file.entries {
            dtypes[e.dtype.description, default: 0] += 1
            encodings[e.encoding.description, default: 0] += 1
            orders[e.order.description, default: 0] += 1
            raw += e.rawLength
            stored += e.storedLength
            elements += e.elementCount
        }
        dtypeCounts = dtypes
        encodingCounts = encodings
        orderCounts = orders
        rawBytes = raw
        storedBytes = stored
        compressionRatio = stored > 0 ? Double(raw) / Double(stored) : 1
        parameters = elements
    }

    /// Human-readable lines for a terminal.
    public var text: String {
        func counts(_ d: [String: Int]) -> String { d.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") }
        var lines = [
            "file:        \(path) (\(fileSize) bytes, .tzw version \(version), alignment \(alignment))",
            "model:       \(variant) (family \(family))",
            "tensors:     \(tensorCount) (\(counts(dtypeCounts)); \(counts(encodingCounts)); \(counts(orderCounts)))",
            "parameters:  \(parameters)",
            "bytes:       \(rawBytes) raw, \(storedBytes) stored (compression ratio \(String(format: "%.3f", compressionRatio)))",
            "config:      \(config)",
        ]
        if provenance != .object([:]) { lines.append("provenance:  \(provenance)") }
        return lines.joined(separator: "\n")
    }
}

/// The result of `WeightFile.verify()`: every check passed (a failing check throws instead).
public struct VerificationReport: Sendable, Codable, Equatable {
    public let path: String
    public let fileSize: Int
    public let tensorCount: Int
    /// Tensors whose CRC-32 was checked (all of them).
    public let checkedTensors: Int
    /// Compressed tensors inflated to their exact raw length.
    public let inflatedTensors: Int
    /// Stored bytes run through CRC-32.
    public let checkedBytes: Int
    /// Float tensors holding NaN or infinity (reported, not an error).
    public let nonFiniteTensors: [String]
    public let sound: Bool

    public var text: String {
        var s = "\(path): OK, \(checkedTensors) tensors, \(checkedBytes) bytes checked (CRC-32), \(inflatedTensors) inflated"
        if !nonFiniteTensors.isEmpty {
            s += "\nwarning: non-finite values in \(nonFiniteTensors.count) tensors: \(nonFiniteTensors.prefix(10).joined(separator: ", "))"
        }
        return s
    }
}

extension WeightFile {
    /// The summary `zoo info` prints.
    public var summary: WeightFileSummary { WeightFileSummary(self) }

    /// Checks everything: structure (done on open), the zero padding between records, every
    /// tensor's CRC-32, and that every compressed tensor inflates to exactly its raw length.
    /// Throws the first problem found.
    public func verify() throws -> VerificationReport {
        var checkedBytes = 0, inflated = 0
        var nonFinite: [String] = []
        var previousEnd = 0
        for entry in entries {
            try checkPaddingZero(from: previousEnd, to: entry.offset)
            previousEnd = entry.offset + entry.storedLength
            try checkCRC(entry)
            checkedBytes += entry.storedLength
            switch entry.dtype {
            case .f32, .f16, .bf16, .f64:
                if entry.encoding != .raw { inflated += 1 }
                let t = try float32(entry.name)
                if t.buffer.contains(where: { !$0.isFinite }) { nonFinite.append(entry.name) }
            case .i32, .i64, .u8:
                if entry.encoding != .raw {
                    _ = try rawBytes(entry.name)
                    inflated += 1
                }
            }
        }
        return VerificationReport(path: path, fileSize: fileSize, tensorCount: entries.count, checkedTensors: entries.count,
                                  inflatedTensors: inflated, checkedBytes: checkedBytes, nonFiniteTensors: nonFinite, sound: true)
    }

    private func checkPaddingZero(from start: Int, to end: Int) throws {
        guard start < end else { return }
        let base = Int(header.dataOffset)
        let padding = storedBytes(range: (base + start)..<(base + end))
        if let i = padding.firstIndex(where: { $0 != 0 }) {
            throw WeightFormatError.badTable("padding byte at data offset \(start + i) before the next record is not zero")
        }
    }
}
