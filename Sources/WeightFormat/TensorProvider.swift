/// Element types a weight file (or a safetensors file) can hold.
public enum DType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0, f16 = 1, bf16 = 2, i32 = 3, i64 = 4, u8 = 5, f64 = 6

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f32, .i32: return 4
        case .f16, .bf16: return 2
        case .i64, .f64: return 8
        case .u8: return 1
        }
    }

    public var description: String {
        switch self {
        case .f32: return "f32"
        case .f16: return "f16"
        case .bf16: return "bf16"
        case .i32: return "i32"
        case .i64: return "i64"
        case .u8: return "u8"
        case .f64: return "f64"
        }
    }

    /// Parses "f32", "F32", "float32", "BF16", ... (names used by this format and by safetensors).
    public init?(name: String) {
        switch name.lowercased() {
        case "f32", "float32": self = .f32
        case "f16", "float16", "half": self = .f16
        case "bf16", "bfloat16": self = .bf16
        case "i32", "int32": self = .i32
        case "i64", "int64": self = .i64
        case "u8", "uint8": self = .u8
        case "f64", "float64": self = .f64
        default: return nil
        }
    }
}

/// A float32 view of one tensor: points into a memory map (raw f32 weights, no copy)
/// or into a buffer owned by `owner` (converted or inflated tensors). Valid while it is alive.
public struct Float32Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let buffer: UnsafeBufferPointer<Float>
    /// Keeps the storage behind `buffer` alive.
    public let owner: AnyObject

    public init(shape: [Int], buffer: UnsafeBufferPointer<Float>, owner: AnyObject) {
        self.shape = shape
        self.buffer = buffer
        self.owner = owner
    }

    /// A tensor that owns a copy of `values`.
    public init(shape: [Int], values: [Float]) {
        let storage = FloatStorage(values)
        self.init(shape: shape, buffer: UnsafeBufferPointer(storage.pointer), owner: storage)
    }

    public var count: Int { buffer.count }
    public var baseAddress: UnsafePointer<Float> { buffer.baseAddress! }
}

/// Heap storage for floats with a stable address (64-byte aligned).
public final class FloatStorage: @unchecked Sendable {
    public let pointer: UnsafeMutableBufferPointer<Float>

    public init(count: Int) {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        let typed = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        typed.initialize(repeating: 0, count: max(count, 1))
        pointer = UnsafeMutableBufferPointer(start: typed, count: count)
    }

    /// `count` floats left uninitialised, for a caller that writes every one before any read.
    init(uninitializedCount count: Int) {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = UnsafeMutableBufferPointer(start: raw.bindMemory(to: Float.self, capacity: max(count, 1)), count: count)
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        _ = pointer.initialize(from: values)
    }

    deinit { UnsafeMutableRawPointer(pointer.baseAddress!).deallocate() }
}

/// Anything that hands out named tensors as float32: a `WeightFile`, a `SafetensorsFile`,
/// or an in-memory dictionary (random weights).
public protocol TensorProvider: AnyObject, Sendable {
    /// All tensor names, sorted.
    var tensorNames: [String] { get }
    /// Shape of a tensor (outer dimension first, as PyTorch), or nil when absent.
    func shape(of name: String) -> [Int]?
    /// The tensor converted to float32 (no copy when stored as raw f32).
    func float32(_ name: String) throws -> Float32Tensor
}

/// Errors shared by every `TensorProvider`.
public enum TensorLookupError: Error, CustomStringConvertible, Equatable {
    case missingTensor(String)
    case unsupportedConversion(name: String, dtype: String)

    public var description: String {
        switch self {
        case .missingTensor(let name): return "tensor '\(name)' is missing"
        case .unsupportedConversion(let name, let dtype):
            return "tensor '\(name)' has dtype \(dtype), which cannot be read as float32"
        }
    }
}

/// Named tensors held in memory (random-weight models, tests).
public final class InMemoryTensors: TensorProvider, @unchecked Sendable {
    public private(set) var tensors: [String: Float32Tensor] = [:]

    public init(_ tensors: [String: Float32Tensor] = [:]) { self.tensors = tensors }

    public func set(_ name: String, shape: [Int], values: [Float]) {
        tensors[name] = Float32Tensor(shape: shape, values: values)
    }

    /// Stores a tensor as given (no copy).
    public func setTensor(_ name: String, _ tensor: Float32Tensor) {
        tensors[name] = tensor
    }

    public var tensorNames: [String] { tensors.keys.sorted() }
    public func shape(of name: String) -> [Int]? { tensors[name]?.shape }
    public func float32(_ name: String) throws -> Float32Tensor {
        guard let t = tensors[name] else { throw TensorLookupError.missingTensor(name) }
        return t
    }
}
