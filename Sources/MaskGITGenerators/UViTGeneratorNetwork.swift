import ModelZoo
import WeightFormat

/// The reference `UViTBert` network: embeddings + pos_embed, pre-norm blocks (LayerNorm eps 1e-5,
/// qkv without bias) with long skips from each in-block to its mirrored out-block, final norm, `lm_head`.
struct UViTGeneratorNetwork: GeneratorNetwork {
    struct Block {
        let norm1: NormWeights
        let qkv: LinearWeights
        let proj: LinearWeights
        let norm2: NormWeights
        let fc1: LinearWeights
        let fc2: LinearWeights
        /// Out-blocks only: Linear(2h, h) over concat[x, skip].
        let skip: LinearWeights?
    }

    let config: MaskGITConfig
    let embeddings: Float32Tensor
    let positions: Float32Tensor
    let inBlocks: [Block]
    let midBlock: Block
    let outBlocks: [Block]
    let norm: NormWeights
    let head: LinearWeights

    static let epsilon: Float = 1e-5

    init(config c: MaskGITConfig, tensors: TensorProvider) throws {
        config = c
        let r = WeightReader(tensors: tensors, prefix: "")
        let h = c.hidden, eps = Self.epsilon
        func block(_ p: String, skip: Bool) throws -> Block {
            Block(norm1: try r.norm(p + "norm1", features: h, epsilon: eps),
                  qkv: try r.linear(p + "attn.qkv", in: h, out: 3 * h, bias: false),
                  proj: try r.linear(p + "attn.proj", in: h, out: h),
                  norm2: try r.norm(p + "norm2", features: h, epsilon: eps),
                  fc1: try r.linear(p + "mlp.fc1", in: h, out: c.intermediate),
                  fc2: try r.linear(p + "mlp.fc2", in: c.intermediate, out: h),
                  skip: skip ? try r.linear(p + "skip_linear", in: 2 * h, out: h) : nil)
        }
        embeddings = try r.tensor("embeddings.weight", [c.vocabulary, h])
        positions = try r.tensor("pos_embed", [1, c.sequenceLength, h])
        inBlocks = try (0..<(c.layers / 2)).map { try block("in_blocks.\($0).", skip: false) }
        midBlock = try block("mid_block.", skip: false)
        outBlocks = try (0..<(c.layers / 2)).map { try block("out_blocks.\($0).", skip: true) }
        norm = try r.norm("norm", features: h, epsilon: eps)
        head = try r.linear("lm_head", in: h, out: c.codebookSize)
    }

    func logits(sequences: UnsafeBufferPointer<Int32>, rows: Int) throws -> [Float] {
        let c = config, t = c.sequenceLength, h = c.hidden, positionsCount = rows * t
        let ops = try GeneratorOps(rows: rows, config: c, sequences: sequences)
        var x = try ops.embed(sequences, table: embeddings, positions: positions.buffer, extra: nil)
        var scratch = Scratch(ops: ops, count: positionsCount, hidden: h, intermediate: c.intermediate)
        var skips: [[Float]] = []
        for block in inBlocks {
            run(block, &x, &scratch, ops)
            skips.append(x)
        }
        run(midBlock, &x, &scratch, ops)
        var joined = ops.buffer(positionsCount * 2 * h)
        for block in outBlocks {
            guard let skip = skips.popLast(), let skipLinear = block.skip else {
                throw ZooError.incompatibleWeights("UViT out-block without a matching in-block")
            }
            ops.concatenate(x, skip, features: h, into: &joined)
            ops.linear(joined, skipLinear, into: &x)
            run(block, &x, &scratch, ops)
        }
        ops.layerNorm(&x, norm)
        return ops.imageLogits(x, head: head)
    }

    /// Activation buffers reused by every block of one call.
    struct Scratch {
        var normed, qkv, attended, projected, hiddenMLP: [Float]
        init(ops: GeneratorOps, count: Int, hidden h: Int, intermediate: Int) {
            normed = ops.buffer(count * h); qkv = ops.buffer(count * 3 * h); attended = ops.buffer(count * h)
            projected = ops.buffer(count * h); hiddenMLP = ops.buffer(count * intermediate)
        }
    }

    /// x += proj(attn(norm1(x))); x += fc2(GELU(fc1(norm2(x)))).
    private func run(_ b: Block, _ x: inout [Float], _ s: inout Scratch, _ ops: GeneratorOps) {
        ops.layerNorm(x, b.norm1, into: &s.normed)
        ops.linear(s.normed, b.qkv, into: &s.qkv)
        ops.attention(s.qkv, into: &s.attended)
        ops.linear(s.attended, b.proj, into: &s.projected)
        ops.add(s.projected, into: &x)
        ops.layerNorm(x, b.norm2, into: &s.normed)
        ops.linear(s.normed, b.fc1, into: &s.hiddenMLP)
        ops.gelu(&s.hiddenMLP)
        ops.linear(s.hiddenMLP, b.fc2, into: &s.projected)
        ops.add(s.projected, into: &x)
    }
}
