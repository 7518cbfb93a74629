import Kernels
import WeightFormat

extension TensorProvider {
    /// The Linear weight `name` of `shape` ([out, in], trailing dimensions of 1 allowed: a 1x1
    /// convolution) for `Dense.linear`, taken from a weight file the cheapest way it is stored:
    /// `strips16` (f32 or 16-bit) is the AVX2 kernel's packed weight itself, used from the map;
    /// another raw 16-bit (or reordered) tensor is read from the file when packed, with no
    /// float32 copy; raw row-major f32 is used in place and gives its mapped pages back once the
    /// packed copy exists. Other providers' float32 tensors are packed on first use. The shape
    /// is checked before anything is read, so a mismatch names the tensor.
    public func packedLinearWeight(_ name: String, shape: [Int]) throws -> PackedLinearWeight {
        guard shape.count >= 2, shape.dropFirst(2).allSatisfy({ $0 == 1 }) else {
            throw ZooError.incompatibleWeights("tensor '\(name)' is not a Linear or 1x1 convolution weight")
        }
        let n = shape[0], k = shape[1]
        let file = self as? WeightFile
        if let deferred = file?.deferredFloat32(name) {
            try checkShape(name, shape)  // (checkedFloat32 checks it on the other path)
            let readRows = rowReader(deferred, columns: k)
            let release: @Sendable () -> Void = { deferred.releaseResidentPages() }
            // strips16 holds [n, k] matrices only, so the checked shape is the strips' shape.
            if let strips = file?.strips16(name) {
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

extension TensorProvider {
    /// One Linear weight made of the [rows, columns] weights `names` stacked in order (the
    /// [3h, h] matrix of separate query/key/value projections), read part by part when packed:
    /// no stacked copy is made, and a weight file's parts give their mapped pages back (raw f32)
    /// or are read without a float32 copy (16-bit) as `packedLinearWeight` does for one weight.
    public func packedLinearWeight(stacking names: [String], rows: Int, columns: Int) throws -> PackedLinearWeight {
        let file = self as? WeightFile
        var parts: [PackedLinearWeight.RowReader] = []
        var releases: [@Sendable () -> Void] = []
        for name in names {
            if let deferred = file?.deferredFloat32(name) {
                try checkShape(name, [rows, columns])
                parts.append(rowReader(deferred, columns: columns))
                releases.append { deferred.releaseResidentPages() }
            } else {
                let t = try checkedFloat32(name, shape: [rows, columns])
                parts.append { first, count, destination in
                    withExtendedLifetime(t) { destination.update(from: t.baseAddress + first * columns, count: count * columns) }
                }
                if let file { releases.append { file.releaseResidentPages(of: t) } }
            }
        }
        let readRows: PackedLinearWeight.RowReader = { [parts] first, count, destination in
            // Rows [first, first + count) of the stack, part by part.
            var row = first, out = destination
            while row < first + count {
                let part = row / rows, local = row - part * rows, n = min(first + count - row, rows - local)
                parts[part](local, n, out)
                row += n
                out += n * columns
            }
        }
        return PackedLinearWeight(outFeatures: rows * names.count, inFeatures: columns, readRows: readRows,
                                  releaseSource: { [releases] in releases.forEach { $0() } })
    }
}

/// Rows of a file tensor (any float dtype and element order) as row-major float32, for packing.
private func rowReader(_ tensor: DeferredFloat32Tensor, columns: Int) -> PackedLinearWeight.RowReader {
    { first, count, destination in tensor.read(elements: first * columns..<(first + count) * columns, into: destination) }
}
