/// Resampling filters, defined as Pillow defines them (same support, same kernel).
public enum ResampleFilter: String, Sendable, CaseIterable {
    /// Box (area average when downsampling); support 0.5.
    case box
    /// Triangle; support 1.
    case bilinear
    /// Keys cubic with a = -0.5 (Pillow's BICUBIC); support 2.
    case bicubic

    var support: Double {
        switch self { case .box: 0.5; case .bilinear: 1.0; case .bicubic: 2.0 }
    }

    func weight(_ x: Double) -> Double {
        switch self {
        case .box:
            return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0
        case .bilinear:
            let ax = x < 0 ? -x : x
            return ax < 1.0 ? 1.0 - ax : 0.0
        case .bicubic:
            let a = -0.5
            let ax = x < 0 ? -x : x
            if ax < 1.0 { return ((a + 2.0) * ax - (a + 3.0)) * ax * ax + 1 }
            if ax < 2.0 { return (((ax - 5) * ax + 8) * ax - 4) * a }
            return 0.0
        }
    }
}

/// Separable resizing that reproduces Pillow's `Image.resize` for 8-bit images bit for bit:
/// antialiased (the kernel is stretched by the scale when downsampling), weights normalised and
/// turned into 22-bit fixed point, horizontal pass first, rounding to 8 bits between the passes.
public enum Resize {
    /// Fixed-point precision of the weights (Pillow's PRECISION_BITS for 8-bit images).
    static let precisionBits = 32 - 8 - 2

    /// Per-output-sample source window and fixed-point weights along one axis.
    struct Coefficients {
        var start: [Int]
        var count: [Int]
        var stride: Int
        var weights: [Int32]
    }

    static func coefficients(inSize: Int, outSize: Int, filter: ResampleFilter) -> Coefficients {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1.0)
        let support = filter.support * filterScale
        let stride = Int(support.rounded(.up)) * 2 + 1
        var start = [Int](repeating: 0, count: outSize)
        var count = [Int](repeating: 0, count: outSize)
        var weights = [Int32](repeating: 0, count: outSize * stride)
        var k = [Double](repeating: 0, count: stride)
        let ss = 1.0 / filterScale
        let one = Double(1 << precisionBits)
        for xx in 0..<outSize {
            let center = (Double(xx) + 0.5) * scale
            var xmin = Int(center - support + 0.5)   // truncation toward zero, as C's (int)
            if xmin < 0 { xmin = 0 }
            var xmax = Int(center + support + 0.5)
            if xmax > inSize { xmax = inSize }
            let n = max(0, min(xmax - xmin, stride))
            var ww = 0.0
            for x in 0..<n {
                let w = filter.weight((Double(x + xmin) - center + 0.5) * ss)
                k[x] = w
                ww += w
            }
            for x in 0..<n {
                let v = ww != 0.0 ? k[x] / ww : k[x]
                weights[xx * stride + x] = Int32(v < 0 ? (-0.5 + v * one) : (0.5 + v * one))
            }
            start[xx] = xmin
            count[xx] = n
        }
        return Coefficients(start: start, count: count, stride: stride, weights: weights)
    }

    @inline(__always) static func clip8(_ acc: Int) -> UInt8 {
        let v = acc >> precisionBits
        return v < 0 ? 0 : (v > 255 ? 255 : UInt8(v))
    }

    /// Resizes to width x height with `filter`.
    public static func resize(_ image: RGBImage, width: Int, height: Int, filter: ResampleFilter) throws -> RGBImage {
        guard width > 0, height > 0, image.width > 0, image.height > 0 else {
            throw ImageIOError.invalidArgument("cannot resize \(image.width)x\(image.height) to \(width)x\(height): sizes must be positive")
        }
        _ = try ImageLimits.rgbByteCount(width: width, height: height, name: "resize target")
        if width == image.width && height == image.height { return image }
        var current = image
        if width != image.width {
            current = horizontal(current, outWidth: width, coeffs: coefficients(inSize: image.width, outSize: width, filter: filter))
        }
        if height != image.height {
            current = vertical(current, outHeight: height, coeffs: coefficients(inSize: image.height, outSize: height, filter: filter))
        }
        return current
    }

    static func horizontal(_ img: RGBImage, outWidth: Int, coeffs c: Coefficients) -> RGBImage {
        let inW = img.width, h = img.height
        var out = [UInt8](repeating: 0, count: outWidth * h * 3)
        let half = 1 << (precisionBits - 1)
        img.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                c.weights.withUnsafeBufferPointer { wts in
                    for y in 0..<h {
                        let row = y * inW * 3
                        for xx in 0..<outWidth {
                            let s0 = c.start[xx], n = c.count[xx], kb = xx * c.stride
                            var r = half, g = half, b = half
                            for i in 0..<n {
                                let w = Int(wts[kb + i]), p = row + (s0 + i) * 3
                                r += Int(src[p]) * w; g += Int(src[p + 1]) * w; b += Int(src[p + 2]) * w
                            }
                            let o = (y * outWidth + xx) * 3
                            dst[o] = clip8(r); dst[o + 1] = clip8(g); dst[o + 2] = clip8(b)
                        }
                    }
                }
            }
        }
        return RGBImage(width: outWidth, height: h, pixels: out)
    }

    static func vertical(_ img: RGBImage, outHeight: Int, coeffs c: Coefficients) -> RGBImage {
        let w = img.width, rowBytes = w * 3
        var out = [UInt8](repeating: 0, count: w * outHeight * 3)
        let half = 1 << (precisionBits - 1)
        img.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                c.weights.withUnsafeBufferPointer { wts in
                    var acc = [Int](repeating: 0, count: rowBytes)
                    for yy in 0..<outHeight {
                        let s0 = c.start[yy], n = c.count[yy], kb = yy * c.stride
                        for j in 0..<rowBytes { acc[j] = half }
                        for i in 0..<n {
                            let wgt = Int(wts[kb + i]), row = (s0 + i) * rowBytes
                            for j in 0..<rowBytes { acc[j] += Int(src[row + j]) * wgt }
                        }
                        let o = yy * rowBytes
                        for j in 0..<rowBytes { dst[o + j] = clip8(acc[j]) }
                    }
                }
            }
        }
        return RGBImage(width: w, height: outHeight, pixels: out)
    }
}
