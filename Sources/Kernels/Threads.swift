import CBLAS
import Foundation

/// Compute thread control shared by OpenBLAS and the library's own parallel loops.
public enum ComputeThreads {
    nonisolated(unsafe) private static var configured = 0

    /// Cores available to this process.
    public static var available: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Threads in use (after `set`), or all cores. Every kernel asks this before its first
    /// sgemm, so it is also where the OpenBLAS kernel set gets chosen (`BLASCore`).
    public static var count: Int {
        BLASCore.ensureSelected()
        return configured > 0 ? configured : available
    }

    /// Sets the thread count of the parallel loops (OpenBLAS itself stays single-threaded:
    /// `BLASCore`); 0 means all cores.
    public static func set(_ n: Int) {
        BLASCore.ensureSelected()
        let t = n > 0 ? n : available
        configured = t
    }
}
