import Kernels

/// How the transformer stages run a batch of images: with at least as many images as compute
/// threads, whole images on each thread (`Parallel.independently`: no thread waits for another
/// inside an image), the images left over one at a time on every thread; a smaller batch at once.
/// Each image's values are those of the image run alone (every loop gives the same bits on any
/// thread count). Measured on two cores, batch 8 against batch 1: S-128 encode 1.08-1.10x the
/// images a second, L-32 1.03-1.04x.
enum ImageBatch {
    /// `stage(input, count)` maps `count` images of `inputPerImage` floats to `count` results of
    /// `outputPerImage` floats; returns the batch's results in order.
    static func map(batch: Int, input: UnsafePointer<Float>, inputPerImage: Int, outputPerImage: Int,
                    _ stage: (UnsafePointer<Float>, Int) -> [Float]) -> [Float] {
        let threads = ComputeThreads.count
        guard batch > 1, threads > 1, batch >= threads, !Parallel.runsInOrderHere else { return stage(input, batch) }
        let together = batch / threads * threads
        var results = [Float](repeating: 0, count: batch * outputPerImage)
        results.withUnsafeMutableBufferPointer { r in
            let out = r.baseAddress!
            func one(_ b: Int) {
                let y = stage(input + b * inputPerImage, 1)
                precondition(y.count == outputPerImage, "image stage returned \(y.count) values, expected \(outputPerImage)")
                y.withUnsafeBufferPointer { (out + b * outputPerImage).update(from: $0.baseAddress!, count: outputPerImage) }
            }
            Parallel.independently(together) { one($0) }
            for b in together..<batch { one(b) }
        }
        return results
    }
}
