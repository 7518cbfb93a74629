import Foundation
import XCTest
import WeightFormat
@testable import TiTokVariants

/// One model shared by concurrent calls (including the very first, which plans the pixel decoder's
/// Winograd filters) gives each caller exactly what a lone call gives.
final class ConcurrencyTests: XCTestCase {
    func testConcurrentCallsOnOneModelMatchSequentialCalls() throws {
        let f = try TiTokFixture("tiny_legacy_vq_r128_t64")
        let tokens = try f.expected.ints("tokens_given").map { Int32($0) }
        let pixels = try f.pixels()
        let lone = try f.model()
        let wantPixels = try tokens.withUnsafeBufferPointer { try lone.decode(tokens: $0, batch: f.batch) }
        let wantTokens = try pixels.withUnsafeBufferPointer { try lone.encode(pixels: $0, batch: f.batch) }.tokens

        let shared = try f.model()  // fresh: nothing planned yet
        let calls = 6
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var decoded = [Int: [Float]](), encoded = [Int: [Int32]]()
        }
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: calls) { i in
            if i % 2 == 0 {
                let out = try? tokens.withUnsafeBufferPointer { try shared.decode(tokens: $0, batch: f.batch) }
                results.lock.withLock { results.decoded[i] = out }
            } else {
                let out = try? pixels.withUnsafeBufferPointer { try shared.encode(pixels: $0, batch: f.batch) }.tokens
                results.lock.withLock { results.encoded[i] = out }
            }
        }
        for i in 0..<calls {
            if i % 2 == 0 {
                XCTAssertEqual(results.decoded[i], wantPixels, "concurrent decode \(i)")
            } else {
                XCTAssertEqual(results.encoded[i], wantTokens, "concurrent encode \(i)")
            }
        }
    }
}
