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

    func testMapKeepsTheImagesInOrderWithLeftovers() {
        // A stage that tags every output with its image's first input and the count it was given.
        for threads in [1, 2, 3] {
            withThreads(threads) {
                for batch in 1...7 {
                    let input = (0..<(batch * 2)).map { Float($0) }
                    let seen = Mutex<[Int]>([])
                    let out = input.withUnsafeBufferPointer { p in
                        ImageBatch.map(batch: batch, input: p.baseAddress!, inputPerImage: 2, outputPerImage: 3) { x, count in
                            seen.withLock { $0.append(count) }
                            return (0..<count).flatMap { b in [x[2 * b], x[2 * b + 1], Float(count)] }
                        }
                    }
                    let split = threads > 1 && batch >= threads
                    for b in 0..<batch {
                        XCTAssertEqual(Array(out[(3 * b)..<(3 * b + 2)]), [Float(2 * b), Float(2 * b + 1)], "threads \(threads) batch \(batch) image \(b)")
                        XCTAssertEqual(out[3 * b + 2], split ? 1 : Float(batch), "threads \(threads) batch \(batch) image \(b)")
                    }
                    XCTAssertEqual(seen.withLock { $0.count }, split ? batch : 1)
                }
            }
        }
    }
}
