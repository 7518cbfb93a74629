import Dispatch
import Foundation

/// Parallel loops on the compute threads (`ComputeThreads.count`): the `WorkerPool`'s polling
/// threads, or Dispatch when the pool is busy. Deterministic because each index is computed by
/// exactly one thread with no shared reduction.
public enum Parallel {
    /// Runs `body(i)` for every i in 0..<n, split into contiguous blocks, one per worker
    /// (in order on the calling thread inside `independently`).
    public static func forEach(_ n: Int, _ body: (Int) -> Void) {
        guard n > 0 else { return }
        let workers = min(n, ComputeThreads.count)
        if workers <= 1 || SerialLoops.active {
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

    /// Runs `body(i)` for every i in 0..<n, each call whole on one compute thread, with every
    /// parallel loop inside it run in order on that thread: for independent jobs (the images of
    /// a batch), which then never wait for each other at a loop's end. The same results as
    /// running the calls one after another (every loop gives the same bits on any thread count).
    public static func independently(_ n: Int, _ body: (Int) -> Void) {
        forEach(n) { i in SerialLoops.run { body(i) } }
    }

    /// Whether parallel loops started on this thread now run in order on it (inside `independently`).
    public static var runsInOrderHere: Bool { SerialLoops.active }
}

/// A per-thread mark: set while a thread runs one job of `Parallel.independently`.
private enum SerialLoops {
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        precondition(pthread_key_create(&k, nil) == 0, "pthread_key_create failed")
        return k
    }()

    static var active: Bool { pthread_getspecific(key) != nil }

    static func run(_ body: () -> Void) {
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(key, previous) }
        body()
    }
}
