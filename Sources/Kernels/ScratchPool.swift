import Foundation

/// Scratch objects kept between calls, one per concurrent caller, so a model's large activation
/// buffers are not mapped and page-faulted in afresh on every call (at 256x256 the pixel decoder's
/// buffers alone are ~100 MB: tens of thousands of first-touch faults per image otherwise).
public final class ScratchPool<Item: AnyObject>: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [Item] = []
    private let limit: Int
    private let make: @Sendable () -> Item

    /// Keeps at most `limit` idle items; `make` creates one when none is idle.
    public init(limit: Int = 2, make: @escaping @Sendable () -> Item) {
        self.limit = max(0, limit)
        self.make = make
    }

    /// Runs `body` with an item no other caller holds meanwhile, then keeps it for the next call.
    public func with<T>(_ body: (Item) throws -> T) rethrows -> T {
        let item = lock.withLock { idle.popLast() } ?? make()
        defer { lock.withLock { if idle.count < limit { idle.append(item) } } }
        return try body(item)
    }

    /// Frees every idle item (held ones are kept by their callers until they finish).
    public func drain() { lock.withLock { idle.removeAll() } }

    /// Idle items now (for tests).
    public var idleCount: Int { lock.withLock { idle.count } }
}

/// Float scratch memory that grows on demand and is never shrunk (activations, Winograd tiles,
/// im2col columns), 64-byte aligned (`AlignedFloats`) so the kernels' 16-float rows each lie in one
/// cache line. Not thread-safe: one per caller thread, or pooled (`ScratchPool`).
public final class ScratchBuffer: @unchecked Sendable {
    private var storage: UnsafeMutablePointer<Float>?
    /// Floats currently held.
    public private(set) var capacity = 0

    public init() {}
    deinit { storage.map(AlignedFloats.free) }

    /// At least `count` floats, 64-byte aligned (contents undefined after growing).
    public func pointer(count: Int) -> UnsafeMutablePointer<Float> {
        if capacity < count || storage == nil {
            storage.map(AlignedFloats.free)
            storage = AlignedFloats.allocate(count)
            capacity = max(1, count)
        }
        return storage!
    }
}
