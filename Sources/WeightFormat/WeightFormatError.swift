/// Everything that can be wrong with a `.tzw` file, each with a specific human message.
public enum WeightFormatError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be opened, sized or mapped.
    case io(path: String, reason: String)
    case badMagic
    /// `byteSwapped` is set when the version reads as a small number byte-swapped (wrong endianness).
    case unsupportedVersion(UInt32, byteSwapped: Bool)
    case unsupportedFlags(UInt32)
    /// A header field breaks its rule (alignment, tensor count, lengths, offsets).
    case badHeader(String)
    case truncated(expected: UInt64, actual: UInt64)
    /// The file is longer than its header's `file_size`.
    case trailingBytes(expected: UInt64, actual: UInt64)
    case headerCRCMismatch(stored: UInt32, computed: UInt32)
    case indexCRCMismatch(stored: UInt32, computed: UInt32)
    case badMetadata(String)
    /// Table entry `index` (its name when it could be read) is invalid, and why.
    case badTableEntry(index: Int, name: String?, reason: String)
    /// The table as a whole is inconsistent (bytes left over, records not reaching `file_size`).
    case badTable(String)
    case tensorCRCMismatch(name: String, stored: UInt32, computed: UInt32)
    case inflateFailed(name: String, reason: String)
    /// The stream inflates to `actual` bytes instead of `expected` (`actual > expected`: to more).
    case inflatedSizeMismatch(name: String, expected: Int, actual: Int)
    case notConvertible(name: String, dtype: DType)
    case missingTensor(String)
    /// The writer was given something it cannot store.
    case invalidWrite(String)

    public var description: String {
        switch self {
        case .io(let path, let reason): return "cannot read weight file '\(path)': \(reason)"
        case .badMagic: return "not a TiTok Zoo weight file (.tzw): bad magic, expected 'TZWEIGHT'"
        case .unsupportedVersion(let v, let swapped):
            let hint = swapped ? " (it reads as \(v.byteSwapped) byte-swapped: the file was written with the wrong endianness)" : ""
            let known = WeightFileLayout.readableVersions
            return "unsupported .tzw version \(v); this reader supports versions \(known.lowerBound) to \(known.upperBound)\(hint)"
        case .unsupportedFlags(let f): return "unsupported .tzw header flags 0x\(String(f, radix: 16)); every version requires 0"
        case .badHeader(let why): return "bad .tzw header: \(why)"
        case .truncated(let expected, let actual): return "truncated .tzw file: expected \(expected) bytes, got \(actual)"
        case .trailingBytes(let expected, let actual):
            return "trailing bytes after the .tzw data: the header says \(expected) bytes, the file has \(actual)"
        case .headerCRCMismatch(let stored, let computed):
            return "header CRC mismatch: stored \(hex(stored)), computed \(hex(computed)) (the header is damaged)"
        case .indexCRCMismatch(let stored, let computed):
            return "index CRC mismatch: stored \(hex(stored)), computed \(hex(computed)) (metadata or tensor table is damaged)"
        case .badMetadata(let why): return "bad .tzw metadata: \(why)"
        case .badTableEntry(let index, let name, let reason):
            let which = name.map { "\(index) ('\($0)')" } ?? "\(index)"
            return "bad tensor table entry \(which): \(reason)"
        case .badTable(let why): return "bad tensor table: \(why)"
        case .tensorCRCMismatch(let name, let stored, let computed):
            return "CRC mismatch in tensor '\(name)': stored \(hex(stored)), computed \(hex(computed)) (its data is damaged)"
        case .inflateFailed(let name, let reason): return "cannot inflate tensor '\(name)': \(reason)"
        case .inflatedSizeMismatch(let name, let expected, let actual):
            if actual > expected { return "tensor '\(name)' inflates to more than its raw length of \(expected) bytes" }
            return "tensor '\(name)' inflates to \(actual) bytes, expected \(expected)"
        case .notConvertible(let name, let dtype):
            return "tensor '\(name)' has dtype \(dtype), which cannot be read as float32"
        case .missingTensor(let name): return "tensor '\(name)' is missing"
        case .invalidWrite(let why): return "cannot write .tzw file: \(why)"
        }
    }
}

private func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}
