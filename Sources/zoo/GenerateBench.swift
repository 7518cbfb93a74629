import Foundation
import Kernels
import ModelCatalog
import ModelZoo
import WeightFormat

/// `zoo bench MaskGIT-...`: time per generated image (token sampling only) at the generator's own
/// (the paper's) sampling settings, with the batch, warmup and iteration options of `zoo bench`.
enum GenerateBench {
    /// True when the bench's MODEL is a generator: a registered generator variant, or a .tzw file
    /// whose metadata names the "maskgit" family.
    static func isGenerator(_ model: String) -> Bool {
        if ModelOptions.looksLikePath(model) {
            guard let file = try? WeightFile(path: model) else { return false }
            return ModelCatalog.registry.family(named: file.metadata.family).map { f in
                f.variants.contains { $0.kind == .generator } } ?? false
        }
        return (try? ModelCatalog.registry.variant(named: model))?.kind == .generator
    }

    static func run(_ bench: BenchCommand) throws {
        let threads = bench.threading.apply()
        let opened = try GenerateModels.openGenerator(bench.model.model, randomWeights: bench.model.randomWeights,
                                                      weightsSeed: bench.model.seed, models: bench.folder.searchPath,
                                                      threads: threads)
        let info = opened.info
        let params = opened.generator.defaultParameters
        let labels = (0..<bench.batch).map { (207 + 97 * $0) % max(info.numClasses, 1) }
        var times: [Double] = []
        for i in 0..<(bench.warmup + bench.iterations) {
            var p = params
            p.seed = UInt64(i)
            let (_, ms) = try Stopwatch.measure { try opened.generator.generate(labels: labels, parameters: p) }
            if i >= bench.warmup { times.append(ms) }
        }
        let perImage = times.reduce(0, +) / Double(times.count) / Double(bench.batch)
        let best = (times.min() ?? 0) / Double(bench.batch)
        let forward = (try? ModelCatalog.registry.variant(named: info.variant))?.costs[256]?.encodeGFLOPs
        let gflopsPerImage = forward.map { $0 * Double(sequencePasses(params)) }
        let rate = gflopsPerImage.map { $0 / (perImage / 1000) }
        let peak = ProcessMemory.peakResidentBytes()
        let settings = "\(params.steps) steps, guidance \(params.guidanceScale) \(params.guidanceDecay), temperature \(params.randomizeTemperature), annealing \(params.softmaxTemperatureAnnealing ? "on" : "off")"
        if bench.json {
            var o: [String: JSONValue] = [
                "model": .string(info.variant), "source": .string(opened.source), "kind": .string("generator"),
                "batch": .int(bench.batch), "threads": .int(ComputeThreads.count), "iterations": .int(bench.iterations),
                "warmup": .int(bench.warmup), "steps": .int(params.steps), "guidance_scale": .number(params.guidanceScale),
                "guidance_decay": .string(params.guidanceDecay.rawValue),
                "generate_ms_per_image": .number(perImage), "generate_best_ms_per_image": .number(best),
                "load_ms": .number(opened.loadMs),
            ]
            if let gflopsPerImage, let rate { o["gflops_per_image"] = .number(gflopsPerImage); o["gflops_per_s"] = .number(rate) }
            if let peak { o["peak_rss_bytes"] = .int(peak) }
            print(Formatting.json(.object(o)))
            return
        }
        print("model:    \(info.variant) (\(opened.source))")
        print("setup:    batch \(bench.batch), \(ComputeThreads.count) threads, \(bench.warmup) warmup + \(bench.iterations) timed calls, load \(Formatting.ms(opened.loadMs))")
        print("sampling: \(settings)")
        print("generate: \(Formatting.ms(perImage)) per image (best \(Formatting.ms(best)))"
              + (rate.map { String(format: ", %.1f GFLOP/s", $0) } ?? "") + " (tokens only, no decoding)")
        if let peak { print("memory:   peak resident \(Formatting.bytes(peak))") }
    }

    /// Network passes over one image's sequence in a run: 2 for every guided step, 1 otherwise.
    static func sequencePasses(_ p: GenerationParams) -> Int {
        (0..<p.steps).reduce(0) { total, step in
            let guided: Bool
            switch p.guidanceDecay {
            case .constant: guided = p.guidanceScale != 0
            case .linear: guided = step > 0 && p.guidanceScale != 0
            case .powerCosine: guided = true
            }
            return total + (guided ? 2 : 1)
        }
    }
}
