import Foundation
import MaskGITGenerators
import ModelZoo
import WeightFormat

/// The generator fixtures of `Tests/Fixtures/generator/<case>/`.
struct Fixture {
    let name: String
    let directory: URL
    let config: MaskGITConfig

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func generator(_ name: String) throws -> Fixture {
        let dir = root.appendingPathComponent("generator").appendingPathComponent(name)
        let json = try JSONValue.parse(Data(contentsOf: dir.appendingPathComponent("config.json")))
        return Fixture(name: name, directory: dir, config: try MaskGITConfig(referenceConfig: json))
    }

    /// The tokenizer fixture both generator fixtures pair with.
    static var tokenizerDirectory: URL { root.appendingPathComponent("titok").appendingPathComponent("tiny_legacy_vq_r64_t32") }

    func file(_ name: String) -> String { directory.appendingPathComponent(name).path }
}

extension Fixture {
    /// The fixture's network with its reference weights.
    func generator() throws -> MaskGITGenerator {
        let weights = try SafetensorsFile(path: file("model.safetensors"))
        return try MaskGITGenerator(config: config, tensors: weights, variant: name)
    }

    func expected() throws -> SafetensorsFile { try SafetensorsFile(path: file("expected.safetensors")) }

    func meta() throws -> JSONValue { try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: file("meta.json")))) }

    /// The sampling settings of meta.json's "sampling" entries (and "noisy"), by name.
    func samplings() throws -> [(name: String, params: GenerationParams)] {
        try (meta()["sampling"]?.arrayValue ?? []).map { s in
            (s["name"]?.stringValue ?? "?", try Self.params(s))
        }
    }

    func noisyParams() throws -> GenerationParams {
        guard let n = try meta()["noisy"] else { throw FixtureError("meta.json has no \"noisy\" entry") }
        return try Self.params(n)
    }

    static func params(_ s: JSONValue) throws -> GenerationParams {
        guard let steps = s["num_sample_steps"]?.intValue, let g = s["guidance_scale"]?.doubleValue,
              let decayName = s["guidance_decay"]?.stringValue, let decay = GuidanceDecay(rawValue: decayName),
              let t = s["randomize_temperature"]?.doubleValue, let a = s["softmax_temperature_annealing"]?.boolValue
        else { throw FixtureError("bad sampling entry \(s)") }
        return GenerationParams(steps: steps, guidanceScale: g, guidanceDecay: decay, randomizeTemperature: t,
                                softmaxTemperatureAnnealing: a)
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ m: String) { description = m }
}

/// Replays recorded uniform draws: [steps, B, N, K] for the ids, [steps, B, N] for the confidence.
final class ReplayNoise: NoiseSource {
    let logits: [Double], confidence: [Double]
    let perStepLogits: Int, perStepConfidence: Int
    private(set) var calls: [(Int, NoisePurpose)] = []

    init(logits: [Double], confidence: [Double], steps: Int) {
        self.logits = logits; self.confidence = confidence
        perStepLogits = logits.count / steps; perStepConfidence = confidence.count / steps
    }

    func fillUniforms(step: Int, purpose: NoisePurpose, into buffer: UnsafeMutableBufferPointer<Double>) throws {
        calls.append((step, purpose))
        let (source, size) = purpose == .tokenSampling ? (logits, perStepLogits) : (confidence, perStepConfidence)
        guard buffer.count == size, (step + 1) * size <= source.count else {
            throw FixtureError("replay: step \(step) \(purpose) wants \(buffer.count) draws, recorded \(size) per step")
        }
        for i in 0..<size { buffer[i] = source[step * size + i] }
    }
}
