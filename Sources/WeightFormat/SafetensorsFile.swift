import Foundation

/// Errors reading a `.safetensors` file.
public enum SafetensorsError: Error, CustomStringConvertible {
    case io(String)
    case malformed(String)

    public var description: String {
        switch self {
        case .io(let m): return "safetensors: \(m)"
        case .malformed(let m): return "safetensors: malformed file: \(m)"
        }
    }
}

/// A read-only `.safetensors` file (the hub's checkpoint format and the fixtures' format).
/// The header is validated (offsets inside the buffer, sizes matching shapes) before use.
public final class SafetensorsFile: TensorProvider, @unchecked Sendable {
    public struct Entry: Sendable {
        public let dtype: DType
        public let shape: [Int]
        /// Byte range inside the data buffer.
        public let begin: Int
        public let end: Int
    }

    public let entries: [String: Entry]
    public let metadata: [String: String]
    private let bytes: Data
    private let dataStart: Int

    public convenience init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SafetensorsError.io("cannot read '\(path)'")
        }
        try self.init(data: data)
    }

    public init(data: Data) throws {
        bytes = data
        guard data.count >= 8 else { throw SafetensorsError.malformed("shorter than its 8-byte header length") }
        let headerLength = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= 100_000_000, Int(headerLength) <= data.count - 8 else {
            throw SafetensorsError.malformed("header length \(headerLength) exceeds the file")
        }
        dataStart = 8 + Int(headerLength)
        let headerData = data.subdata(in: 8..<dataStart)
        guard let json = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw SafetensorsError.malformed("header is not a JSON object")
        }
        let bufferLength = data.count - dataStart
        var entries: [String: Entry] = [:]
        var meta: [String: String] = [:]
        for (name, value) in json {
            if name == "__metadata__" {
                if let m = value as? [String: String] { meta = m }
                continue
            }
            guard let info = value as? [String: Any],
                  let dtypeName = info["dtype"] as? String,
                  let shapeAny = info["shape"] as? [Any],
                  let offsets = info["data_offsets"] as? [Any], offsets.count == 2
            else { throw SafetensorsError.malformed("bad entry for tensor '\(name)'") }
            guard let dtype = DType(name: dtypeName) else {
                throw SafetensorsError.malformed("tensor '\(name)' has unsupported dtype \(dtypeName)")
            }
            var shape: [Int] = []
            var count = 1
            for d in shapeAny {
                guard let n = (d as? NSNumber)?.intValue, n >= 0 else {
                    throw SafetensorsError.malformed("tensor '\(name)' has a bad shape")
                }
                shape.append(n)
                let (p, o) = count.multipliedReportingOverflow(by: n)
                guard !o else { throw SafetensorsError.malformed("tensor '\(name)' shape overflows") }
                count = p
            }
            guard let b = (offsets[0] as? NSNumber)?.intValue, let e = (offsets[1] as? NSNumber)?.intValue,
                  b >= 0, e >= b, e <= bufferLength
            else { throw SafetensorsError.malformed("tensor '\(name)' offsets lie outside the data buffer") }
            let (bytesNeeded, o) = count.multipliedReportingOverflow(by: dtype.size)
            guard !o, bytesNeeded == e - b else {
                throw SafetensorsError.malformed("tensor '\(name)' holds \(e - b) bytes, its shape needs \(bytesNeeded)")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, begin: b, end: e)
        }
        self.entries = entries
        self.metadata = meta
    }

    public var tensorNames: [String] { entries.keys.sorted() }
    public func shape(of name: String) -> [Int]? { entries[name]?.shape }

    /// The stored bytes of a tensor.
    public func rawBytes(_ name: String) throws -> Data {
        guard let e = entries[name] else { throw TensorLookupError.missingTensor(name) }
        return bytes.subdata(in: (dataStart + e.begin)..<(dataStart + e.end))
    }

    private func withElements<T>(_ name: String, _ body: (Entry, UnsafeRawBufferPointer) throws -> T) throws -> T {
        guard let e = entries[name] else { throw TensorLookupError.missingTensor(name) }
        return try bytes.withUnsafeBytes { all in
            try body(e, UnsafeRawBufferPointer(rebasing: all[(dataStart + e.begin)..<(dataStart + e.end)]))
        }
    }

    /// Any float or integer tensor as float64 values.
    public func doubles(_ name: String) throws -> [Double] {
        try withElements(name) { e, raw in
            let n = raw.count / e.dtype.size
            var out = [Double](repeating: 0, count: n)
            for i in 0..<n {
                let off = i * e.dtype.size
                switch e.dtype {
                case .f64: out[i] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: off, as: UInt64.self)))
                case .f32: out[i] = Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: off, as: UInt32.self))))
                case .f16: out[i] = Double(HalfFloat.f16ToF32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: off, as: UInt16.self))))
                case .bf16: out[i] = Double(HalfFloat.bf16ToF32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: off, as: UInt16.self))))
                case .i32: out[i] = Double(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: off, as: Int32.self)))
                case .i64: out[i] = Double(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: off, as: Int64.self)))
                case .u8: out[i] = Double(raw[off])
                }
            }
            return out
        }
    }

    /// An integer tensor (i64, i32 or u8) as Int values.
    public func ints(_ name: String) throws -> [Int] {
        try withElements(name) { e, raw in
            let n = raw.count / e.dtype.size
            var out = [Int](repeating: 0, count: n)
            for i in 0..<n {
                let off = i * e.dtype.size
                switch e.dtype {
                case .i64: out[i] = Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: off, as: Int64.self)))
                case .i32: out[i] = Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: off, as: Int32.self)))
                case .u8: out[i] = Int(raw[off])
                default: throw TensorLookupError.unsupportedConversion(name: name, dtype: e.dtype.description)
                }
            }
            return out
        }
    }

    /// A u8 tensor as bytes.
    public func uint8s(_ name: String) throws -> [UInt8] {
        try withElements(name) { e, raw in
            guard e.dtype == .u8 else { throw TensorLookupError.unsupportedConversion(name: name, dtype: e.dtype.description) }
            return Array(raw)
        }
    }

    public func float32(_ name: String) throws -> Float32Tensor {
        guard let e = entries[name] else { throw TensorLookupError.missingTensor(name) }
        switch e.dtype {
        case .f32, .f16, .bf16, .f64:
            let values = try doubles(name).map { Float($0) }
            return Float32Tensor(shape: e.shape, values: values)
        default:
            throw TensorLookupError.unsupportedConversion(name: name, dtype: e.dtype.description)
        }
    }
}
