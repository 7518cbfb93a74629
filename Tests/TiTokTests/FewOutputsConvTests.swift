import CKernels
import XCTest
@testable import Kernels

/// The direct 3x3 conv for a few output channels (`ck_conv3x3_few_outputs_isa`, the pixel decoder's
/// final conv) against the Double reference, its three CPU paths bit for bit, row ranges, bad
/// shapes, and the planned conv that routes to it.
final class FewOutputsConvTests: XCTestCase {
    typealias Values = WinogradTests.Values

    /// Runs one path over rows `rows` of image 0 into a copy of `start`.
    private func run(isa: Int32, _ x: [Float], c: Int, k: Int, height: Int, width: Int, weight: [Float], bias: [Float]?,
                     residual: [Float]?, aliasResidual: Bool = false, rows: Range<Int>? = nil, start: [Float]) -> (Int32, [Float]) {
        var out = start
        let rows = rows ?? 0..<height
        var path: Int32 = -2
        out.withUnsafeMutableBufferPointer { o in
            let res: UnsafePointer<Float>? = aliasResidual ? UnsafePointer(o.baseAddress!) : nil
            func go(_ r: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?) {
                path = ck_conv3x3_few_outputs_isa(isa, x, Int32(c), Int32(height), Int32(width), weight, Int32(k), b, r,
                                                  o.baseAddress!, Int32(rows.lowerBound), Int32(rows.upperBound))
            }
            if let residual, !aliasResidual {
                residual.withUnsafeBufferPointer { r in
                    if let bias { bias.withUnsafeBufferPointer { go(r.baseAddress, $0.baseAddress) } } else { go(r.baseAddress, nil) }
                }
            } else if let bias {
                bias.withUnsafeBufferPointer { go(res, $0.baseAddress) }
            } else {
                go(res, nil)
            }
        }
        return (path, out)
    }

    func testMatchesDirectDoubleAndEveryPathGivesTheSameBits() {
        // (c, k, height, width): widths around the 16- and 64-column blocks, one-pixel images.
        let shapes = [(7, 1, 5, 1), (7, 3, 4, 17), (3, 4, 6, 70), (5, 2, 1, 64), (9, 3, 7, 65), (16, 3, 3, 128), (1, 4, 2, 2)]
        for (c, k, h, w) in shapes {
            for variant in 0..<3 { // no bias or residual; bias and a separate residual; bias and the residual aliased
                var rng = Values(state: UInt64(1 + c * 7 + k * 31 + h * 131 + w * 1031 + variant))
                let x = rng.array(c * h * w), weight = rng.array(k * c * 9, scale: 0.3)
                let bias = variant == 0 ? nil : rng.array(k)
                let residual = variant == 0 ? nil : rng.array(k * h * w)
                let start = variant == 2 ? residual! : [Float](repeating: .nan, count: k * h * w)
                let ref = WinogradTests.directConv(x, batch: 1, c: c, k: k, height: h, width: w, upsample: false,
                                                   weight: weight, bias: bias, residual: residual)
                var outputs: [[Float]] = []
                for isa: Int32 in [2, 1, 0] {
                    let (path, out) = run(isa: isa, x, c: c, k: k, height: h, width: w, weight: weight, bias: bias,
                                          residual: variant == 1 ? residual : nil, aliasResidual: variant == 2, start: start)
                    XCTAssertTrue((0...isa).contains(path), "path \(path) for isa \(isa)")
                    var worst = 0.0
                    for i in ref.indices { worst = max(worst, abs(Double(out[i]) - ref[i])) }
                    XCTAssertLessThan(worst, 1e-5, "c \(c) k \(k) \(h)x\(w) variant \(variant) isa \(isa)")
                    outputs.append(out)
                }
                let bits = outputs.map { $0.map(\.bitPattern) }
                XCTAssertEqual(bits[0], bits[1], "AVX-512 and AVX2 paths differ: c \(c) k \(k) \(h)x\(w) variant \(variant)")
                XCTAssertEqual(bits[1], bits[2], "AVX2 and scalar paths differ: c \(c) k \(k) \(h)x\(w) variant \(variant)")
            }
        }
    }

    /// Rows computed in two ranges give the bits of one call; rows outside a range are untouched;
    /// a bad shape writes nothing and says so.
    func testRowRangesAndBadShapes() {
        let c = 6, k = 3, h = 9, w = 33
        var rng = Values(state: 99)
        let x = rng.array(c * h * w), weight = rng.array(k * c * 9, scale: 0.3), bias = rng.array(k)
        let start = [Float](repeating: 7, count: k * h * w)
        let whole = run(isa: 2, x, c: c, k: k, height: h, width: w, weight: weight, bias: bias, residual: nil, start: start).1
        let top = run(isa: 2, x, c: c, k: k, height: h, width: w, weight: weight, bias: bias, residual: nil, rows: 0..<4, start: start).1
        for ko in 0..<k {
            for y in 0..<h {
                for xo in 0..<w {
                    let i = (ko * h + y) * w + xo
                    XCTAssertEqual(top[i].bitPattern, y < 4 ? whole[i].bitPattern : Float(7).bitPattern, "k \(ko) y \(y) x \(xo)")
                }
            }
        }
        let both = run(isa: 2, x, c: c, k: k, height: h, width: w, weight: weight, bias: bias, residual: nil, rows: 4..<h, start: top).1
        XCTAssertEqual(both.map(\.bitPattern), whole.map(\.bitPattern))
        let tooMany = Int(CK_FEW_OUTPUTS) + 1
        var out = [Float](repeating: 7, count: tooMany * h * w)
        let wide = rng.array(tooMany * c * 9)
        XCTAssertEqual(ck_conv3x3_few_outputs_isa(2, x, Int32(c), Int32(h), Int32(w), wide, Int32(tooMany), nil, nil, &out, 0, Int32(h)), -1)
        XCTAssertEqual(ck_conv3x3_few_outputs_isa(2, x, Int32(c), Int32(h), Int32(w), weight, Int32(k), nil, nil, &out, 0, Int32(h + 1)), -1)
        XCTAssertEqual(ck_conv3x3_few_outputs_isa(2, x, 0, Int32(h), Int32(w), weight, Int32(k), nil, nil, &out, 0, Int32(h)), -1)
        XCTAssertTrue(out.allSatisfy { $0 == 7 }, "a rejected shape wrote")
    }

    /// The planned conv takes the direct path for few outputs (the kernel's bits, batch by batch,
    /// row blocks on 1-3 threads, residual aliased to the output), and its planned path when the
    /// input is upsampled.
    func testPlannedConvRoutesFewOutputsToTheDirectKernel() throws {
        let batch = 2, c = 5, k = 3, side = 36
        var rng = Values(state: 5150)
        let x = rng.array(batch * c * side * side), weight = rng.array(k * c * 9, scale: 0.3), bias = rng.array(k)
        let residual = rng.array(batch * k * side * side)
        let conv = try weight.withUnsafeBufferPointer { wb in
            try bias.withUnsafeBufferPointer { try Conv3x3Fused(weight: wb, bias: $0, outChannels: k, inChannels: c, side: side, keepAlive: nil) }
        }
        XCTAssertTrue(conv.usesDirect)
        var expected = residual
        for b in 0..<batch {
            let one = Array(x[(b * c * side * side)..<((b + 1) * c * side * side)])
            let res = Array(residual[(b * k * side * side)..<((b + 1) * k * side * side)])
            let out = run(isa: 2, one, c: c, k: k, height: side, width: side, weight: weight, bias: bias, residual: res,
                          start: res).1
            expected.replaceSubrange((b * k * side * side)..<((b + 1) * k * side * side), with: out)
        }
        let saved = ComputeThreads.count
        defer { ComputeThreads.set(saved) }
        for threads in 1...3 {
            ComputeThreads.set(threads)
            var out = residual
            try x.withUnsafeBufferPointer { xb in
                try out.withUnsafeMutableBufferPointer { ob in
                    try conv.apply(input: xb, batch: batch, height: side, width: side, residual: UnsafeBufferPointer(ob), output: ob,
                                   workspace: ScratchBuffer())
                }
            }
            XCTAssertEqual(out.map(\.bitPattern), expected.map(\.bitPattern), "\(threads) threads")
        }
        // Upsampled input: the planned (Winograd) path, checked against the Double reference.
        let small = rng.array(c * (side / 2) * (side / 2))
        var up = [Float](repeating: 0, count: k * side * side)
        try small.withUnsafeBufferPointer { xb in
            try up.withUnsafeMutableBufferPointer { ob in
                try conv.apply(input: xb, batch: 1, height: side, width: side, upsample2x: true, output: ob, workspace: ScratchBuffer())
            }
        }
        let ref = WinogradTests.directConv(small, batch: 1, c: c, k: k, height: side, width: side, upsample: true,
                                           weight: weight, bias: bias, residual: nil)
        var worst = 0.0
        for i in ref.indices { worst = max(worst, abs(Double(up[i]) - ref[i])) }
        XCTAssertLessThan(worst, 2e-5)
        // Wrong sizes are rejected before anything runs.
        var wrong = [Float](repeating: 0, count: k * side * side - 1)
        XCTAssertThrowsError(try x.withUnsafeBufferPointer { xb in
            try wrong.withUnsafeMutableBufferPointer { ob in
                try conv.apply(input: UnsafeBufferPointer(rebasing: xb[0..<(c * side * side)]), batch: 1, height: side, width: side,
                               output: ob, workspace: ScratchBuffer())
            }
        })
    }
}
