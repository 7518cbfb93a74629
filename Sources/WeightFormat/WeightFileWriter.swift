import Foundation

/// Builds a `.tzw` file: add tensors (bytes, or floats converted to f32/f16/bf16) with an
/// encoding, then write them with metadata. Writes to a temporary file, then renames it.
public final class WeightFileWriter {
    /// The value of the metadata's `"format"` key.
    public static let formatName = "titok-zoo-weights"

    private struct Pending {
        let name: String
        let dtype: DType
        let shape: [Int]
        let encoding: TensorEncoding
        let order: ElementOrder
        let rawLength: Int
        let stored: [UInt8]
        let crc32: UInt32
    }

    public let alignment: Int
    /// zlib level (0...9) for compressed encodings.
    public var compressionLevel: Int32 = 6
    private var pending: [Pending] = []
    private var names: Set<String> = []

    /// `alignment`: a power of two in 64...1 MiB (64 by default, 4096 for page alignment).
    public init(alignment: Int = WeightFileLayout.defaultAlignment) throws {
        guard alignment >= WeightFileLayout.minAlignment, alignment <= WeightFileLayout.maxAlignment,
              alignment & (alignment - 1) == 0 else {
            throw WeightFormatError.invalidWrite("alignment \(alignment) is not a power of two in 64...1048576")
        }
        self.alignment = alignment
    }

    public var tensorCount: Int { pending.count }

    /// Adds a tensor from its raw little-endian element bytes, given row-major; stored in `order`
    /// (`.strips16`: raw f32 matrices with a multiple of 16 rows, see `ElementOrder`).
    public func add(name: String, dtype: DType, shape: [Int], bytes: UnsafeRawBufferPointer,
                    encoding: TensorEncoding = .raw, order: ElementOrder = .rowMajor) throws {
        let nameLength = name.utf8.count
        guard nameLength >= 1, nameLength <= WeightFileLayout.maxNameLength else {
            throw WeightFormatError.invalidWrite("tensor name length \(nameLength) is outside 1...\(WeightFileLayout.maxNameLength)")
        }
        guard !names.contains(name) else { throw WeightFormatError.invalidWrite("duplicate tensor name '\(name)'") }
        guard shape.count <= WeightFileLayout.maxDimensions else {
            throw WeightFormatError.invalidWrite("tensor '\(name)' has \(shape.count) dimensions, at most 8 allowed")
        }
        guard pending.count < WeightFileLayout.maxTensorCount else {
            throw WeightFormatError.invalidWrite("more than \(WeightFileLayout.maxTensorCount) tensors")
        }
        var elements = 1
        for d in shape {
            guard d >= 0, UInt64(d) <= WeightFileLayout.maxDimension else {
                throw WeightFormatError.invalidWrite("tensor '\(name)' has dimension \(d), outside 0...2^40")
            }
            let (p, o) = elements.multipliedReportingOverflow(by: d)
            guard !o else { throw WeightFormatError.invalidWrite("tensor '\(name)': element count overflows") }
            elements = p
        }
        let (rawLength, o) = elements.multipliedReportingOverflow(by: dtype.size)
        guard !o, rawLength == bytes.count else {
            throw WeightFormatError.invalidWrite("tensor '\(name)': \(bytes.count) bytes given, shape \(shape) of \(dtype) needs \(elements * dtype.size)")
        }
        if let why = order.unsupportedReason(shape: shape, dtype: dtype, encoding: encoding) {
            throw WeightFormatError.invalidWrite("tensor '\(name)': \(why)")
        }
        let stored: [UInt8]
        switch encoding {
        case .raw where order != .rowMajor:
            let size = dtype.size, columns = elements / max(shape[0], 1)
            var out = [UInt8](repeating: 0, count: rawLength)
            out.withUnsafeMutableBytes { o in
                order.forEachStoredIndex(0..<elements, columns: columns) { i, at in
                    o.baseAddress!.advanced(by: at * size).copyMemory(from: bytes.baseAddress!.advanced(by: i * size), byteCount: size)
                }
            }
            stored = out
        case .raw:
            stored = Array(bytes)
        case .zlib:
            stored = try Zlib.compress(bytes, level: compressionLevel)
        case .zlibShuffle:
            var shuffled = [UInt8](repeating: 0, count: rawLength)
            shuffled.withUnsafeMutableBytes { Zlib.shuffle(bytes, elementSize: dtype.size, into: $0) }
            stored = try shuffled.withUnsafeBytes { try Zlib.compress($0, level: compressionLevel) }
        }
        names.insert(name)
        pending.append(Pending(name: name, dtype: dtype, shape: shape, encoding: encoding, order: order, rawLength: rawLength,
                               stored: stored, crc32: Zlib.crc32(stored)))
    }

    public func add(name: String, dtype: DType, shape: [Int], bytes: [UInt8], encoding: TensorEncoding = .raw,
                    order: ElementOrder = .rowMajor) throws {
        try bytes.withUnsafeBytes { try add(name: name, dtype: dtype, shape: shape, bytes: $0, encoding: encoding, order: order) }
    }

    /// Adds float values (row-major) stored as `dtype` (f32, f16 or bf16; rounded to nearest
    /// even) in `order`.
    public func add(name: String, shape: [Int], values: [Float], as dtype: DType = .f32,
                    encoding: TensorEncoding = .raw, order: ElementOrder = .rowMajor) throws {
        let bytes: [UInt8]
        switch dtype {
        case .f32:
            bytes = values.withUnsafeBytes { Array($0) }
        case .f16:
            bytes = values.map { HalfFloat.f32ToF16($0).littleEndian }.withUnsafeBytes { Array($0) }
        case .bf16:
            bytes = values.map { HalfFloat.f32ToBF16($0).littleEndian }.withUnsafeBytes { Array($0) }
        case .f64:
            bytes = values.map { Double($0).bitPattern.littleEndian }.withUnsafeBytes { Array($0) }
        case .i32, .i64, .u8:
            throw WeightFormatError.invalidWrite("tensor '\(name)': floats cannot be stored as \(dtype)")
        }
        try add(name: name, dtype: dtype, shape: shape, bytes: bytes, encoding: encoding, order: order)
    }

    /// The complete file as bytes. `metadata` must be an object with `format`
    /// ("titok-zoo-weights"), `family`, `variant` and `config`.
    public func serialized(metadata: JSONValue) throws -> [UInt8] {
        let layout = try makeLayout(metadata: metadata)
        var file = layout.prefix
        file.reserveCapacity(layout.fileSize)
        for (t, offset) in zip(pending, layout.offsets) {
            file.append(contentsOf: repeatElement(0, count: layout.dataOffset + offset - file.count))
            file.append(contentsOf: t.stored)
        }
        return file
    }

    /// Writes the file to `path` (streamed to a temporary file in the same directory, then renamed).
    public func write(to path: String, metadata: JSONValue) throws {
        let layout = try makeLayout(metadata: metadata)
        let temporary = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
        do {
            guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
                throw WeightFormatError.io(path: path, reason: "cannot create '\(temporary)'")
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            var written = 0
            func put(_ bytes: [UInt8]) throws {
                try handle.write(contentsOf: bytes)
                written += bytes.count
            }
            try put(layout.prefix)
            for (t, offset) in zip(pending, layout.offsets) {
                try put([UInt8](repeating: 0, count: layout.dataOffset + offset - written))
                try put(t.stored)
            }
            try handle.synchronize()
            try handle.close()
            guard rename(temporary, path) == 0 else {
                throw WeightFormatError.io(path: path, reason: "cannot rename the temporary file: \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            if let e = error as? WeightFormatError { throw e }
            throw WeightFormatError.io(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    private struct Layout {
        /// Header, metadata, table and the zero padding up to `dataOffset`.
        let prefix: [UInt8]
        let offsets: [Int]
        let dataOffset: Int
        let fileSize: Int
    }

    private func makeLayout(metadata: JSONValue) throws -> Layout {
        guard case .object(let object) = metadata else { throw WeightFormatError.invalidWrite("metadata is not a JSON object") }
        guard object["format"]?.stringValue == Self.formatName else {
            throw WeightFormatError.invalidWrite("metadata 'format' must be \"\(Self.formatName)\"")
        }
        do { _ = try ModelMetadata(raw: metadata) } catch {
            throw WeightFormatError.invalidWrite("\(error)")
        }
        let metadataBytes = Array(metadata.serialized())
        guard metadataBytes.count <= WeightFileLayout.maxMetadataLength else {
            throw WeightFormatError.invalidWrite("metadata is \(metadataBytes.count) bytes, above 16 MiB")
        }
        var offsets: [Int] = []
        var position = 0
        for t in pending {
            offsets.append(position)
            position = Self.alignUp(position + t.stored.count, alignment)
        }
        var table: [UInt8] = []
        for (t, offset) in zip(pending, offsets) {
            append(&table, UInt16(t.name.utf8.count))
            table.append(contentsOf: t.name.utf8)
            table.append(contentsOf: [t.dtype.rawValue, t.encoding.rawValue, UInt8(t.shape.count), t.order.rawValue])
            for d in t.shape { append(&table, UInt64(d)) }
            append(&table, UInt64(offset))
            append(&table, UInt64(t.stored.count))
            append(&table, UInt64(t.rawLength))
            append(&table, t.crc32)
        }
        guard table.count <= WeightFileLayout.maxTableLength else {
            throw WeightFormatError.invalidWrite("tensor table is \(table.count) bytes, above 64 MiB")
        }
        let tableOffset = WeightFileLayout.headerSize + metadataBytes.count
        let dataOffset = Self.alignUp(tableOffset + table.count, alignment)
        let fileSize = dataOffset + (pending.last.map { offsets.last! + $0.stored.count } ?? 0)

        var prefix: [UInt8] = WeightFileLayout.magic
        // The oldest version that holds every tensor, so the file stays readable by older readers.
        append(&prefix, pending.map { $0.order.minimumVersion(dtype: $0.dtype) }.max() ?? 1)
        append(&prefix, UInt32(0))
        append(&prefix, UInt32(alignment))
        append(&prefix, UInt32(pending.count))
        append(&prefix, UInt64(WeightFileLayout.headerSize))
        append(&prefix, UInt64(metadataBytes.count))
        append(&prefix, UInt64(tableOffset))
        append(&prefix, UInt64(table.count))
        append(&prefix, UInt64(dataOffset))
        append(&prefix, UInt64(fileSize))
        append(&prefix, Zlib.crc32(prefix))
        append(&prefix, Zlib.crc32(table, initial: Zlib.crc32(metadataBytes)))
        prefix += metadataBytes
        prefix += table
        prefix += [UInt8](repeating: 0, count: dataOffset - prefix.count)
        return Layout(prefix: prefix, offsets: offsets, dataOffset: dataOffset, fileSize: fileSize)
    }

    /// Writes `metadata` (family, variant, config, provenance and extra keys) plus `"format"`.
    public func write(to path: String, metadata: ModelMetadata) throws {
        try write(to: path, metadata: Self.metadataObject(metadata))
    }

    /// The stored metadata object for `metadata`: its keys plus `"format"`.
    public static func metadataObject(_ metadata: ModelMetadata) -> JSONValue {
        var object = metadata.raw.objectValue ?? [:]
        object["format"] = .string(formatName)
        object["family"] = .string(metadata.family)
        object["variant"] = .string(metadata.variant)
        object["config"] = metadata.config
        return .object(object)
    }

    private static func alignUp(_ value: Int, _ alignment: Int) -> Int { (value + alignment - 1) & ~(alignment - 1) }

    private func append<T: FixedWidthInteger>(_ bytes: inout [UInt8], _ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}
