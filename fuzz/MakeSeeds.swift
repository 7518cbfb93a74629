// Writes small valid .tzw files as the fuzzer's seed corpus (fuzz/run.sh).
import Foundation

@main
struct MakeSeeds {
    static func main() throws {
        let dir = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "fuzz/corpus"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let metadata: JSONValue = .object([
            "format": .string(WeightFileWriter.formatName), "family": .string("titok"),
            "variant": .string("seed"), "config": .object(["num_tokens": .number(32), "kind": .string("vq")]),
        ])
        var seeds: [(String, WeightFileWriter)] = []
        seeds.append(("empty", try WeightFileWriter()))
        let one = try WeightFileWriter()
        try one.add(name: "w", shape: [2, 2], values: [1, 2, 3, 4])
        seeds.append(("one_raw_f32", one))
        for encoding in TensorEncoding.allCases {
            let w = try WeightFileWriter()
            try w.add(name: "a", shape: [3], values: [0.5, -1, 2], as: .f16, encoding: encoding)
            try w.add(name: "b", shape: [2, 2], values: [1, 2, 3, 4], as: .bf16, encoding: encoding)
            try w.add(name: "c", shape: [], values: [7], encoding: encoding)
            try w.add(name: "ids", dtype: .i64, shape: [2], bytes: [UInt8](repeating: 3, count: 16), encoding: encoding)
            try w.add(name: "z", shape: [0, 2], values: [], as: .f32, encoding: encoding)
            seeds.append(("mixed_\(encoding.rawValue)", w))
        }
        let f64 = try WeightFileWriter(alignment: 128)
        try f64.add(name: "d", shape: [4], values: [1, 2, 3, 4], as: .f64, encoding: .zlibShuffle)
        try f64.add(name: "u", dtype: .u8, shape: [5], bytes: [1, 2, 3, 4, 5], encoding: .zlib)
        try f64.add(name: "i", dtype: .i32, shape: [1, 1], bytes: [9, 0, 0, 0])
        seeds.append(("f64_u8_i32", f64))
        let strips = try WeightFileWriter()
        try strips.add(name: "s", shape: [16, 3], values: (0..<48).map(Float.init), order: .strips16)
        try strips.add(name: "k", shape: [32, 1, 1, 1], values: (0..<32).map(Float.init), order: .strips16)
        try strips.add(name: "b", shape: [16], values: [Float](repeating: 1, count: 16))
        seeds.append(("strips16_v2", strips))
        let halfStrips = try WeightFileWriter()
        try halfStrips.add(name: "h", shape: [16, 3], values: (0..<48).map(Float.init), as: .f16, order: .strips16)
        try halfStrips.add(name: "b", shape: [32, 2, 1, 1], values: (0..<64).map(Float.init), as: .bf16, order: .strips16)
        try halfStrips.add(name: "f", shape: [16, 2], values: (0..<32).map(Float.init), order: .strips16)
        seeds.append(("strips16_v3", halfStrips))
        for (name, writer) in seeds {
            let bytes = try writer.serialized(metadata: metadata)
            try Data(bytes).write(to: URL(fileURLWithPath: "\(dir)/\(name).tzw"))
        }
        print("wrote \(seeds.count) seeds to \(dir)")
    }
}
