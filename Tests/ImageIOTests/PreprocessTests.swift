import Foundation
import Testing
@testable import ImageIO

/// Resize and the reference crops against Pillow's pixels (tests/data/preprocess).
@Suite struct PreprocessTests {
    nonisolated(unsafe) static let cases: [[String: Any]] = (try? TestData.manifest("tests/data/preprocess/manifest.json")) ?? []

    @Test func manifestIsPresent() {
        #expect(Self.cases.count >= 10)
    }

    @Test(arguments: cases.indices)
    func matchesPillowExactly(index: Int) throws {
        let c = Self.cases[index]
        let name = c["name"] as! String, op = c["op"] as! String, size = c["size"] as! Int
        let src = try TestData.derive(try TestData.photo(c["photo"] as! String), c["source"] as! String)
        let expected = try ImageFile.read(TestData.path("tests/data/preprocess/\(c["file"] as! String)"))
        switch op {
        case "tencrop":
            let outerSize = c["outer_size"] as! Int
            #expect(Preprocess.tenCropOuterSize(size) == outerSize)
            let outer = try Preprocess.admCenterCrop(src, to: outerSize)
            let d = compare(outer, expected)
            #expect(d.differing == 0, "\(name) outer crop: max diff \(d.maxDiff), \(d.differing) samples differ")
            let crops = try Preprocess.tenCrop(src, to: size)
            let layout = c["layout"] as! [[String: Any]]
            #expect(crops.count == 10 && layout.count == 10)
            for (i, spot) in layout.enumerated() where i < crops.count {
                let base = (spot["mirrored"] as! Bool) ? expected.flippedHorizontally() : expected
                let want = try base.cropped(x: spot["x"] as! Int, y: spot["y"] as! Int, width: size, height: size)
                #expect(crops[i] == want, "\(name) crop \(i)")
            }
        default:
            let got: RGBImage
            switch op {
            case "adm": got = try Preprocess.admCenterCrop(src, to: size)
            case "center": got = try Preprocess.resizeShorterSideAndCenterCrop(src, to: size)
            default:
                let filter = ResampleFilter(rawValue: String(op.dropFirst("resize_".count)))!
                got = try Resize.resize(src, width: c["resize_width"] as! Int, height: c["resize_height"] as! Int, filter: filter)
            }
            let d = compare(got, expected)
            #expect(d.differing == 0, "\(name): max diff \(d.maxDiff), \(d.differing) samples differ")
        }
    }

    @Test func preprocessModesGiveRxRInputs() throws {
        let img = patternImage(width: 90, height: 61)
        for mode in PreprocessMode.allCases {
            let out = try mode.apply(img, resolution: 32)
            #expect(out.count == mode.cropsPerImage)
            #expect(out.allSatisfy { $0.width == 32 && $0.height == 32 })
        }
    }

    @Test func badArgumentsThrow() {
        let img = patternImage(width: 10, height: 10)
        #expect(throws: ImageIOError.self) { try Resize.resize(img, width: 0, height: 5, filter: .box) }
        #expect(throws: ImageIOError.self) { try img.cropped(x: 5, y: 5, width: 6, height: 2) }
        #expect(throws: ImageIOError.self) { try Preprocess.admCenterCrop(img, to: 0) }
    }

    @Test func flipAndCropAreExact() throws {
        let img = patternImage(width: 7, height: 5)
        let f = img.flippedHorizontally()
        #expect(f.pixel(x: 0, y: 3) == img.pixel(x: 6, y: 3))
        #expect(f.flippedHorizontally() == img)
        let c = try img.cropped(x: 2, y: 1, width: 3, height: 2)
        #expect(c.pixel(x: 0, y: 0) == img.pixel(x: 2, y: 1) && c.pixel(x: 2, y: 1) == img.pixel(x: 4, y: 2))
    }
}
