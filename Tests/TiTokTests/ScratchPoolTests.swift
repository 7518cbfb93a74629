import Dispatch
import Testing
@testable import Kernels

/// ScratchPool hands an item to one caller at a time, reuses idle ones and keeps at most `limit`.
struct ScratchPoolTests {
    final class Item: @unchecked Sendable { var uses = 0 }

    @Test func reusesTheIdleItem() {
        let pool = ScratchPool<Item>(limit: 2) { Item() }
        let first = pool.with { item -> ObjectIdentifier in item.uses += 1; return ObjectIdentifier(item) }
        let second = pool.with { item -> ObjectIdentifier in item.uses += 1; return ObjectIdentifier(item) }
        #expect(first == second)
        #expect(pool.idleCount == 1)
        pool.drain()
        #expect(pool.idleCount == 0)
    }

    @Test func concurrentCallersNeverShareAnItemAndIdleItemsAreBounded() {
        let pool = ScratchPool<Item>(limit: 2) { Item() }
        final class Busy: @unchecked Sendable {
            let lock = NSLockLike()
            var held = Set<ObjectIdentifier>()
            var clash = false
        }
        let busy = Busy()
        DispatchQueue.concurrentPerform(iterations: 64) { _ in
            pool.with { item in
                let id = ObjectIdentifier(item)
                busy.lock.run { if !busy.held.insert(id).inserted { busy.clash = true } }
                for _ in 0..<1000 { item.uses &+= 1 }
                busy.lock.run { busy.held.remove(id) }
            }
        }
        #expect(!busy.clash)
        #expect(pool.idleCount <= 2)
    }

    @Test func scratchBufferGrowsAndKeepsItsCapacity() {
        let b = ScratchBuffer()
        let p = b.pointer(count: 10)
        #expect(b.capacity == 10)
        #expect(b.pointer(count: 5) == p)
        _ = b.pointer(count: 100)
        #expect(b.capacity == 100)
    }

    /// Scratch and activation memory starts on a cache line (the kernels' strip rows then lie in
    /// one line each), at every size, including sizes glibc serves with mmap (16 bytes off a page).
    @Test func scratchAndAlignedFloatsStartOnACacheLine() {
        for count in [1, 3, 1000, 300_000, 5_000_000] {
            let b = ScratchBuffer()
            #expect(Int(bitPattern: b.pointer(count: count)) % 64 == 0, "scratch \(count)")
            let p = AlignedFloats.allocate(count)
            #expect(Int(bitPattern: p) % 64 == 0)
            p.update(repeating: 1, count: count)
            AlignedFloats.free(p)
        }
    }

    /// Blocks from the huge-page threshold on start on a 2 MiB boundary (so the advised range
    /// holds whole huge pages) and are fully usable to their last float, odd sizes included.
    @Test func largeAllocationsStartOnAHugePageBoundary() {
        let threshold = AlignedFloats.hugePageThreshold / 4
        for count in [threshold - 16, threshold, threshold + 3, 3 * threshold + 1] {
            let p = AlignedFloats.allocate(count)
            if count >= threshold { #expect(Int(bitPattern: p) % (2 << 20) == 0, "\(count) floats") }
            #expect(Int(bitPattern: p) % 64 == 0)
            p.update(repeating: 2, count: count)
            p[count - 1] = 3
            #expect(p[0] == 2 && p[count - 1] == 3)
            AlignedFloats.free(p)
        }
    }
}

/// A minimal lock for the test's bookkeeping.
final class NSLockLike: @unchecked Sendable {
    private let queue = DispatchQueue(label: "scratch-pool-test")
    func run(_ body: () -> Void) { queue.sync(execute: body) }
}
