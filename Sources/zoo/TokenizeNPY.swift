import Foundation
import WeightFormat

/// `zoo tokenize --npy`: the tokens (int32 [rows, N]) or latents (float32 [rows, C, N]) of every
/// row of the finished JSON Lines file, in its order.
enum TokenizeNPY {
    static func write(fromRows jsonl: String, to path: String) throws {
        let text: String
        do { text = try String(contentsOfFile: jsonl, encoding: .utf8) } catch {
            throw CLIError("cannot read \(jsonl): \((error as NSError).localizedDescription)")
        }
        var ints: [Int32] = []
        var floats: [Float] = []
        var rows = 0
        var shape: [Int] = []
        for line in text.split(separator: "\n") {
            guard let row = TokenizeRow.parse(line) else { throw CLIError("\(jsonl): a line is not a tokenize row") }
            if let t = row.value["tokens"]?.arrayValue {
                if shape.isEmpty { shape = [t.count] }
                guard shape == [t.count] else { throw CLIError("\(jsonl): rows have different token counts") }
                for v in t {
                    guard let id = v.intValue, let i32 = Int32(exactly: id) else { throw CLIError("\(jsonl): a token is not an int32") }
                    ints.append(i32)
                }
            } else if let l = row.value["latents"]?.arrayValue {
                let s = [l.count, l.first?.arrayValue?.count ?? 0]
                if shape.isEmpty { shape = s }
                guard shape == s else { throw CLIError("\(jsonl): rows have different latent shapes") }
                for ch in l {
                    for v in ch.arrayValue ?? [] {
                        guard let x = v.doubleValue else { throw CLIError("\(jsonl): a latent is not a number") }
                        floats.append(Float(x))
                    }
                }
            }
            rows += 1
        }
        if floats.isEmpty {
            try NPYFile.writeInt32(ints, shape: [rows] + (shape.isEmpty ? [0] : shape), to: path)
        } else {
            try NPYFile.writeFloat32(floats, shape: [rows] + shape, to: path)
        }
    }
}
