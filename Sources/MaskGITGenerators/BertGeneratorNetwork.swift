import ModelZoo
import WeightFormat

/// The reference `ImageBert` network: a post-norm BERT encoder (LayerNorm eps 1e-12) over
/// [class token, N image tokens] with word + position + token-type-0 embeddings, then `lm_head`.
struct BertGeneratorNetwork: GeneratorNetwork {
    struct Layer {
        let qkv: LinearWeights
        let attentionOutput: LinearWeights
        let attentionNorm: NormWeights
        let intermediate: LinearWeights
        let output: LinearWeights
        let outputNorm: NormWeights
    }

    let config: MaskGITConfig
    let wordEmbeddings: Float32Tensor
    let positionEmbeddings: Float32Tensor
    let tokenTypeEmbeddings: Float32Tensor
    let embeddingNorm: NormWeights
    let layers: [Layer]
    let head: LinearWeights

    static let epsilon: Float = 1e-12

    init(config c: MaskGITConfig, tensors: TensorProvider) throws {
        config = c
        let r = WeightReader(tensors: tensors, prefix: "model.")
        let h = c.hidden, eps = Self.epsilon
        wordEmbeddings = try r.tensor("embeddings.word_embeddings.weight", [c.vocabulary, h])
        positionEmbeddings = try r.tensor("embeddings.position_embeddings.weight", [c.sequenceLength, h])
        guard let typeShape = tensors.shape(of: "model.embeddings.token_type_embeddings.weight"), typeShape.count == 2,
              typeShape[0] >= 1 else {
            throw ZooError.incompatibleWeights("tensor 'model.embeddings.token_type_embeddings.weight' is missing or not [types, \(h)]")
        }
        tokenTypeEmbeddings = try r.tensor("embeddings.token_type_embeddings.weight", [typeShape[0], h])
        embeddingNorm = try r.norm("embeddings.LayerNorm", features: h, epsilon: eps)
        layers = try (0..<c.layers).map { l in
            let p = "encoder.layer.\(l)."
            return Layer(
                qkv: try r.fusedQKV(["query", "key", "value"].map { p + "attention.self." + $0 }, hidden: h),
                attentionOutput: try r.linear(p + "attention.output.dense", in: h, out: h),
                attentionNorm: try r.norm(p + "attention.output.LayerNorm", features: h, epsilon: eps),
                intermediate: try r.linear(p + "intermediate.dense", in: h, out: c.intermediate),
                output: try r.linear(p + "output.dense", in: c.intermediate, out: h),
                outputNorm: try r.norm(p + "output.LayerNorm", features: h, epsilon: eps))
        }
        head = try r.linear("lm_head", in: h, out: c.codebookSize)
    }

    func logits(sequences: UnsafeBufferPointer<Int32>, rows: Int) throws -> [Float] {
        let c = config, t = c.sequenceLength, h = c.hidden
        let ops = try GeneratorOps(rows: rows, config: c, sequences: sequences)
        var x = try ops.embed(sequences, table: wordEmbeddings, positions: positionEmbeddings.buffer,
                              extra: UnsafeBufferPointer(rebasing: tokenTypeEmbeddings.buffer[0..<h]))
        ops.layerNorm(&x, embeddingNorm)
        var qkv = ops.buffer(rows * t * 3 * h)
        var attended = ops.buffer(rows * t * h)
        var projected = ops.buffer(rows * t * h)
        var hiddenMLP = ops.buffer(rows * t * c.intermediate)
        for layer in layers {
            ops.linear(x, layer.qkv, into: &qkv)
            ops.attention(qkv, into: &attended)
            ops.linear(attended, layer.attentionOutput, into: &projected)
            ops.add(projected, into: &x)
            ops.layerNorm(&x, layer.attentionNorm)
            ops.linear(x, layer.intermediate, into: &hiddenMLP)
            ops.gelu(&hiddenMLP)
            ops.linear(hiddenMLP, layer.output, into: &projected)
            ops.add(projected, into: &x)
            ops.layerNorm(&x, layer.outputNorm)
        }
        return ops.imageLogits(x, head: head)
    }
}
