import Dispatch

/// Parallel loops on the compute threads (`ComputeThreads.count`): the `WorkerPool`'s polling
/// threads, or Dispatch when the pool is busy. Deterministic because each index is computed by
/// exactly one thread with no shared reduction.
public enum Parallel {
    /// Runs `body(i)` for every i in 0..<n, split into contiguous blocks, one per worker.
    public static func forEach(_ n: Int, _ body: (Int) -> Void) {
        guard n > 0 else { return }
        let workers = min(n, ComputeThreads.count)
        if workers <= 1 {
            for i in 0..<n { body(i) }
            return
        }
        // Each index is claimed by one thread; which thread does not change any result.
        if WorkerPool.shared.run(n, helpers: workers - 1, body) { return }
        withoutActuallyEscaping(body) { escapable in
            nonisolated(unsafe) let run = escapable
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let lo = n * w / workers, hi = n * (w + 1) / workers
                for i in lo..<hi { run(i) }
            }
        }
    }
}
