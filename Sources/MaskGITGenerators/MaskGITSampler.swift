import Foundation
import ModelZoo

/// The reference MaskGIT sampling loop (`ImageBert.generate`), step by step: guidance schedule,
/// classifier-free guidance, softmax temperature annealing, gumbel-max sampling, arccos mask
/// schedule (its length taken from the first batch row, as the reference does), re-masking of
/// the least confident positions (ties included).
struct MaskGITSampler {
    let numTokens: Int
    let codebookSize: Int
    let numClasses: Int

    /// Runs the network on `rows` sequences [rows, N+1] (class token first); returns logits [rows, N, K].
    typealias Forward = (_ sequences: [Int32], _ rows: Int) throws -> [Float]

    init(config: MaskGITConfig) {
        numTokens = config.numTokens; codebookSize = config.codebookSize; numClasses = config.numClasses
    }

    /// Checks the labels and settings; throws `ZooError.invalidArgument` naming the problem.
    func validate(labels: [Int], parameters: GenerationParams) throws {
        guard !labels.isEmpty else { throw ZooError.invalidArgument("no class labels to generate") }
        guard labels.count <= 65_536 else { throw ZooError.invalidArgument("at most 65536 images per call, got \(labels.count)") }
        for (i, c) in labels.enumerated() where c < 0 || c >= numClasses {
            throw ZooError.invalidArgument("class label \(c) (image \(i)) is out of range: this generator knows classes 0..<\(numClasses)")
        }
        try parameters.validate()
    }

    func sample(labels: [Int], parameters p: GenerationParams, noise: NoiseSource,
                progress: GenerationProgress?, forward: Forward) throws -> [Int32] {
        try validate(labels: labels, parameters: p)
        let b = labels.count, n = numTokens, k = codebookSize, steps = p.steps
        let mask = Int32(codebookSize)
        var ids = [Int32](repeating: mask, count: b * n)
        var cfg: Double = p.guidanceDecay == .constant ? p.guidanceScale : 0
        var logitNoise: [Double] = []
        var confidenceNoise = [Double](repeating: 0, count: b * n)
        var confidence = [Double](repeating: 0, count: b * n)
        var sampled = [Int32](repeating: 0, count: b * n)

        for step in 0..<steps {
            let ratio = Double(step + 1) / Double(steps)
            let temperature = p.randomizeTemperature * (1 - ratio)
            var scale = Float(cfg)
            if p.guidanceDecay == .powerCosine {
                // float32 throughout, as the reference computes it from a float32 tensor.
                let t = powf(Float(Double(step) / Double(steps)), 3.0)
                let s = (1 - cosf(t * Float.pi)) * 1 / 2
                scale = (Float(p.guidanceScale) - 1) * s + 1
            }
            var logits = try guidedLogits(ids: ids, labels: labels, scale: scale,
                                          fromUnconditional: p.guidanceDecay == .powerCosine, forward: forward)
            if p.softmaxTemperatureAnnealing {
                let t = Float(0.5 + 0.8 * (1 - ratio))
                logits.withUnsafeMutableBufferPointer { l in for i in l.indices { l[i] = l[i] / t } }
            }
            if temperature > 0 {
                if logitNoise.count != b * n * k { logitNoise = [Double](repeating: 0, count: b * n * k) }
                try logitNoise.withUnsafeMutableBufferPointer { try noise.fillUniforms(step: step, purpose: .tokenSampling, into: $0) }
                try confidenceNoise.withUnsafeMutableBufferPointer { try noise.fillUniforms(step: step, purpose: .confidence, into: $0) }
            }
            logits.withUnsafeBufferPointer { l in
                logitNoise.withUnsafeBufferPointer { u in
                    for pos in 0..<(b * n) {
                        let row = pos * k
                        var best = 0
                        if temperature > 0 {
                            var bestValue = -Double.infinity
                            for j in 0..<k {
                                let v = Double(l[row + j]) + temperature * Self.gumbel(u[row + j])
                                if v > bestValue || (v.isNaN && !bestValue.isNaN) { bestValue = v; best = j }
                            }
                        } else {
                            var bestValue = -Float.infinity
                            for j in 0..<k {
                                let v = l[row + j]
                                if v > bestValue || (v.isNaN && !bestValue.isNaN) { bestValue = v; best = j }
                            }
                        }
                        if ids[pos] == mask {
                            sampled[pos] = Int32(best)
                            let c0 = Double(l[row + best])
                            confidence[pos] = temperature > 0 ? c0 + temperature * Self.gumbel(confidenceNoise[pos]) : c0
                        } else {
                            sampled[pos] = ids[pos]
                            confidence[pos] = .infinity
                        }
                    }
                }
            }
            if step == steps - 1 {
                ids = sampled
            } else {
                let maskLength = self.maskLength(ratio: ratio, maskedInFirstRow: ids[0..<n].lazy.filter { $0 == mask }.count)
                for row in 0..<b {
                    let range = (row * n)..<((row + 1) * n)
                    let sorted = confidence[range].map(Self.sortKey).sorted()
                    let cut = sorted[maskLength - 1]
                    for pos in range { ids[pos] = Self.sortKey(confidence[pos]) <= cut ? mask : sampled[pos] }
                }
            }
            if p.guidanceDecay == .linear { cfg = ratio * p.guidanceScale }
            progress?(step + 1, steps)
        }
        return ids
    }

    /// The logits the step samples from: conditional only (scale 0), else one batched pass over
    /// [conditional rows, unconditional rows] mixed as c + (c-u)g, or u + (c-u)g for power-cosine.
    private func guidedLogits(ids: [Int32], labels: [Int], scale: Float, fromUnconditional: Bool,
                              forward: Forward) throws -> [Float] {
        let b = labels.count, n = numTokens, k = codebookSize
        let guided = scale != 0
        let rows = guided ? 2 * b : b
        var sequences = [Int32](repeating: 0, count: rows * (n + 1))
        for r in 0..<rows {
            let classToken = r < b ? codebookSize + 1 + labels[r] : codebookSize + 1 + numClasses
            sequences[r * (n + 1)] = Int32(classToken)
            for i in 0..<n { sequences[r * (n + 1) + 1 + i] = ids[(r % b) * n + i] }
        }
        var out = try forward(sequences, rows)
        guard out.count == rows * n * k else {
            throw ZooError.invalidArgument("the generator network returned \(out.count) logits, expected \(rows * n * k)")
        }
        guard guided else { return out }
        let half = b * n * k
        out.withUnsafeMutableBufferPointer { o in
            for i in 0..<half {
                let c = o[i], u = o[half + i]
                o[i] = fromUnconditional ? u + (c - u) * scale : c + (c - u) * scale
            }
        }
        out.removeLast(half)
        return out
    }

    /// floor(N * arccos(ratio) / (pi/2)), clamped to [1, masked-in-row-0 - 1].
    func maskLength(ratio: Double, maskedInFirstRow: Int) -> Int {
        let maskRatio = acos(ratio) / (Double.pi * 0.5)
        let length = Int((Double(numTokens) * maskRatio).rounded(.down))
        return max(1, min(maskedInFirstRow - 1, length))
    }

    /// -log(-log(u)), each log clamped at 1e-20 as the reference does.
    @inline(__always)
    static func gumbel(_ u: Double) -> Double {
        -log(max(-log(max(u, 1e-20)), 1e-20))
    }

    /// Orders NaN after +inf (as torch.sort does), so sorting never sees an unordered value.
    @inline(__always)
    static func sortKey(_ x: Double) -> Double { x.isNaN ? .infinity : x }
}
