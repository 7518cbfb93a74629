import Foundation
import Testing
@testable import ImageIO

/// Every PNG kind, JPEG colour spaces and EXIF orientations against Pillow's decoding (tests/data/images).
@Suite struct DecoderTests {
    nonisolated(unsafe) static let cases: [[String: Any]] = (try? TestData.manifest("tests/data/images/manifest.json")) ?? []

    @Test(arguments: cases.indices)
    func decodesLikePillow(index: Int) throws {
        let c = Self.cases[index]
        let file = c["file"] as! String
        let got = try ImageFile.read(TestData.path("tests/data/images/\(file)"))
        let want = try ImageFile.read(TestData.path("tests/data/images/\(c["expected"] as! String)"))
        let d = compare(got, want)
        // PNGs are lossless and must match exactly; JPEGs are decoded by libjpeg-turbo on both sides.
        #expect(d.differing == 0, "\(file): \(got.width)x\(got.height) vs \(want.width)x\(want.height), max diff \(d.maxDiff), \(d.differing) samples differ")
    }

    @Test func exifOrientationIsReadForAllEight() throws {
        for o in 1...8 {
            let data = try Data(contentsOf: URL(fileURLWithPath: TestData.path("tests/data/images/orient\(o).jpg")))
            let read = data.withUnsafeBytes { ExifOrientation.read(jpeg: $0) }
            #expect(read.rawValue == o)
        }
    }

    @Test func orientationsSwapSidesAndAreInvertible() {
        let img = patternImage(width: 5, height: 3)
        for o in ExifOrientation.allCases {
            let t = img.applying(o)
            #expect((t.width, t.height) == (o.rawValue >= 5 ? (3, 5) : (5, 3)))
        }
        #expect(img.applying(.rotate90CW).applying(.rotate90CCW) == img)
        #expect(img.applying(.transpose).applying(.transpose) == img)
        #expect(img.applying(.rotate180) == img.applying(.flipHorizontal).applying(.flipVertical))
        // Rotating clockwise puts the bottom-left pixel at the top-left.
        #expect(img.applying(.rotate90CW).pixel(x: 0, y: 0) == img.pixel(x: 0, y: 2))
    }
}
