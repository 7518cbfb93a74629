import Foundation
import Synchronization
import Kernels
import XCTest
@testable import TiTokVariants

/// Whole images per thread for a batch: each job's loops stay on its thread, results keep their order.
final class ImageBatchTests: XCTestCase {
    private func withThreads(_ n: Int, _ body: () throws -> Void) rethrows {
        let before = ComputeThreads.count
        defer { ComputeThreads.set(before) }
        ComputeThreads.set(n)
        try body()
    }

    func testIndependentJobsRunTheirLoopsOnTheirOwnThread() {
        withThreads(2) {
            XCTAssertFalse(Parallel.runsInOrderHere)
            let jobs = 6, inner = 64
            let ok = UnsafeMutablePointer<Int>.allocate(capacity: jobs * inner)
            defer { ok.deallocate() }
            ok.initialize(repeating: 0, count: jobs * inner)
            Parallel.independently(jobs) { j in
                let me = pthread_self()
                XCTAssertTrue(Parallel.runsInOrderHere)
                var order: [Int] = []
                Parallel.forEach(inner) { i in
                    order.append(i)  // in order, on this thread: no lock needed
                    ok[j * inner + i] = pthread_equal(pthread_self(), me) != 0 ? 1 : 0
                }
                XCTAssertEqual(order, Array(0..<inner))
            }
            XCTAssertFalse(Parallel.runsInOrderHere, "the mark must not outlive the jobs")
            XCTAssertEqual((0..<(jobs * inner)).reduce(0) { $0 + ok[$1] }, jobs * inner)
        }
    }

    func testMapRunsImagesOneAtATimeInOrderWithLeftovers() {
        // A stage that copies its image's two inputs and notes whether it ran as a whole-image job.
        for threads in [1, 2, 3] {
            withThreads(threads) {
                for batch in 1...7 {
                    let input = (0..<(batch * 2)).map { Float($0) }
                    let calls = Mutex<[(image: Int, count: Int, job: Bool)]>([])
                    let out = input.withUnsafeBufferPointer { p in
                        ImageBatch.map(batch: batch, input: p.baseAddress!, inputPerImage: 2, outputPerImage: 3) { x, count in
                            calls.withLock { $0.append((Int(x[0]) / 2, count, Parallel.runsInOrderHere)) }
                            return (0..<count).flatMap { b in [x[2 * b], x[2 * b + 1], Float(count)] }
                        }
                    }
                    for b in 0..<batch {
                        XCTAssertEqual(Array(out[(3 * b)..<(3 * b + 3)]), [Float(2 * b), Float(2 * b + 1), 1], "threads \(threads) batch \(batch) image \(b)")
                    }
                    let seen = calls.withLock { $0 }.sorted { $0.image < $1.image }
                    XCTAssertEqual(seen.map(\.image), Array(0..<batch), "threads \(threads) batch \(batch): one call per image")
                    XCTAssertTrue(seen.allSatisfy { $0.count == 1 })
                    // Whole-image jobs for the largest multiple of the thread count, the rest on all threads.
                    let together = threads > 1 && batch >= threads && batch > 1 ? batch / threads * threads : 0
                    XCTAssertEqual(seen.map(\.job), (0..<batch).map { $0 < together }, "threads \(threads) batch \(batch)")
                }
            }
        }
    }
}
