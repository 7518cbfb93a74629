import Kernels
import WeightFormat

extension TensorProvider {
    /// The Linear weight `name` of `shape` ([out, in], trailing dimensions of 1 allowed: a 1x1
    /// convolution) for `Dense.linear`, taken from a weight file the cheapest way it is stored:
    /// `strips16` (f32 or 16-bit) is the AVX2 kernel's packed weight itself, used from the map;
    /// another raw 16-bit (or reordered) tensor is read from the file when packed, with no
    /// float32 copy; raw row-major f32 is used in place and gives its mapped pages back once the
    /// packed copy exists. Other providers' float32 tensors are packed on first use. The shape
    /// is checked first, so a mismatch names the tensor.
    public func packedLinearWeight(_ name: String, shape: [Int]) throws -> PackedLinearWeight {
        guard shape.count >= 2, shape.dropFirst(2).allSatisfy({ $0 == 1 }) else {
            throw ZooError.incompatibleWeights("tensor '\(name)' is not a Linear or 1x1 convolution weight")
        }
        try checkShape(name, shape)
        let n = shape[0], k = shape[1]
        let file = self as? WeightFile
        if let deferred = file?.deferredFloat32(name) {
            let readRows: PackedLinearWeight.RowReader = { first, count, destination in
                deferred.read(elements: first * k..<(first + count) * k, into: destination)
            }
            let release: @Sendable () -> Void = { deferred.releaseResidentPages() }
            if let strips = file?.strips16(name), strips.rows == n, strips.columns == k {
                // Used in place by the AVX2 kernel (nothing packed, nothing given back; 16-bit
                // values widened as it multiplies); other kernels read its rows back.
                if let floats = strips.float32?.baseAddress {
                    return PackedLinearWeight(strips: floats, outFeatures: n, inFeatures: k, owner: strips.owner,
                                              readRows: readRows, releaseSource: release)
                }
                if let bits = strips.bits16?.baseAddress {
                    return PackedLinearWeight(halfStrips: bits, bf16: strips.dtype == .bf16, outFeatures: n, inFeatures: k,
                                              owner: strips.owner, readRows: readRows, releaseSource: release)
                }
            }
            return PackedLinearWeight(outFeatures: n, inFeatures: k, readRows: readRows, releaseSource: release)
        }
        let t = try checkedFloat32(name, shape: shape)
        let release: (@Sendable () -> Void)? = file.map { file in { @Sendable in file.releaseResidentPages(of: t) } }
        return PackedLinearWeight(weight: t.baseAddress, outFeatures: n, inFeatures: k, owner: t.owner, releaseSource: release)
    }
}
