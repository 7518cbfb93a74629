import XCTest
@testable import WeightFormat

final class HalfFloatTests: XCTestCase {
    func testF16RoundTripIsExactForRepresentableValues() {
        for bits in stride(from: 0, through: 0xFFFF, by: 7) {
            let h = UInt16(bits)
            let f = HalfFloat.f16ToF32(h)
            if f.isNaN { continue }
            XCTAssertEqual(HalfFloat.f32ToF16(f), h, "bits \(bits)")
        }
    }

    /// Every one of the 65536 bit patterns widens as the standard library's Float16 does
    /// (subnormals, signed zeros, infinities; NaNs keep sign and payload).
    func testF16WideningIsExactForEveryBitPattern() {
        for bits in 0...0xFFFF {
            let h = UInt16(bits)
            let got = HalfFloat.f16ToF32(h), want = Float(Float16(bitPattern: h))
            if want.isNaN {
                XCTAssertTrue(got.isNaN, "bits \(bits)")
                XCTAssertEqual(got.bitPattern, UInt32(bits & 0x8000) << 16 | 0x7F80_0000 | UInt32(bits & 0x3FF) << 13, "bits \(bits)")
            } else {
                XCTAssertEqual(got.bitPattern, want.bitPattern, "bits \(bits)")
            }
        }
    }

    func testBF16RoundsToNearestEven() {
        XCTAssertEqual(HalfFloat.bf16ToF32(HalfFloat.f32ToBF16(1.0)), 1.0)
        XCTAssertEqual(HalfFloat.f32ToBF16(Float(bitPattern: 0x3F80_8000)), 0x3F80)  // tie -> even
        XCTAssertEqual(HalfFloat.f32ToBF16(Float(bitPattern: 0x3F81_8000)), 0x3F82)  // tie -> even (up)
    }
}
