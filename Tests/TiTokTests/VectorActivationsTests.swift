import Foundation
import XCTest
@testable import Kernels

/// The vector erf/GELU/softmax against Double references.
final class VectorActivationsTests: XCTestCase {
    func testErfAndGELUAccuracy() {
        var worstErf = 0.0, worstGelu = 0.0
        var x: Float = -7
        while x < 7 {
            let e = Double(VectorActivations.erf(SIMD8<Float>(repeating: x))[5])
            worstErf = max(worstErf, abs(e - Foundation.erf(Double(x))))
            let g = Double(VectorActivations.gelu(SIMD8<Float>(repeating: x))[2])
            let ref = 0.5 * Double(x) * (1 + Foundation.erf(Double(x) / 2.0.squareRoot()))
            worstGelu = max(worstGelu, abs(g - ref) / max(1, abs(ref)))
            x += 0.00731
        }
        XCTAssertLessThan(worstErf, 1.5e-6)  // float32 evaluation of the rational form: ~1e-6 near |x| = 4
        XCTAssertLessThan(worstGelu, 1e-6)
    }

    func testGELUBufferIncludingTail() {
        var v = (0..<29).map { Float($0) * 0.37 - 5 }
        let ref = v.map { 0.5 * Double($0) * (1 + Foundation.erf(Double($0) / 2.0.squareRoot())) }
        v.withUnsafeMutableBufferPointer { VectorActivations.gelu($0.baseAddress!, count: $0.count) }
        for (a, b) in zip(v, ref) { XCTAssertEqual(Double(a), b, accuracy: 2e-6) }
    }

    func testSoftmaxRow() {
        for width in [1, 7, 8, 19, 64] {
            var v = (0..<width).map { Float(sin(Double($0) * 1.7) * 9) }
            let m = v.map(Double.init).max()!
            let e = v.map { Foundation.exp(Double($0) - m) }
            let s = e.reduce(0, +)
            v.withUnsafeMutableBufferPointer { Activations.softmaxRow($0.baseAddress!, width: width) }
            for (a, b) in zip(v, e) { XCTAssertEqual(Double(a), b / s, accuracy: 1e-6, "width \(width)") }
        }
    }
}
