import ImageIO

/// One input image brought to the model's R x R.
struct PreparedImage {
    let path: String
    let original: (width: Int, height: Int)
    let image: RGBImage
    var wasResized: Bool { original.width != image.width || original.height != image.height }
}

extension ImageSizingOptions {
    /// Reads an image file and brings it to `side` x `side`: exact size as is; otherwise a bicubic
    /// resize of the shorter side and a centre crop, or an error with `--no-resize`.
    func prepare(path: String, side: Int) throws -> PreparedImage {
        let img = try ImageFile.read(path)
        if img.width == side, img.height == side {
            return PreparedImage(path: path, original: (img.width, img.height), image: img)
        }
        if noResize {
            throw CLIError("\(path) is \(img.width)x\(img.height) but the model takes \(side)x\(side) images (drop --no-resize to resize and centre-crop it)")
        }
        let out = try Preprocess.resizeShorterSideAndCenterCrop(img, to: side, filter: .bicubic)
        return PreparedImage(path: path, original: (img.width, img.height), image: out)
    }
}
