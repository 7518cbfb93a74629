import ModelZoo
import Synchronization

/// What a `titok_model *` points at: one opened model, shared by every thread that uses the handle.
final class ModelHandle: Sendable {
    let model: LoadedModel

    init(_ model: LoadedModel) { self.model = model }

    /// The model as a tokenizer; a generator handle is the wrong kind for `function`.
    func tokenizer(for function: String) throws -> ImageTokenizer {
        switch model {
        case .tokenizer(let t): return t
        case .generator(let g):
            throw ABIError.invalid("\(g.generatorInfo.variant) is a generator, not an image tokenizer; \(function) needs a tokenizer model")
        }
    }
}

/// The live handles. A `titok_model *` is only ever dereferenced after it is found here, so a
/// freed, foreign or double-freed pointer is an error instead of a crash, and a call in flight
/// keeps its model alive even if another thread frees the handle meanwhile.
enum LiveHandles {
    private static let table = Mutex<[UInt: ModelHandle]>([:])

    /// Registers a new handle and returns the opaque pointer the caller gets.
    static func register(_ handle: ModelHandle) -> UnsafeMutableRawPointer {
        let pointer = Unmanaged.passUnretained(handle).toOpaque()
        let key = UInt(bitPattern: pointer)
        table.withLock { $0[key] = handle }
        return pointer
    }

    /// The handle behind a caller's pointer.
    static func lookup(_ pointer: UnsafeRawPointer?) throws -> ModelHandle {
        guard let pointer else { throw ABIError.invalid("model is NULL") }
        let key = UInt(bitPattern: pointer)
        guard let handle = table.withLock({ $0[key] }) else {
            throw ABIError.invalid("model \(pointer) is not an open titok_model (already freed, or not from titok_model_open*)")
        }
        return handle
    }

    /// Forgets a handle; its memory goes once no call is using it. Unknown pointers are ignored.
    static func remove(_ pointer: UnsafeMutableRawPointer) {
        let key = UInt(bitPattern: pointer)
        let handle = table.withLock { $0.removeValue(forKey: key) }
        _ = handle  // released here, outside the lock, unless a call in flight still holds it
    }
}

/// Releases a model and everything the library allocated for it. NULL is a no-op.
@_cdecl("titok_model_free")
public func titok_model_free(_ model: UnsafeMutableRawPointer?) {
    guard let model else { return }
    LiveHandles.remove(model)
}
