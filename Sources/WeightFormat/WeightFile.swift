import Foundation

/// A `.tzw` weight file, validated on open and read in place from a read-only memory map.
/// Raw f32 tensors point straight into the map; others are converted or inflated once and cached.
/// Thread-safe: several threads may load tensors at once.
public final class WeightFile: TensorProvider, @unchecked Sendable {
    /// The file's path, or "<memory>" for bytes given in memory.
    public let path: String
    public let header: WeightFileHeader
    public let metadata: ModelMetadata
    /// The tensor table, in file order.
    public let entries: [TensorEntry]
    public let fileSize: Int

    private let storage: FileBytes
    private let positions: [String: Int]
    private let cacheLock = NSLock()
    private var cache: [Int: ConversionSlot] = [:]

    /// Opens and validates `path`. With `verifyChecksums`, also checks the CRC-32 of every
    /// tensor's stored bytes now (compressed tensors are always checked when inflated).
    public convenience init(path: String, verifyChecksums: Bool = false) throws {
        try self.init(storage: FileBytes(mapping: path), path: path, verifyChecksums: verifyChecksums)
    }

    /// Validates a file held in memory (the bytes are copied to aligned storage).
    public convenience init(bytes: UnsafeRawBufferPointer, verifyChecksums: Bool = false) throws {
        try self.init(storage: FileBytes(copying: bytes), path: "<memory>", verifyChecksums: verifyChecksums)
    }

    public convenience init(bytes: [UInt8], verifyChecksums: Bool = false) throws {
        let storage = bytes.withUnsafeBytes { FileBytes(copying: $0) }
        try self.init(storage: storage, path: "<memory>", verifyChecksums: verifyChecksums)
    }

    private init(storage: FileBytes, path: String, verifyChecksums: Bool) throws {
        let index = try WeightFileParser.parse(storage.bytes)
        self.storage = storage
        self.path = path
        header = index.header
        metadata = index.metadata
        entries = index.entries
        positions = index.positions
        fileSize = storage.bytes.count
        if verifyChecksums {
            for entry in entries { try checkCRC(entry) }
        }
    }

    // MARK: lookups

    public var tensorNames: [String] { entries.map(\.name).sorted() }

    /// Gives back the resident memory-mapped pages under `tensor` when it points into this
    /// file's map (raw f32 used in place) and will not be read for a while; reading it again
    /// later is still valid (the pages come back from the file). No effect on other tensors.
    public func releaseResidentPages(of tensor: Float32Tensor) {
        guard tensor.owner === self else { return }
        storage.releasePages(UnsafeRawBufferPointer(tensor.buffer))
    }

    public func shape(of name: String) -> [Int]? { entry(named: name)?.shape }

    /// The table entry of `name`, or nil.
    public func entry(named name: String) -> TensorEntry? { positions[name].map { entries[$0] } }

    /// The tensor's stored bytes, exactly as in the file (compressed for zlib encodings).
    public func storedBytes(of entry: TensorEntry) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage.bytes[entry.fileOffset..<(entry.fileOffset + entry.storedLength)])
    }

    /// Bytes of the file in `range` (checked by the caller to lie inside it).
    func storedBytes(range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage.bytes[range])
    }

    /// Checks the CRC-32 of the tensor's stored bytes.
    public func checkCRC(_ entry: TensorEntry) throws {
        let crc = Zlib.crc32(storedBytes(of: entry))
        guard crc == entry.crc32 else {
            throw WeightFormatError.tensorCRCMismatch(name: entry.name, stored: entry.crc32, computed: crc)
        }
    }

    // MARK: decoding

    /// The tensor's raw little-endian element bytes in its stored element order (inflated and
    /// unshuffled when compressed; CRC-checked when compressed). Works for every dtype.
    public func rawBytes(_ name: String) throws -> [UInt8] {
        guard let entry = entry(named: name) else { throw WeightFormatError.missingTensor(name) }
        var out = [UInt8](repeating: 0, count: entry.rawLength)
        try out.withUnsafeMutableBytes { try decode(entry, into: $0) }
        return out
    }

    /// Decodes `entry` into `destination` (exactly `rawLength` bytes).
    func decode(_ entry: TensorEntry, into destination: UnsafeMutableRawBufferPointer) throws {
        let stored = storedBytes(of: entry)
        switch entry.encoding {
        case .raw:
            if entry.rawLength > 0 { destination.copyMemory(from: stored) }
        case .zlib:
            try checkCRC(entry)
            try Zlib.inflate(stored, into: destination, tensor: entry.name)
        case .zlibShuffle:
            try checkCRC(entry)
            let shuffled = UnsafeMutableRawBufferPointer.allocate(byteCount: max(entry.rawLength, 1), alignment: 64)
            defer { shuffled.deallocate() }
            let exact = UnsafeMutableRawBufferPointer(rebasing: shuffled[0..<entry.rawLength])
            try Zlib.inflate(stored, into: exact, tensor: entry.name)
            Zlib.unshuffle(UnsafeRawBufferPointer(exact), elementSize: entry.dtype.size, into: destination)
        }
    }

    /// The tensor as float32: in place for raw f32, otherwise converted (f16, bf16, f64) or
    /// inflated once and cached. Integer dtypes throw `notConvertible`.
    public func float32(_ name: String) throws -> Float32Tensor {
        guard let position = positions[name] else { throw TensorLookupError.missingTensor(name) }
        let entry = entries[position]
        switch entry.dtype {
        case .f32, .f16, .bf16, .f64: break
        case .i32, .i64, .u8: throw WeightFormatError.notConvertible(name: name, dtype: entry.dtype)
        }
        if entry.dtype == .f32, entry.encoding == .raw, entry.order == .rowMajor {
            return inPlace(entry)
        }
        let slot = cacheSlot(position)
        slot.lock.lock()
        defer { slot.lock.unlock() }
        if let converted = slot.storage {
            return Float32Tensor(shape: entry.shape, buffer: UnsafeBufferPointer(converted.pointer), owner: converted)
        }
        let converted = try convert(entry)
        slot.storage = converted
        return Float32Tensor(shape: entry.shape, buffer: UnsafeBufferPointer(converted.pointer), owner: converted)
    }

    /// A raw (uncompressed) f16, bf16 or f64 tensor, or a raw f32 one not stored row-major, as
    /// row-major float32 on demand, converted range by range by the caller and never cached (no
    /// conversion of raw bytes can fail); nil for raw row-major f32 (used in place by
    /// `float32`), compressed tensors, integer dtypes and unknown names.
    public func deferredFloat32(_ name: String) -> DeferredFloat32Tensor? {
        guard let entry = entry(named: name), entry.encoding == .raw else { return nil }
        switch entry.dtype {
        case .f16, .bf16, .f64: return DeferredFloat32Tensor(file: self, entry: entry)
        case .f32: return entry.order == .rowMajor ? nil : DeferredFloat32Tensor(file: self, entry: entry)
        case .i32, .i64, .u8: return nil
        }
    }

    /// A raw `strips16` tensor's elements (f32, f16 or bf16) exactly as stored (see
    /// `ElementOrder.strips16`), in place in the map; nil for every other tensor. Valid while
    /// `owner` lives.
    public func strips16(_ name: String) -> StoredStrips? {
        // The parser admits strips16 only for raw f32, f16 and bf16 matrices.
        guard let entry = entry(named: name), entry.order == .strips16 else { return nil }
        #if _endian(little)
        guard let base = storedBytes(of: entry).baseAddress else { return nil }
        return StoredStrips(rows: entry.shape[0], columns: entry.elementCount / max(entry.shape[0], 1), dtype: entry.dtype,
                            base: base, owner: self)
        #else
        return nil
        #endif
    }

    /// Gives back the resident mapped pages of a tensor's stored bytes (see `releaseResidentPages(of:)`).
    func releaseResidentPages(of entry: TensorEntry) {
        storage.releasePages(storedBytes(of: entry))
    }

    private func inPlace(_ entry: TensorEntry) -> Float32Tensor {
        let stored = storedBytes(of: entry)
        let count = entry.elementCount
        // Records are aligned to >= 64 bytes inside a page-aligned map (or 64-aligned copy).
        let base = stored.baseAddress.map { $0.assumingMemoryBound(to: Float.self) }
        #if _endian(little)
        return Float32Tensor(shape: entry.shape, buffer: UnsafeBufferPointer(start: base, count: count), owner: self)
        #else
        let copy = FloatStorage(count: count)
        for i in 0..<count { copy.pointer[i] = Float(bitPattern: UInt32(littleEndian: stored.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        return Float32Tensor(shape: entry.shape, buffer: UnsafeBufferPointer(copy.pointer), owner: copy)
        #endif
    }

    private func cacheSlot(_ position: Int) -> ConversionSlot {
        cacheLock.lock()
        defer { cacheLock.unlock() }
        if let slot = cache[position] { return slot }
        let slot = ConversionSlot()
        cache[position] = slot
        return slot
    }

    private func convert(_ entry: TensorEntry) throws -> FloatStorage {
        let count = entry.elementCount
        let out = FloatStorage(uninitializedCount: count)  // every element written below (or thrown away)
        let destination = UnsafeMutableBufferPointer(start: out.pointer.baseAddress, count: count)
        func widen(_ raw: UnsafeRawBufferPointer) {
            Self.widen(entry.dtype, raw, elements: 0..<count, into: out.pointer.baseAddress!)
        }
        if entry.encoding == .raw, entry.order != .rowMajor {
            Self.gather(entry, storedBytes(of: entry), elements: 0..<count, into: out.pointer.baseAddress!)
        } else if entry.encoding == .raw {
            widen(storedBytes(of: entry))
        } else if entry.dtype == .f32 {
            try decode(entry, into: UnsafeMutableRawBufferPointer(destination))
            #if _endian(big)
            widen(UnsafeRawBufferPointer(destination))
            #endif
        } else {
            let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: max(entry.rawLength, 1), alignment: 64)
            defer { raw.deallocate() }
            let exact = UnsafeMutableRawBufferPointer(rebasing: raw[0..<entry.rawLength])
            try decode(entry, into: exact)
            widen(UnsafeRawBufferPointer(exact))
        }
        return out
    }
}

extension WeightFile {
    /// Row-major elements `elements` of a raw float tensor (f32, f16 or bf16) stored in another
    /// order, as float32, written to `destination[0..<elements.count]` (range checked by the caller).
    static func gather(_ entry: TensorEntry, _ raw: UnsafeRawBufferPointer, elements: Range<Int>,
                       into destination: UnsafeMutablePointer<Float>) {
        let first = elements.lowerBound, columns = entry.elementCount / max(entry.shape[0], 1)
        func each(_ value: (Int) -> Float) {
            entry.order.forEachStoredIndex(elements, columns: columns) { i, at in destination[i - first] = value(at) }
        }
        switch entry.dtype {
        case .f32: each { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        case .f16: each { HalfFloat.f16ToF32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
        case .bf16: each { HalfFloat.bf16ToF32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
        case .f64, .i32, .i64, .u8: break  // never stored in another order (the parser's rule)
        }
    }

    /// Elements `elements` of little-endian `raw` data of a float dtype, as float32, written to
    /// `destination[0..<elements.count]`. The caller has checked the range; integer dtypes
    /// write nothing (rejected before this is reached).
    static func widen(_ dtype: DType, _ raw: UnsafeRawBufferPointer, elements: Range<Int>,
                      into destination: UnsafeMutablePointer<Float>) {
        let first = elements.lowerBound
        switch dtype {
        case .f32:
            for i in elements { destination[i - first] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        case .f16:
            for i in elements { destination[i - first] = HalfFloat.f16ToF32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .bf16:
            for i in elements { destination[i - first] = HalfFloat.bf16ToF32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .f64:
            for i in elements { destination[i - first] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
        case .i32, .i64, .u8:
            break
        }
    }
}

/// A raw `strips16` matrix of a `WeightFile` as stored: `rows` x `columns` values of `dtype`
/// (f32, f16 or bf16, little-endian) in strips of 16 rows (see `ElementOrder.strips16`),
/// starting at `base` in the file's map.
public struct StoredStrips: @unchecked Sendable {
    public let rows: Int
    public let columns: Int
    public let dtype: DType
    public let base: UnsafeRawPointer
    /// Keeps the map alive.
    public let owner: AnyObject

    /// The elements of f32 strips; nil for 16-bit ones.
    public var float32: UnsafeBufferPointer<Float>? {
        dtype == .f32 ? UnsafeBufferPointer(start: base.assumingMemoryBound(to: Float.self), count: rows * columns) : nil
    }

    /// The elements of f16 or bf16 strips (bit patterns); nil for f32 ones.
    public var bits16: UnsafeBufferPointer<UInt16>? {
        dtype == .f16 || dtype == .bf16
            ? UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt16.self), count: rows * columns) : nil
    }
}

/// A raw f16, bf16 or f64 tensor (or a raw f32 one in another element order than row-major)
/// of a `WeightFile` read as row-major float32 a range at a time, for
/// consumers that re-lay the values once (packed Linear weights) and need no converted copy.
public struct DeferredFloat32Tensor: @unchecked Sendable {
    public let shape: [Int]
    public var count: Int { entry.elementCount }
    private let file: WeightFile
    private let entry: TensorEntry

    init(file: WeightFile, entry: TensorEntry) {
        self.file = file
        self.entry = entry
        shape = entry.shape
    }

    /// Writes elements `elements` (flat, row-major) as float32 to `destination`; traps on a
    /// range outside the tensor (checked once per call, not per element).
    public func read(elements: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        precondition(elements.lowerBound >= 0 && elements.upperBound <= count, "element range outside tensor '\(entry.name)'")
        if entry.order == .rowMajor {
            WeightFile.widen(entry.dtype, file.storedBytes(of: entry), elements: elements, into: destination)
        } else {
            WeightFile.gather(entry, file.storedBytes(of: entry), elements: elements, into: destination)
        }
    }

    /// Gives the stored bytes' mapped pages back once their values live elsewhere.
    public func releaseResidentPages() { file.releaseResidentPages(of: entry) }
}

/// One tensor's cached float32 conversion; its lock makes the conversion happen once.
private final class ConversionSlot: @unchecked Sendable {
    let lock = NSLock()
    var storage: FloatStorage?
}
