import Kernels
import ModelZoo
import WeightFormat

/// A Linear layer's parameters: weight [out, in] (PyTorch layout), optional bias [out]. The
/// weight is multiplied by the library's matrix kernel from a copy packed on first use (its
/// mapped file pages then given back, `releaseSource`), or by OpenBLAS in place.
struct LinearWeights: @unchecked Sendable {
    let weight: PackedLinearWeight
    let bias: Float32Tensor?
    var outFeatures: Int { weight.outFeatures }
    var inFeatures: Int { weight.inFeatures }

    init(weight: PackedLinearWeight, bias: Float32Tensor?) {
        self.weight = weight
        self.bias = bias
    }
}

/// The generator tensors read as Linear weights (tools/maskgit_arch.py's
/// `is_generator_linear_weight` names the same ones, which a converted raw file stores as
/// `strips16`): every Linear weight but the BERT generator's query/key/value, fused into one
/// matrix when loaded.
public enum MaskGITTensorLayout {
    static let linearWeightSuffixes = [
        ".attention.output.dense.weight", ".intermediate.dense.weight", ".output.dense.weight", "lm_head.weight",
        ".attn.qkv.weight", ".attn.proj.weight", ".mlp.fc1.weight", ".mlp.fc2.weight", ".skip_linear.weight",
    ]

    /// Whether the generator multiplies tensor `name` as a Linear weight.
    public static func isLinearWeight(_ name: String) -> Bool { linearWeightSuffixes.contains { name.hasSuffix($0) } }
}

/// A LayerNorm's parameters (both [features]) and epsilon.
struct NormWeights: @unchecked Sendable {
    let weight: Float32Tensor
    let bias: Float32Tensor
    let epsilon: Float
}

/// Reads named tensors and checks each shape against the config, so that a mismatched
/// checkpoint fails at load with the tensor's name instead of computing garbage.
struct WeightReader {
    let tensors: TensorProvider
    let prefix: String

    func tensor(_ name: String, _ shape: [Int]) throws -> Float32Tensor {
        try tensors.checkedFloat32(prefix + name, shape: shape)
    }

    /// A Linear layer, its weight read as `TensorProvider.packedLinearWeight` reads it (from a
    /// weight file without a second resident copy).
    func linear(_ name: String, in inFeatures: Int, out outFeatures: Int, bias: Bool = true) throws -> LinearWeights {
        assert(MaskGITTensorLayout.isLinearWeight(prefix + name + ".weight"), "'\(name)' is read as a Linear weight but not listed")
        let weight = try tensors.packedLinearWeight(prefix + name + ".weight", shape: [outFeatures, inFeatures])
        return LinearWeights(weight: weight, bias: bias ? try tensor(name + ".bias", [outFeatures]) : nil)
    }

    func norm(_ name: String, features: Int, epsilon: Float) throws -> NormWeights {
        NormWeights(weight: try tensor(name + ".weight", [features]), bias: try tensor(name + ".bias", [features]),
                    epsilon: epsilon)
    }

    /// Q, K and V Linear layers as one [3h, h] layer (rows q, then k, then v): the weight read
    /// part by part when packed (no stacked copy), the biases concatenated.
    func fusedQKV(_ names: [String], hidden h: Int) throws -> LinearWeights {
        let weight = try tensors.packedLinearWeight(stacking: names.map { prefix + $0 + ".weight" }, rows: h, columns: h)
        var b = [Float]()
        b.reserveCapacity(3 * h)
        for name in names {
            let bias = try tensor(name + ".bias", [h])
            withExtendedLifetime(bias) { b.append(contentsOf: bias.buffer) }  // a converted tensor owns its values
        }
        return LinearWeights(weight: weight, bias: Float32Tensor(shape: [3 * h], values: b))
    }
}
