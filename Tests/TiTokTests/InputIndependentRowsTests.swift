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
        let stack = try Self.fixtureStack(), width = stack.width, t = 23
        var values = WinogradTests.Values(state: 0x9E37_79B9_7F4A_7C15)
        func value() -> Float { values.next() * 2 }
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
                Self.assertSameRows(got, want, "rows \(range), batch \(batch)")
                XCTAssertNotEqual(got, x, "the stack ran")
            }
            let first = constant.queryKeyValue(of: stack)
            XCTAssertEqual(first.count, range.count * 3 * width)
            XCTAssertEqual(constant.queryKeyValue(of: stack), first)
        }
    }

    /// A stack asked to keep some rows of each sequence (the last ones, as the encoder keeps its
    /// latent tokens; inner ones, as the decoder keeps its patch rows) gives those rows of the
    /// full stack, compacted: bit for bit on our kernels (each element summed in the same order
    /// whatever the row count), to rounding on OpenBLAS.
    func testStackKeepingRowsMatchesFullStackRows() throws {
        let stack = try Self.fixtureStack(), width = stack.width, t = 23
        var values = WinogradTests.Values(state: 0x2545_F491_4F6C_DD1D)
        func value() -> Float { values.next() * 2 }
        for keep in [15..<23, 1..<17, 0..<1, 0..<23] {
            for batch in [1, 2] {
                let x = (0..<(batch * t * width)).map { _ in value() }
                var full = x, kept = x
                full.withUnsafeMutableBufferPointer { stack.forward($0.baseAddress!, batch: batch, tokens: t) }
                kept.withUnsafeMutableBufferPointer { stack.forward($0.baseAddress!, batch: batch, tokens: t, keep: keep) }
                var want: [Float] = []
                for b in 0..<batch { want += full[(b * t + keep.lowerBound) * width..<(b * t + keep.upperBound) * width] }
                let got = Array(kept[0..<(batch * keep.count * width)])
                Self.assertSameRows(got, want, "keep \(keep), batch \(batch)")
            }
        }
    }

    /// The decoder stack of the tiny legacy fixture.
    private static func fixtureStack() throws -> TransformerStack {
        let f = try TiTokFixture("tiny_legacy_vq_r64_t32")
        return try TransformerStack(CheckedWeights(f.weights, config: f.config), prefix: "decoder", size: f.config.decoder)
    }

    /// Bit for bit on our kernels; to rounding on OpenBLAS, which sums a row differently with
    /// the row count of the product.
    private static func assertSameRows(_ got: [Float], _ want: [Float], _ what: String, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, what, line: line)
        if VectorGEMM.isEnabled {
            let differing = zip(got, want).filter { $0.bitPattern != $1.bitPattern }.count
            XCTAssertEqual(differing, 0, "\(what): \(differing) of \(got.count) values differ", line: line)
        } else {
            let worst = zip(got, want).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1e-5, what, line: line)
        }
    }
}
