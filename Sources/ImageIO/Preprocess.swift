/// The reference pipelines that turn a photo into R x R model inputs (see docs/preprocessing.md).
public enum Preprocess {
    /// Python's `round()` on a double: half to even.
    static func pyRound(_ x: Double) -> Int { Int(x.rounded(.toNearestOrEven)) }

    /// Resizes so the shorter side is `size` (the longer side truncated, as torchvision's `Resize(size)`),
    /// then crops the centre `size` x `size` (offsets rounded half to even, as torchvision's `CenterCrop`).
    /// The reference's evaluation transform, and `zoo run`'s default.
    public static func resizeShorterSideAndCenterCrop(_ image: RGBImage, to size: Int,
                                                      filter: ResampleFilter = .bicubic) throws -> RGBImage {
        try checkTarget(size)
        let w = image.width, h = image.height
        let short = min(w, h), long = max(w, h)
        let newLong = Int(Double(size * long) / Double(short))
        let (nw, nh) = w <= h ? (size, newLong) : (newLong, size)
        let resized = try Resize.resize(image, width: nw, height: nh, filter: filter)
        return try centerCropTorchvision(resized, size: size)
    }

    /// torchvision `center_crop`: top-left at round((H - s) / 2), round((W - s) / 2).
    static func centerCropTorchvision(_ image: RGBImage, size: Int) throws -> RGBImage {
        let top = pyRound(Double(image.height - size) / 2.0)
        let left = pyRound(Double(image.width - size) / 2.0)
        return try image.cropped(x: left, y: top, width: size, height: size)
    }

    /// ADM's `center_crop_arr` (used for ImageNet pre-tokenization): halve with a box filter while the
    /// shorter side is at least 2 * size, bicubic-resize so the shorter side is `size`, crop the centre
    /// with offsets (W - size) / 2, (H - size) / 2 rounded down.
    public static func admCenterCrop(_ image: RGBImage, to size: Int) throws -> RGBImage {
        try checkTarget(size)
        var img = image
        while min(img.width, img.height) >= 2 * size {
            img = try Resize.resize(img, width: img.width / 2, height: img.height / 2, filter: .box)
        }
        let scale = Double(size) / Double(min(img.width, img.height))
        img = try Resize.resize(img, width: pyRound(Double(img.width) * scale),
                                height: pyRound(Double(img.height) * scale), filter: .bicubic)
        return try img.cropped(x: (img.width - size) / 2, y: (img.height - size) / 2, width: size, height: size)
    }

    /// The side of the ADM crop that ten-crop cuts from: int(1.1 * size).
    public static func tenCropOuterSize(_ size: Int) -> Int { Int(Double(size) * 1.1) }

    /// Ten-crop for generator training: the ADM centre crop to int(1.1 * size), then torchvision's
    /// `TenCrop(size)`: top-left, top-right, bottom-left, bottom-right, centre of that crop, then the
    /// same five of its horizontal mirror image.
    public static func tenCrop(_ image: RGBImage, to size: Int) throws -> [RGBImage] {
        let outer = try admCenterCrop(image, to: tenCropOuterSize(size))
        return try fiveCrop(outer, size: size) + fiveCrop(outer.flippedHorizontally(), size: size)
    }

    /// torchvision `five_crop`: corners then centre.
    static func fiveCrop(_ image: RGBImage, size: Int) throws -> [RGBImage] {
        let w = image.width, h = image.height
        return [
            try image.cropped(x: 0, y: 0, width: size, height: size),
            try image.cropped(x: w - size, y: 0, width: size, height: size),
            try image.cropped(x: 0, y: h - size, width: size, height: size),
            try image.cropped(x: w - size, y: h - size, width: size, height: size),
            try centerCropTorchvision(image, size: size),
        ]
    }

    private static func checkTarget(_ size: Int) throws {
        guard size > 0, size <= 8192 else {
            throw ImageIOError.invalidArgument("target resolution must be in 1...8192, got \(size)")
        }
    }
}

/// A named preprocessing pipeline, as selected by `zoo tokenize --preprocess`.
public enum PreprocessMode: String, Sendable, CaseIterable {
    /// Shorter side to R (bicubic), centre crop: the reference's evaluation transform.
    case center
    /// ADM centre crop (box halving, bicubic, floor-offset crop): ImageNet pre-tokenization.
    case adm
    /// ADM crop to int(1.1 R), then ten R x R crops (five and five mirrored).
    case tencrop

    /// Crops produced per image.
    public var cropsPerImage: Int { self == .tencrop ? 10 : 1 }

    /// The R x R model inputs for one image.
    public func apply(_ image: RGBImage, resolution: Int) throws -> [RGBImage] {
        switch self {
        case .center: return [try Preprocess.resizeShorterSideAndCenterCrop(image, to: resolution)]
        case .adm: return [try Preprocess.admCenterCrop(image, to: resolution)]
        case .tencrop: return try Preprocess.tenCrop(image, to: resolution)
        }
    }
}
