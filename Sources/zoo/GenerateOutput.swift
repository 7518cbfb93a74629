import Foundation
import ImageIO
import ModelZoo
import WeightFormat

/// What `zoo generate` writes besides the single PNGs: the token JSON and the contact sheet.
enum GenerateOutput {
    /// `{"model": TOKENIZER, "resolution": R, "tokens": [[...]], "generator": ..., "classes": [...]}`:
    /// the token file `zoo decode` reads (it ignores the extra keys).
    static func json(_ tokens: GeneratedTokens, model: String, resolution: Int?, generator: String, labels: [Int]) -> String {
        var o: [String: JSONValue] = [
            "model": .string(model),
            "generator": .string(generator),
            "classes": .array(labels.map { .number(Double($0)) }),
            "tokens": .array((0..<tokens.batch).map { b in .array(tokens.row(b).map { .number(Double($0)) }) }),
        ]
        if let resolution { o["resolution"] = .number(Double(resolution)) }
        return String(decoding: JSONValue.object(o).serialized(), as: UTF8.self)
    }

    static func writeTokens(_ tokens: GeneratedTokens, model: String, resolution: Int?, generator: String, labels: [Int],
                            to path: String) throws {
        let text = json(tokens, model: model, resolution: resolution, generator: generator, labels: labels) + "\n"
        do { try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw CLIError("cannot write \(path): \((error as NSError).localizedDescription)")
        }
    }

    /// The images on a grid of up to 8 columns, 4-pixel white gutters.
    static func contactSheet(_ images: [RGBImage], maxColumns: Int = 8, gutter: Int = 4) -> RGBImage {
        guard let first = images.first else { return RGBImage(width: 1, height: 1) }
        let side = first.width, height = first.height
        let columns = min(maxColumns, images.count)
        let rows = (images.count + columns - 1) / columns
        let w = columns * side + (columns + 1) * gutter, h = rows * height + (rows + 1) * gutter
        var bytes = [UInt8](repeating: 255, count: w * h * 3)
        for (i, image) in images.enumerated() where image.width == side && image.height == height {
            let x0 = gutter + (i % columns) * (side + gutter), y0 = gutter + (i / columns) * (height + gutter)
            for y in 0..<height {
                let dst = ((y0 + y) * w + x0) * 3
                bytes.replaceSubrange(dst..<(dst + side * 3), with: image.pixels[(y * side * 3)..<((y + 1) * side * 3)])
            }
        }
        return RGBImage(width: w, height: h, pixels: bytes)
    }
}

/// "step 3/8" on stderr, rewritten in place, when stderr is a terminal.
final class GenerateProgress: @unchecked Sendable {
    let enabled: Bool
    init(enabled: Bool) { self.enabled = enabled }

    var callback: GenerationProgress? {
        guard enabled else { return nil }
        return { done, total in
            FileHandle.standardError.write(Data("\rsampling: step \(done)/\(total)".utf8))
        }
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
