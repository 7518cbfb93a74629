import ArgumentParser
import Foundation
import Kernels
import ModelCatalog
import ModelZoo
import WeightFormat

/// `zoo bench`: encode and decode speed, GFLOP/s and peak memory of one model.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure encode and decode speed of a model.",
        discussion: """
            Runs --warmup untimed then --iterations timed encode and decode calls on a batch of \
            --batch synthetic R x R images and reports milliseconds per image (mean and best; \
            and of the first calls, which make what is made on first use), \
            per stage where the model reports stages, GFLOP/s from the registry's cost figures, \
            and the peak resident memory of the process (VmHWM). Build with \
            `swift build -c release` for meaningful numbers.
            """)

    @OptionGroup var model: ModelOptions

    @Option(name: .long, help: ArgumentHelp("Images per call.", valueName: "B"))
    var batch: Int = 1

    @Option(name: .long, help: ArgumentHelp("Untimed calls before measuring.", valueName: "N"))
    var warmup: Int = 1

    @Option(name: .long, help: ArgumentHelp("Timed calls.", valueName: "N"))
    var iterations: Int = 3

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    @OptionGroup var folder: ModelsFolderOptions
    @OptionGroup var threading: ThreadOptions

    func validate() throws {
        guard batch >= 1, batch <= 1024 else { throw ValidationError("--batch must be between 1 and 1024, got \(batch)") }
        guard warmup >= 0, warmup <= 1000 else { throw ValidationError("--warmup must be between 0 and 1000, got \(warmup)") }
        guard iterations >= 1, iterations <= 10000 else { throw ValidationError("--iterations must be between 1 and 10000, got \(iterations)") }
    }

    func run() throws {
        if GenerateBench.isGenerator(model.model) { return try GenerateBench.run(self) }  // generators: ms per image
        let threads = threading.apply()
        let opened = try model.openTokenizer(models: folder.searchPath, threads: threads)
        let info = opened.info
        let pixels = Self.syntheticBatch(batch: batch, side: info.resolution)
        var enc = StageStats(), dec = StageStats()
        var firstCall = (encode: 0.0, decode: 0.0)  // what a one-shot run pays: transforms made on first use, fresh pages
        for i in 0..<(warmup + iterations) {
            let (encoding, es, ems) = try TimedCalls.encode(opened.tokenizer, pixels: pixels, batch: batch)
            let (_, ds, dms) = try TimedCalls.decode(opened.tokenizer, encoding: encoding, batch: batch)
            if i == 0 { firstCall = (ems, dms) }
            if i >= warmup {
                enc.add(total: ems, stages: es)
                dec.add(total: dms, stages: ds)
            }
        }
        let cost = (try? ModelCatalog.registry.variant(named: info.variant))?.costs[info.resolution]
        let peak = ProcessMemory.peakResidentBytes(), split = ProcessMemory.residentSplit()
        let huge = ProcessMemory.hugePageSplit()
        let perImage = { (ms: Double) in ms / Double(batch) }
        let encMs = perImage(enc.mean), decMs = perImage(dec.mean)
        let encRate = cost.map { $0.encodeGFLOPs / (encMs / 1000) }
        let decRate = cost.map { $0.decodeGFLOPs / (decMs / 1000) }

        if json {
            var o: [String: JSONValue] = [
                "model": .string(info.variant), "resolution": .int(info.resolution), "source": .string(opened.source),
                "batch": .int(batch), "threads": .int(ComputeThreads.count), "iterations": .int(iterations), "warmup": .int(warmup),
                "encode_ms_per_image": .number(encMs), "decode_ms_per_image": .number(decMs),
                "encode_best_ms_per_image": .number(perImage(enc.best)), "decode_best_ms_per_image": .number(perImage(dec.best)),
                "encode_stages_ms_per_image": .object(enc.stageMeans.mapValues { .number(perImage($0)) }),
                "decode_stages_ms_per_image": .object(dec.stageMeans.mapValues { .number(perImage($0)) }),
                "load_ms": .number(opened.loadMs),
                "first_encode_ms_per_image": .number(perImage(firstCall.encode)),
                "first_decode_ms_per_image": .number(perImage(firstCall.decode)),
                "blas_core": .string(BLASCore.selection.core), "gemm": .string(VectorGEMM.engine),
            ]
            if let replaced = BLASCore.selection.replaced { o["blas_core_replaced"] = .string(replaced) }
            if let encRate, let decRate { o["encode_gflops_per_s"] = .number(encRate); o["decode_gflops_per_s"] = .number(decRate) }
            if let peak { o["peak_rss_bytes"] = .int(peak) }
            if let split { o["resident_file_bytes"] = .int(split.file); o["resident_anon_bytes"] = .int(split.anonymous) }
            if let huge { o["resident_file_huge_bytes"] = .int(huge.file); o["resident_anon_huge_bytes"] = .int(huge.anonymous) }
            print(Formatting.json(.object(o)))
            return
        }
        print("model:   \(info.variant) at \(info.resolution)x\(info.resolution) (\(opened.source))")
        print("setup:   batch \(batch), \(ComputeThreads.count) threads, \(warmup) warmup + \(iterations) timed calls, load \(Formatting.ms(opened.loadMs))")
        print("first:   encode \(Formatting.ms(perImage(firstCall.encode))), decode \(Formatting.ms(perImage(firstCall.decode))) per image"
              + " (the first calls, warm-up or not: what a one-shot run pays)")
        let blas = BLASCore.selection
        print("gemm:    " + (VectorGEMM.kernel.map {
            "own \($0 == .avx512 ? "AVX-512" : "AVX2") kernel, Linear weights read in place when stored as strips16, else packed"
            + " on first use (TITOK_GEMM=openblas for OpenBLAS)" } ?? "OpenBLAS"))
        print("blas:    OpenBLAS \(blas.core) kernels" + (blas.replaced.map { " (instead of its default \($0) for this CPU)" } ?? ""))
        print("encode:  \(Formatting.ms(encMs)) per image (best \(Formatting.ms(perImage(enc.best))))" + Self.rate(encRate) + enc.stageText(perImage))
        print("decode:  \(Formatting.ms(decMs)) per image (best \(Formatting.ms(perImage(dec.best))))" + Self.rate(decRate) + dec.stageText(perImage))
        if let peak {
            print("memory:  peak resident \(Formatting.bytes(peak))" + (split.map {
                " (after the calls: \(Formatting.bytes($0.file)) of mapped file pages, \(Formatting.bytes($0.anonymous)) anonymous)"
            } ?? ""))
        }
        if let huge {
            print("pages:   \(Formatting.bytes(huge.file)) of the file pages and \(Formatting.bytes(huge.anonymous)) of the anonymous"
                  + " memory mapped in 2 MiB pages")
        }
        if let note = ProcessMemory.smallPagesNote(file: opened.source) { print(note) }
    }

    private static func rate(_ r: Double?) -> String { r.map { String(format: ", %.1f GFLOP/s", $0) } ?? "" }

    /// A deterministic smooth colour pattern in [0, 1], planar [B, 3, R, R].
    static func syntheticBatch(batch: Int, side: Int) -> [Float] {
        var out = [Float](repeating: 0, count: batch * 3 * side * side)
        let plane = side * side
        for b in 0..<batch {
            for c in 0..<3 {
                for y in 0..<side {
                    for x in 0..<side {
                        let v = 0.5 + 0.5 * sin(Double(x * (c + 1) + y * (b + 2)) * 0.05)
                        out[(b * 3 + c) * plane + y * side + x] = Float(v)
                    }
                }
            }
        }
        return out
    }
}

/// Accumulated times of repeated calls, in order of first appearance of each stage.
struct StageStats {
    private(set) var totals: [Double] = []
    private var stageOrder: [String] = []
    private var stageSums: [String: Double] = [:]

    mutating func add(total: Double, stages: StageTimes) {
        totals.append(total)
        guard stages.count > 1 else { return }
        for s in stages {
            if stageSums[s.stage] == nil { stageOrder.append(s.stage) }
            stageSums[s.stage, default: 0] += s.ms
        }
    }

    var mean: Double { totals.isEmpty ? 0 : totals.reduce(0, +) / Double(totals.count) }
    var best: Double { totals.min() ?? 0 }
    var stageMeans: [String: Double] { stageSums.mapValues { $0 / Double(max(totals.count, 1)) } }

    func stageText(_ scale: (Double) -> Double) -> String {
        guard !stageOrder.isEmpty else { return "" }
        let means = stageMeans
        return "\n         stages: " + stageOrder.map { "\($0) \(Formatting.ms(scale(means[$0] ?? 0)))" }.joined(separator: ", ")
    }
}
