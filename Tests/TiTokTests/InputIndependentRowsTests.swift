import XCTest
import Kernels
import WeightFormat
@testable import TiTokVariants

/// Rows that enter a stack the same for every input get layer 0's Q/K/V from a cache.
final class InputIndependentRowsTests: XCTestCase {
    /// A stack given its constant rows (as a prefix, as the decoder has them, or a suffix, as
    /// the encoder) gives the bits of the stack that recomputes them, for batch 1 and 2, and the
    /// cached Q/K/V is made once. OpenBLAS sums a row differently with the row count of the product,
    /// so there the two agree to rounding only.
    func testStackWithConstantRowsMatchesFullRecomputation() throws {
        let f = try TiTokFixture("tiny_legacy_vq_r64_t32")
        let w = try CheckedWeights(f.weights, config: f.config)
        let stack = try TransformerStack(w, prefix: "decoder", size: f.config.decoder)
        let width = stack.width, t = 23
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func value() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 500
        }
        for range in [0..<17, 15..<23, 4..<9] {
            let fixed = (0..<(range.count * width)).map { _ in value() }
            let constant = InputIndependentRows(range: range, values: fixed)
            for batch in [1, 2] {
                var x = (0..<(batch * t * width)).map { _ in value() }
                for b in 0..<batch {
                    x.replaceSubrange((b * t + range.lowerBound) * width..<(b * t + range.upperBound) * width, with: fixed)
                }
                var want = x, got = x
                want.withUnsafeMutableBufferPointer { stack.forward($0.baseAddress!, batch: batch, tokens: t) }
                got.withUnsafeMutableBufferPointer { stack.forward($0.baseAddress!, batch: batch, tokens: t, constant: constant) }
                if VectorGEMM.isEnabled {
                    let differing = zip(got, want).filter { $0.bitPattern != $1.bitPattern }.count
                    XCTAssertEqual(differing, 0, "rows \(range), batch \(batch): \(differing) of \(got.count) values differ")
                } else {
                    let worst = zip(got, want).map { abs($0 - $1) }.max() ?? 0
                    XCTAssertLessThanOrEqual(worst, 1e-5, "rows \(range), batch \(batch)")
                }
                XCTAssertNotEqual(got, x, "the stack ran")
            }
            let first = constant.queryKeyValue(of: stack)
            XCTAssertEqual(first.count, range.count * 3 * width)
            XCTAssertEqual(constant.queryKeyValue(of: stack), first)
        }
    }
}
