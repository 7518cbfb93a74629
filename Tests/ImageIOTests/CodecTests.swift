import Foundation
import Testing
@testable import ImageIO

/// A deterministic test pattern: smooth gradients plus a few hard edges.
func patternImage(width: Int, height: Int, edges: Bool = true) -> RGBImage {
    var px = [UInt8](repeating: 0, count: width * height * 3)
    for y in 0..<height {
        for x in 0..<width {
            let i = (y * width + x) * 3
            px[i] = UInt8((x * 255) / max(1, width - 1))
            px[i + 1] = UInt8((y * 255) / max(1, height - 1))
            px[i + 2] = edges ? (((x / 8 + y / 8) % 2 == 0) ? 200 : 30) : UInt8((x + y) % 256)
        }
    }
    return RGBImage(width: width, height: height, pixels: px)
}

func tempPath(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("imageio-tests-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

@Suite struct CodecTests {
    @Test func pngRoundTripIsLossless() throws {
        let img = patternImage(width: 37, height: 23)
        let path = tempPath("rt.png")
        try ImageFile.writePNG(img, to: path)
        #expect(try ImageFile.read(path) == img)
    }

    @Test func jpegRoundTripIsClose() throws {
        let img = patternImage(width: 64, height: 48, edges: false)
        let bytes = try JPEGCodec.encode(img, quality: 95)
        let back = try bytes.withUnsafeBytes { try ImageFile.decode(bytes: $0, name: "mem.jpg") }
        #expect(back.width == 64 && back.height == 48)
        let meanErr = zip(img.pixels, back.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +) / img.pixels.count
        #expect(meanErr <= 2)
    }

    @Test func formatIsChosenByContentNotExtension() throws {
        let img = patternImage(width: 16, height: 16)
        let path = tempPath("really-a-png.jpg")
        try ImageFile.writePNG(img, to: path)
        #expect(try ImageFile.read(path) == img)
    }

    @Test func corruptAndTruncatedFilesThrowNamedErrors() throws {
        let img = patternImage(width: 40, height: 40)
        let png = try PNGCodec.encode(img)
        let jpg = try JPEGCodec.encode(img)
        for (bytes, name) in [(Array(png.prefix(png.count / 2)), "half.png"), (Array(jpg.prefix(jpg.count / 2)), "half.jpg"),
                              (Array(png.prefix(20)), "head.png"), ([0x00, 0x01, 0x02], "junk.png"), ([], "empty.jpg")] {
            let path = tempPath(name)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                _ = try ImageFile.read(path)
                Issue.record("\(name) decoded without error")
            } catch let e as ImageIOError {
                #expect(e.description.contains(path), "message names the file: \(e)")
            }
        }
        #expect(throws: ImageIOError.self) { try ImageFile.read(tempPath("does-not-exist.png")) }
    }
}
