import ModelZoo
import WeightFormat

/// Seeded random (untrained) weights with the reference tensor names and shapes of a config:
/// linear and embedding weights uniform with std 0.02 (the reference init's scale), biases 0,
/// LayerNorm weights 1 and biases 0.
enum RandomGeneratorWeights {
    static func tensors(config c: MaskGITConfig, seed: UInt64) throws -> InMemoryTensors {
        try c.validate()
        let out = InMemoryTensors()
        var stream = seed
        let h = c.hidden, i = c.intermediate
        func random(_ name: String, _ shape: [Int]) {
            stream = SeededNoise.mix(stream)
            let key = stream
            let count = shape.reduce(1, *)
            let amplitude = 0.02 * Float(3).squareRoot()
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBufferPointer { v in
                for j in v.indices {
                    let u = SeededNoise.unit(SeededNoise.mix(key &+ UInt64(j) &* 0x9E37_79B9_7F4A_7C15))
                    v[j] = Float(2 * u - 1) * amplitude
                }
            }
            out.set(name, shape: shape, values: values)
        }
        func constant(_ name: String, _ shape: [Int], _ value: Float) {
            out.set(name, shape: shape, values: [Float](repeating: value, count: shape.reduce(1, *)))
        }
        func linear(_ name: String, in inF: Int, out outF: Int, bias: Bool = true) {
            random(name + ".weight", [outF, inF])
            if bias { constant(name + ".bias", [outF], 0) }
        }
        func norm(_ name: String) {
            constant(name + ".weight", [h], 1)
            constant(name + ".bias", [h], 0)
        }
        switch c.kind {
        case .vit:
            random("model.embeddings.word_embeddings.weight", [c.vocabulary, h])
            random("model.embeddings.position_embeddings.weight", [c.sequenceLength, h])
            random("model.embeddings.token_type_embeddings.weight", [2, h])
            norm("model.embeddings.LayerNorm")
            for l in 0..<c.layers {
                let p = "model.encoder.layer.\(l)."
                for part in ["query", "key", "value"] { linear(p + "attention.self." + part, in: h, out: h) }
                linear(p + "attention.output.dense", in: h, out: h)
                norm(p + "attention.output.LayerNorm")
                linear(p + "intermediate.dense", in: h, out: i)
                linear(p + "output.dense", in: i, out: h)
                norm(p + "output.LayerNorm")
            }
            linear("model.lm_head", in: h, out: c.codebookSize)
        case .uvit:
            random("embeddings.weight", [c.vocabulary, h])
            random("pos_embed", [1, c.sequenceLength, h])
            func block(_ p: String, skip: Bool) {
                norm(p + "norm1")
                linear(p + "attn.qkv", in: h, out: 3 * h, bias: false)
                linear(p + "attn.proj", in: h, out: h)
                norm(p + "norm2")
                linear(p + "mlp.fc1", in: h, out: i)
                linear(p + "mlp.fc2", in: i, out: h)
                if skip { linear(p + "skip_linear", in: 2 * h, out: h) }
            }
            for l in 0..<(c.layers / 2) { block("in_blocks.\(l).", skip: false) }
            block("mid_block.", skip: false)
            for l in 0..<(c.layers / 2) { block("out_blocks.\(l).", skip: true) }
            norm("norm")
            linear("lm_head", in: h, out: c.codebookSize)
        }
        return out
    }
}
