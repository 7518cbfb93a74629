import ModelZoo
import WeightFormat

/// A Linear layer's parameters: weight [out, in] (PyTorch layout), optional bias [out].
struct LinearWeights: @unchecked Sendable {
    let weight: Float32Tensor
    let bias: Float32Tensor?
    var outFeatures: Int { weight.shape[0] }
    var inFeatures: Int { weight.shape[1] }
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

    func linear(_ name: String, in inFeatures: Int, out outFeatures: Int, bias: Bool = true) throws -> LinearWeights {
        LinearWeights(weight: try tensor(name + ".weight", [outFeatures, inFeatures]),
                      bias: bias ? try tensor(name + ".bias", [outFeatures]) : nil)
    }

    func norm(_ name: String, features: Int, epsilon: Float) throws -> NormWeights {
        NormWeights(weight: try tensor(name + ".weight", [features]), bias: try tensor(name + ".bias", [features]),
                    epsilon: epsilon)
    }

    /// Q, K and V Linear layers concatenated into one [3h, h] layer (rows q, then k, then v).
    func fusedQKV(_ names: [String], hidden h: Int) throws -> LinearWeights {
        var w = [Float](); w.reserveCapacity(3 * h * h)
        var b = [Float](); b.reserveCapacity(3 * h)
        for name in names {
            let part = try linear(name, in: h, out: h)
            w.append(contentsOf: part.weight.buffer)
            if let bias = part.bias { b.append(contentsOf: bias.buffer) }
        }
        return LinearWeights(weight: Float32Tensor(shape: [3 * h, h], values: w), bias: Float32Tensor(shape: [3 * h], values: b))
    }
}
