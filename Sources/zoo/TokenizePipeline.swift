import Foundation
import ImageIO
import ModelZoo

/// One image decoded and preprocessed by a worker: its crops as planar float [crops, 3, R, R].
struct PreparedInput: @unchecked Sendable {
    let pixels: [Float]
    let crops: Int
}

/// Decodes and preprocesses images on `workers` threads, ahead of the model, and hands them out in
/// index order. At most `capacity` images are held ready or in flight, so memory stays bounded while
/// the model computes on the main thread.
final class PreparePipeline: @unchecked Sendable {
    typealias Work = @Sendable (Int) throws -> PreparedInput

    private let lock = NSCondition()
    private var ready: [Int: Result<PreparedInput, Error>] = [:]
    private var nextToClaim = 0
    private var nextToTake = 0
    private var cancelled = false
    private var running = 0
    private let total: Int
    private let capacity: Int
    private let work: Work
    /// Milliseconds the workers spent decoding and preprocessing, summed over workers.
    private(set) var busyMs: Double = 0

    init(total: Int, workers: Int, capacity: Int, work: @escaping Work) {
        self.total = total
        self.capacity = max(1, capacity)
        self.work = work
        running = max(1, workers)
        for _ in 0..<max(1, workers) {
            let t = Thread { [self] in self.workerLoop() }
            t.stackSize = 4 << 20
            t.start()
        }
    }

    private func workerLoop() {
        while true {
            lock.lock()
            while !cancelled && nextToClaim < total && nextToClaim - nextToTake >= capacity { lock.wait() }
            if cancelled || nextToClaim >= total {
                running -= 1
                lock.broadcast()
                lock.unlock()
                return
            }
            let index = nextToClaim
            nextToClaim += 1
            lock.unlock()
            let (result, ms): (Result<PreparedInput, Error>, Double) = Stopwatch.measureResult { try work(index) }
            lock.lock()
            ready[index] = result
            busyMs += ms
            lock.broadcast()
            lock.unlock()
        }
    }

    /// The result for image `index`; must be called with 0, 1, 2, ... in order.
    func take(_ index: Int) -> Result<PreparedInput, Error> {
        lock.lock()
        defer { lock.unlock() }
        while ready[index] == nil { lock.wait() }
        let r = ready.removeValue(forKey: index)!
        nextToTake = index + 1
        lock.broadcast()
        return r
    }

    /// Stops the workers (after their current image) and waits for them to exit.
    func finish() {
        lock.lock()
        cancelled = true
        lock.broadcast()
        while running > 0 { lock.wait() }
        lock.unlock()
    }

    /// Default worker count: half the cores (the model's compute threads use the rest), at least 1, at most 8.
    static func defaultWorkers(cores: Int) -> Int { max(1, min(8, cores / 2)) }
}

private extension Stopwatch {
    static func measureResult<T>(_ body: () throws -> T) -> (Result<T, Error>, Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        let r = Result { try body() }
        return (r, Double(DispatchTime.now().uptimeNanoseconds &- start) / 1e6)
    }
}
