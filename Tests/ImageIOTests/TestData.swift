import Foundation
@testable import ImageIO

/// Paths and loaders for the committed expected data in tests/data (made by make_preprocess_expected.py).
enum TestData {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func photo(_ name: String) throws -> RGBImage { try ImageFile.read(path("assets/images/\(name)")) }

    /// The integer-only sources of the generator script: "original", or "up2x:WxH" (each pixel
    /// repeated 2x2, then the top-left W x H).
    static func derive(_ img: RGBImage, _ source: String) throws -> RGBImage {
        if source == "original" { return img }
        let dims = source.dropFirst("up2x:".count).split(separator: "x").compactMap { Int($0) }
        var up = [UInt8](repeating: 0, count: img.width * img.height * 12)
        let uw = img.width * 2
        for y in 0..<(img.height * 2) {
            for x in 0..<uw {
                for c in 0..<3 { up[(y * uw + x) * 3 + c] = img.pixels[((y / 2) * img.width + x / 2) * 3 + c] }
            }
        }
        return try RGBImage(width: uw, height: img.height * 2, pixels: up).cropped(x: 0, y: 0, width: dims[0], height: dims[1])
    }

    static func manifest(_ relative: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path(relative)))
        return (try JSONSerialization.jsonObject(with: data) as? [[String: Any]]) ?? []
    }
}

/// Largest per-sample difference and the count of samples that differ at all.
func compare(_ a: RGBImage, _ b: RGBImage) -> (maxDiff: Int, differing: Int) {
    guard a.width == b.width, a.height == b.height else { return (Int.max, Int.max) }
    var m = 0, n = 0
    for (x, y) in zip(a.pixels, b.pixels) where x != y {
        n += 1
        m = max(m, abs(Int(x) - Int(y)))
    }
    return (m, n)
}
