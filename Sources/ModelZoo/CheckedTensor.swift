import WeightFormat

extension TensorProvider {
    /// The tensor `name` as float32 after checking that it exists and has exactly `shape`; a
    /// mismatched checkpoint fails at load with the tensor's name instead of computing garbage.
    public func checkedFloat32(_ name: String, shape: [Int]) throws -> Float32Tensor {
        try checkShape(name, shape)
        let t: Float32Tensor
        do { t = try float32(name) } catch {
            throw ZooError.incompatibleWeights("tensor '\(name)': \(error)")
        }
        guard t.count == shape.reduce(1, *) else {
            throw ZooError.incompatibleWeights("tensor '\(name)' holds \(t.count) values, expected shape \(shape)")
        }
        return t
    }

    /// Throws `incompatibleWeights` naming the tensor unless it exists with exactly `shape`.
    public func checkShape(_ name: String, _ shape: [Int]) throws {
        guard let actual = self.shape(of: name) else {
            throw ZooError.incompatibleWeights("tensor '\(name)' is missing (expected shape \(shape))")
        }
        guard actual == shape else {
            throw ZooError.incompatibleWeights("tensor '\(name)' has shape \(actual), the config needs \(shape)")
        }
    }
}
