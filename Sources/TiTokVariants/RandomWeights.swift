import Foundation
import ModelZoo
import WeightFormat

/// Seeded random (untrained) weights with a config's real shapes: norms near 1, biases near 0,
/// linear/conv weights uniform with variance 1/fan_in, embeddings small. For benchmarks and smoke tests.
public enum RandomTiTokWeights {
    public static func make(config: TiTokConfig, seed: UInt64) -> InMemoryTensors {
        let store = InMemoryTensors()
        for (index, (name, shape)) in TiTokTensorLayout.expectedShapes(config).enumerated() {
            let count = shape.reduce(1, *)
            var rng = SplitMix64(seed: seed &+ UInt64(index) &* 0x2545_F491_4F6C_DD1D)
            let fanIn = shape.count >= 2 ? shape.dropFirst().reduce(1, *) : 1
            let scale: Float
            var offset: Float = 0
            if name.hasSuffix("norm1.weight") || name.hasSuffix("norm2.weight") || name.contains("ln_") || name.hasSuffix("norm_out.weight") {
                scale = name.hasSuffix(".weight") ? 0.1 : 0.02
                offset = name.hasSuffix(".weight") ? 1 : 0
            } else if name.hasSuffix(".bias") || name.hasSuffix("_bias") {
                scale = 0.02
            } else if name.contains("embedding") || name == "latent_tokens" || name.hasSuffix("mask_token") {
                scale = 0.05
            } else {
                scale = (3 / Float(max(fanIn, 1))).squareRoot()
            }
            let storage = FloatStorage(count: count)
            for i in 0..<count { storage.pointer[i] = offset + scale * Float(2 * rng.nextUnit() - 1) }
            store.setTensor(name, Float32Tensor(shape: shape, buffer: UnsafeBufferPointer(storage.pointer), owner: storage))
        }
        return store
    }
}
