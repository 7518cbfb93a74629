// Measures what the CRC policy in docs/weight-format.md rests on: zlib crc32 throughput and the
// cost of opening a large raw-f32 .tzw file. Compiled together with Sources/WeightFormat by
// fuzz/bench.sh (one module, so no `import WeightFormat`).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

func seconds(_ body: () throws -> Void) rethrows -> Double {
    var start = timespec(), end = timespec()
    clock_gettime(CLOCK_MONOTONIC, &start)
    try body()
    clock_gettime(CLOCK_MONOTONIC, &end)
    return Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
}

func residentMB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return -1 }
    let kb = Double(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    return kb / 1024
}

/// Drops the file's pages from the page cache (cold open), without root.
func evict(_ path: String) {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return }
    _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
    close(fd)
}

func writeLarge(_ path: String, megabytes: Int) throws {
    let tensorElements = 2 << 20   // 8 MiB per tensor
    let count = megabytes / 8
    let writer = try WeightFileWriter()
    var values = [Float](repeating: 0, count: tensorElements)
    for t in 0..<count {
        for i in stride(from: 0, to: tensorElements, by: 997) { values[i] = Float(t &+ i) }
        try writer.add(name: "blocks.\(t).weight", shape: [2048, 1024], values: values)
    }
    let metadata: JSONValue = .object(["format": .string(WeightFileWriter.formatName), "family": .string("bench"),
                                       "variant": .string("large_raw_f32"), "config": .object([:])])
    let time = try seconds { try writer.write(to: path, metadata: metadata) }
    print(String(format: "wrote %@: %d tensors, %.0f MB in %.2f s", path, count, Double(count * 8 << 20) / 1e6, time))
}

func measure(_ path: String) throws {
    let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    print(String(format: "file: %.3f GB", Double(size) / 1e9))

    // zlib crc32 over memory (no I/O).
    let buffer = [UInt8](repeating: 0x5A, count: 256 << 20)
    var crc: UInt32 = 0
    let crcTime = try buffer.withUnsafeBytes { b in try seconds { for _ in 0..<4 { crc = Zlib.crc32(b, initial: crc) } } }
    print(String(format: "crc32 in memory: %.2f GB/s (1 GiB in %.3f s, crc %08x)", 4.0 * Double(256 << 20) / 1e9 / crcTime, crcTime, crc))

    for (label, cold) in [("cold", true), ("warm", false)] {
        if cold { evict(path) }
        let before = residentMB()
        var file: WeightFile?
        let openTime = try seconds { file = try WeightFile(path: path) }
        let after = residentMB()
        print(String(format: "open %@, no CRC: %.2f ms, resident %.1f -> %.1f MB (+%.1f)", label, openTime * 1e3, before, after, after - before))
        let name = file!.entries[file!.entries.count / 2].name
        var sum: Float = 0
        let touch = try seconds {
            let t = try file!.float32(name)
            for v in t.buffer { sum += v }
        }
        print(String(format: "first touch %@ (one 8 MiB tensor, summed): %.2f ms (sum %.0f), resident %.1f MB", label, touch * 1e3, sum, residentMB()))
        file = nil
    }
    for (label, cold) in [("cold", true), ("warm", false)] {
        if cold { evict(path) }
        let t = try seconds { _ = try WeightFile(path: path, verifyChecksums: true) }
        print(String(format: "open %@ with verifyChecksums: %.3f s (%.2f GB/s)", label, t, Double(size) / 1e9 / t))
    }
}

/// Load throughput of converted and compressed tensors: 64 Mi elements in each dtype/encoding.
func measureConversion(_ path: String) throws {
    let elements = 64 << 20
    var values = [Float](repeating: 0, count: elements)
    for i in 0..<elements { values[i] = Float(i % 4099) * 0.001 - 2 }
    let cases: [(DType, TensorEncoding)] = [(.f32, .raw), (.bf16, .raw), (.f16, .raw), (.f32, .zlib), (.f32, .zlibShuffle), (.bf16, .zlibShuffle)]
    let writer = try WeightFileWriter()
    for (dtype, encoding) in cases {
        try writer.add(name: "\(dtype)-\(encoding)", shape: [elements], values: values, as: dtype, encoding: encoding)
    }
    let metadata: JSONValue = .object(["format": .string(WeightFileWriter.formatName), "family": .string("bench"),
                                       "variant": .string("conversion"), "config": .object([:])])
    try writer.write(to: path, metadata: metadata)
    let file = try WeightFile(path: path)
    for e in file.entries {
        _ = file.storedBytes(of: e).reduce(0 as UInt8, &+)   // page in: measure CPU, not disk
        let t = try seconds { _ = try file.float32(e.name) }
        print(String(format: "float32(%@): %d Mi elements, %.0f MB stored, %.3f s (%.0f M elements/s)",
                      e.name, elements >> 20, Double(e.storedLength) / 1e6, t, Double(elements) / 1e6 / t))
    }
}

@main
struct OpenBenchmark {
    static func main() {
        let arguments = CommandLine.arguments
        do {
            switch (arguments.count > 1 ? arguments[1] : "", arguments.count > 2 ? arguments[2] : "") {
            case ("write", let path) where !path.isEmpty:
                try writeLarge(path, megabytes: arguments.count > 3 ? Int(arguments[3]) ?? 2400 : 2400)
            case ("measure", let path) where !path.isEmpty:
                try measure(path)
            case ("convert", let path) where !path.isEmpty:
                try measureConversion(path)
            default:
                print("usage: open-benchmark write PATH [MB] | measure PATH | convert PATH")
                exit(2)
            }
        } catch {
            print("error: \(error)")
            exit(1)
        }
    }
}
