import CKernels
import Foundation
import XCTest
@testable import Kernels

/// The small runtime's building blocks (LayerNorm, attention, direct convolutions, upsampling,
/// activations, linear, parallel-for) against naive Double references.
final class KernelsTests: XCTestCase {
    typealias Values = WinogradTests.Values

    func testLayerNormMatchesReferenceWithStridesAndInPlace() {
        let rows = 5, width = 37, ld = 41
        var rng = Values(state: 11)
        let x = rng.array(rows * ld, scale: 3, offset: 0.5), weight = rng.array(width), bias = rng.array(width)
        let eps: Float = 1e-5
        var ref = [Double](repeating: 0, count: rows * width)
        for r in 0..<rows {
            let row = (0..<width).map { Double(x[r * ld + $0]) }
            let mean = row.reduce(0, +) / Double(width)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width)
            for j in 0..<width {
                ref[r * width + j] = (row[j] - mean) / (variance + Double(eps)).squareRoot() * Double(weight[j]) + Double(bias[j])
            }
        }
        var packed = [Float](repeating: .nan, count: rows * width)
        var inPlace = x
        x.withUnsafeBufferPointer { xb in
            packed.withUnsafeMutableBufferPointer { yb in
                LayerNorm.apply(xb.baseAddress!, rows: rows, width: width, weight: weight, bias: bias, eps: eps,
                                into: yb.baseAddress!, ldx: ld)
            }
        }
        inPlace.withUnsafeMutableBufferPointer { p in
            LayerNorm.apply(p.baseAddress!, rows: rows, width: width, weight: weight, bias: bias, eps: eps,
                            into: p.baseAddress!, ldx: ld, ldy: ld)
        }
        for r in 0..<rows {
            for j in 0..<width {
                XCTAssertEqual(Double(packed[r * width + j]), ref[r * width + j], accuracy: 2e-5)
                XCTAssertEqual(inPlace[r * ld + j], packed[r * width + j])
            }
            // Padding columns of the strided buffer are left alone.
            for j in width..<ld { XCTAssertEqual(inPlace[r * ld + j], x[r * ld + j]) }
        }
    }

    /// Naive multi-head attention in Double over [batch * T, 3W] fused QKV.
    static func naiveAttention(_ qkv: [Float], batch: Int, t: Int, w: Int, heads: Int) -> [Double] {
        let d = w / heads, ld = 3 * w
        var out = [Double](repeating: 0, count: batch * t * w)
        for b in 0..<batch {
            for h in 0..<heads {
                for i in 0..<t {
                    var scores = [Double](repeating: 0, count: t)
                    for j in 0..<t {
                        var s = 0.0
                        for l in 0..<d { s += Double(qkv[(b * t + i) * ld + h * d + l]) * Double(qkv[(b * t + j) * ld + w + h * d + l]) }
                        scores[j] = s / Double(d).squareRoot()
                    }
                    let top = scores.max()!
                    let e = scores.map { exp($0 - top) }, total = e.reduce(0, +)
                    for l in 0..<d {
                        var s = 0.0
                        for j in 0..<t { s += e[j] / total * Double(qkv[(b * t + j) * ld + 2 * w + h * d + l]) }
                        out[(b * t + i) * w + h * d + l] = s
                    }
                }
            }
        }
        return out
    }

    func testSelfAttentionMatchesNaiveBatchedAndQueryRanges() {
        let batch = 2, t = 9, w = 12, heads = 3
        var rng = Values(state: 5)
        let qkv = rng.array(batch * t * 3 * w, scale: 2)
        let ref = Self.naiveAttention(qkv, batch: batch, t: t, w: w, heads: heads)
        var out = [Float](repeating: .nan, count: batch * t * w)
        out.withUnsafeMutableBufferPointer {
            Attention.selfAttention(qkv: qkv, batch: batch, tokens: t, width: w, heads: heads, into: $0.baseAddress!)
        }
        for i in ref.indices { XCTAssertEqual(Double(out[i]), ref[i], accuracy: 1e-5) }
        // Only some positions (the last ones, as the encoder keeps; inner ones, as the decoder
        // keeps): the same values as the full computation's rows there.
        for queries in [(t - 4)..<t, 1..<(t - 2), 0..<1] {
            let q = queries.count
            var part = [Float](repeating: .nan, count: batch * q * w)
            part.withUnsafeMutableBufferPointer {
                Attention.selfAttention(qkv: qkv, batch: batch, tokens: t, width: w, heads: heads, into: $0.baseAddress!,
                                        queries: queries)
            }
            for b in 0..<batch {
                for i in 0..<q {
                    for c in 0..<w {
                        XCTAssertEqual(Double(part[(b * q + i) * w + c]), ref[(b * t + queries.lowerBound + i) * w + c],
                                       accuracy: 1e-5, "queries \(queries)")
                    }
                }
            }
        }
    }

    /// Head widths of the released models (64) and wider than one 64-column output block (80),
    /// sequence lengths that fill neither the 6-row output tiles nor the 16-lane vectors.
    func testSelfAttentionWideHeadsMatchNaive() {
        for (t, w, heads) in [(37, 128, 2), (37, 160, 2), (70, 64, 1)] {
            var rng = Values(state: UInt64(t * w))
            let qkv = rng.array(t * 3 * w, scale: 1.5)
            let ref = Self.naiveAttention(qkv, batch: 1, t: t, w: w, heads: heads)
            var out = [Float](repeating: .nan, count: t * w)
            out.withUnsafeMutableBufferPointer {
                Attention.selfAttention(qkv: qkv, batch: 1, tokens: t, width: w, heads: heads, into: $0.baseAddress!)
            }
            for i in ref.indices { XCTAssertEqual(Double(out[i]), ref[i], accuracy: 1e-5, "t \(t) w \(w) heads \(heads) at \(i)") }
            let q = 5
            var last = [Float](repeating: .nan, count: q * w)
            last.withUnsafeMutableBufferPointer {
                Attention.selfAttention(qkv: qkv, batch: 1, tokens: t, width: w, heads: heads, into: $0.baseAddress!,
                                        queries: (t - q)..<t)
            }
            let tail = Array(out[((t - q) * w)...])
            if VectorGEMM.isEnabled {
                // Our kernel sums each element in a fixed order: the same bits whatever the row count.
                XCTAssertEqual(last, tail, "t \(t) w \(w): last rows alone")
            } else {
                for i in tail.indices { XCTAssertEqual(last[i], tail[i], accuracy: 1e-6, "t \(t) w \(w): last rows alone at \(i)") }
            }
        }
    }

    func testDirectConvolution3x3And1x1() {
        let c = 4, k = 6, h = 5, w = 7
        var rng = Values(state: 23)
        let x = rng.array(c * h * w), w3 = rng.array(k * c * 9, scale: 0.4), w1 = rng.array(k * c), bias = rng.array(k)
        let prior = rng.array(k * h * w)
        let ref3 = WinogradTests.directConv(x, batch: 1, c: c, k: k, height: h, width: w, upsample: false,
                                            weight: w3, bias: bias, residual: prior)
        var out3 = prior
        out3.withUnsafeMutableBufferPointer {
            Convolution.conv2d(x, channels: c, height: h, width: w, weight: w3, bias: bias, outChannels: k, kernel: 3,
                               into: $0.baseAddress!, accumulate: true)
        }
        for i in ref3.indices { XCTAssertEqual(Double(out3[i]), ref3[i], accuracy: 1e-5) }

        var out1 = [Float](repeating: .nan, count: k * h * w)
        out1.withUnsafeMutableBufferPointer {
            Convolution.conv2d(x, channels: c, height: h, width: w, weight: w1, bias: bias, outChannels: k, kernel: 1,
                               into: $0.baseAddress!)
        }
        for o in 0..<k {
            for p in 0..<(h * w) {
                var s = Double(bias[o])
                for ci in 0..<c { s += Double(w1[o * c + ci]) * Double(x[ci * h * w + p]) }
                XCTAssertEqual(Double(out1[o * h * w + p]), s, accuracy: 1e-5)
            }
        }
    }

    func testNearestUpsampling() {
        let c = 3, h = 2, w = 3
        let x = (0..<(c * h * w)).map { Float($0) }
        var out = [Float](repeating: .nan, count: 4 * c * h * w)
        out.withUnsafeMutableBufferPointer { Convolution.upsampleNearest2x(x, channels: c, height: h, width: w, into: $0.baseAddress!) }
        for ci in 0..<c {
            for y in 0..<(2 * h) {
                for xx in 0..<(2 * w) {
                    XCTAssertEqual(out[(ci * 2 * h + y) * 2 * w + xx], x[(ci * h + y / 2) * w + xx / 2])
                }
            }
        }
    }

    /// tanh over a dense grid, both sides of the 0.625 switch, huge values, infinities and NaN.
    func testTanhKernelIsWithinThreeTenthsOfAMillionth() {
        var x = stride(from: -12.0, through: 12.0, by: 0.001).map { Float($0) }
        x += [0, -0.0, 0.625, -0.625, 0.62499994, 1e-30, -1e-30, 1e-8, 1e30, -1e30, .infinity, -.infinity]
        var t = x
        t.withUnsafeMutableBufferPointer { Activations.tanh($0.baseAddress!, count: $0.count) }
        for (v, got) in zip(x, t) {
            XCTAssertEqual(Double(got), Foundation.tanh(Double(v)), accuracy: 3e-7, "tanh(\(v))")
        }
        var zeros: [Float] = [-0.0, 0.0]
        Activations.tanh(&zeros, count: 2)
        XCTAssertEqual(zeros.map(\.sign), [.minus, .plus])
        var nan: [Float] = [.nan]
        Activations.tanh(&nan, count: 1)
        XCTAssertTrue(nan[0].isNaN)
    }

    func testTanhAndSiLUIncludingTail() {
        var rng = Values(state: 3)
        let x = rng.array(21, scale: 12)  // 21: two 8-lane groups and a tail
        var t = x, s = x
        t.withUnsafeMutableBufferPointer { Activations.tanh($0.baseAddress!, count: $0.count) }
        s.withUnsafeMutableBufferPointer { Activations.silu($0.baseAddress!, count: $0.count) }
        for i in x.indices {
            let v = Double(x[i])
            XCTAssertEqual(Double(t[i]), Foundation.tanh(v), accuracy: 1e-6)
            XCTAssertEqual(Double(s[i]), v / (1 + exp(-v)), accuracy: 1e-5 * max(1, abs(v)))
        }
    }

    func testSmallLinearWithBiasAndRowStride() {
        let m = 3, k = 5, n = 4, ldx = 7
        var rng = Values(state: 17)
        let x = rng.array(m * ldx), w = rng.array(n * k), bias = rng.array(n)
        var y = [Float](repeating: .nan, count: m * n)
        y.withUnsafeMutableBufferPointer {
            Dense.linear(x, rows: m, inFeatures: k, weight: w, bias: bias, outFeatures: n, into: $0.baseAddress!, ldx: ldx)
        }
        for r in 0..<m {
            for j in 0..<n {
                var s = Double(bias[j])
                for l in 0..<k { s += Double(x[r * ldx + l]) * Double(w[j * k + l]) }
                XCTAssertEqual(Double(y[r * n + j]), s, accuracy: 1e-5)
            }
        }
    }

    func testParallelForEachVisitsEveryIndexOnce() {
        for n in [0, 1, 3, 1000] {
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: max(n, 1))
            defer { counts.deallocate() }
            counts.initialize(repeating: 0, count: max(n, 1))
            nonisolated(unsafe) let slots = counts
            Parallel.forEach(n) { i in slots[i] += 1 }  // distinct indices: no two workers share a slot
            for i in 0..<n { XCTAssertEqual(counts[i], 1, "n \(n) index \(i)") }
        }
    }

    /// The work ranges behind the pool's loops: a participant takes its own range in order, then
    /// the back half of another's remaining range; drained by one participant or by four at once
    /// (some slowed down, so the others take over their items), every item is given out once.
    func testWorkRangesGiveEveryItemOnce() {
        var ranges = [UInt64](repeating: 0, count: 3)
        ck_work_ranges_init(&ranges, 3, 10)  // [0, 3), [3, 6), [6, 10)
        var order: [Int32] = []
        while true {
            let i = ck_work_ranges_claim(&ranges, 3, 1)
            if i < 0 { break }
            order.append(i)
        }
        // Its own 3..<6 in order; then the back half of participant 2's 6..<10 (8, 9), of what it
        // has left (7), its last (6); then participant 0's back half (1, 2) and last (0).
        XCTAssertEqual(order, [3, 4, 5, 8, 9, 7, 6, 1, 2, 0])
        XCTAssertEqual(ck_work_ranges_claim(&ranges, 3, 0), -1)

        for count in [0, 1, 2, 5, 97, 1000] {
            for round in 0..<20 {
                let parts = 4
                let words = UnsafeMutablePointer<UInt64>.allocate(capacity: parts)
                let counts = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
                defer { words.deallocate(); counts.deallocate() }
                counts.initialize(repeating: 0, count: max(count, 1))
                ck_work_ranges_init(words, Int32(parts), Int32(count))
                nonisolated(unsafe) let (w, slots) = (words, counts)
                DispatchQueue.concurrentPerform(iterations: parts) { me in
                    while true {
                        let i = Int(ck_work_ranges_claim(w, Int32(parts), Int32(me)))
                        if i < 0 { break }
                        slots[i] += 1  // distinct items: no two participants share a slot
                        if me == round % parts { usleep(20) }  // one slow participant per round
                    }
                }
                for i in 0..<count { XCTAssertEqual(counts[i], 1, "count \(count) round \(round) item \(i)") }
            }
        }
    }

    /// Loops started from several threads at once, each with loops nested inside its items (the
    /// pool runs one loop, the others go to Dispatch): every index still runs exactly once.
    func testConcurrentAndNestedParallelLoops() {
        ComputeThreads.set(2)
        defer { ComputeThreads.set(0) }
        let outer = 6, inner = 50
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 4 * outer * inner)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0, count: 4 * outer * inner)
        nonisolated(unsafe) let slots = counts
        DispatchQueue.concurrentPerform(iterations: 4) { caller in
            for _ in 0..<20 {
                Parallel.forEach(outer) { o in
                    Parallel.forEach(inner) { i in slots[(caller * outer + o) * inner + i] += 1 }
                }
            }
        }
        for i in 0..<(4 * outer * inner) { XCTAssertEqual(counts[i], 20, "slot \(i)") }
    }
}
