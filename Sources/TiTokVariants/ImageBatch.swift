import Kernels

/// How the transformer stages run a batch: one image at a time, so an image's activations stay in
/// cache while each weight passes over them (S-128 encode at batch 8 with every image's rows in
/// one product: 79-82 ms an image against 70-74 alone). With at least as many images as compute
/// threads, whole images run on each thread (`Parallel.independently`: no thread waits for another
/// inside an image), the images left over on every thread. Each image's values are those of the
/// image run alone (every loop gives the same bits on any thread count). Measured on two cores,
/// batch 8 against batch 1: S-128 encode 1.08-1.16x the images a second, L-32 about 1.0-1.04x.
enum ImageBatch {
    /// `stage(input, 1)` maps one image of `inputPerImage` floats to `outputPerImage` floats;
    /// returns the batch's results in order.
    static func map(batch: Int, input: UnsafePointer<Float>, inputPerImage: Int, outputPerImage: Int,
                    _ stage: (UnsafePointer<Float>, Int) -> [Float]) -> [Float] {
        if batch == 1 { return stage(input, 1) }
        let threads = ComputeThreads.count
        let split = threads > 1 && batch >= threads && !Parallel.runsInOrderHere
        let together = split ? batch / threads * threads : 0
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
