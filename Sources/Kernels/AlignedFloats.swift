#if canImport(Glibc)
import Glibc
#endif

/// Float memory aligned to a cache line (64 bytes), so the kernels' 16-float rows and strips each
/// lie in one line: operands 16 bytes off a line measured up to 2-3x slower products on Zen 3.
/// Large blocks (activations, Winograd filters and scratch) are asked to be backed by 2 MiB pages.
public enum AlignedFloats {
    /// Bytes every allocation is aligned to.
    public static let alignment = 64

    /// Allocations of at least this many bytes start on a 2 MiB boundary and are marked
    /// MADV_HUGEPAGE (Linux's transparent huge pages in "madvise" mode, the usual default): the
    /// Winograd transforms jump a channel plane per call and the products stream large filters,
    /// so 4 KiB pages cost TLB misses (S-128 decode 3-4 % faster, same peak memory).
    public static let hugePageThreshold = 4 << 20
    static let hugePage = 2 << 20

    /// Uninitialized memory for max(1, count) floats; release it with `free`.
    public static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let n = max(1, count)
        let bytes = n * MemoryLayout<Float>.stride
        guard bytes >= hugePageThreshold else {
            return UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: alignment).bindMemory(to: Float.self, capacity: n)
        }
        let p = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: hugePage)
        #if os(Linux)
        // Advice only: where the kernel has no huge pages the memory stays in 4 KiB pages.
        _ = madvise(p, bytes / hugePage * hugePage, MADV_HUGEPAGE)
        #endif
        return p.bindMemory(to: Float.self, capacity: n)
    }

    /// Releases memory from `allocate`.
    public static func free(_ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).deallocate() }
}
