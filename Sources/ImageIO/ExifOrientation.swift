/// The EXIF orientation tag (0x0112) of a JPEG: how the stored pixels must be turned to display upright.
public enum ExifOrientation: Int, Sendable, CaseIterable {
    case normal = 1, flipHorizontal, rotate180, flipVertical, transpose, rotate90CW, transverse, rotate90CCW

    /// Reads the orientation from the first `Exif` APP1 segment; `.normal` when absent or unreadable.
    /// Scans markers only up to the start of scan; every read is bounds-checked.
    public static func read(jpeg d: UnsafeRawBufferPointer) -> ExifOrientation {
        guard d.count >= 4, d[0] == 0xFF, d[1] == 0xD8 else { return .normal }
        var pos = 2
        while pos + 4 <= d.count {
            guard d[pos] == 0xFF else { return .normal }
            let marker = d[pos + 1]
            if marker == 0xFF { pos += 1; continue }          // fill byte
            if marker == 0xDA || marker == 0xD9 { return .normal } // start of scan / end of image
            if (0xD0...0xD7).contains(marker) || marker == 0x01 { pos += 2; continue }
            let length = Int(d[pos + 2]) << 8 | Int(d[pos + 3])
            guard length >= 2, pos + 2 + length <= d.count else { return .normal }
            let body = pos + 4, bodyEnd = pos + 2 + length
            if marker == 0xE1, bodyEnd - body >= 14,
               d[body] == 0x45, d[body + 1] == 0x78, d[body + 2] == 0x69, d[body + 3] == 0x66,
               d[body + 4] == 0, d[body + 5] == 0 {
                if let o = fromTIFF(d, start: body + 6, end: bodyEnd) { return o }
            }
            pos = bodyEnd
        }
        return .normal
    }

    /// Parses IFD0 of the TIFF structure in [start, end) for tag 0x0112.
    private static func fromTIFF(_ d: UnsafeRawBufferPointer, start: Int, end: Int) -> ExifOrientation? {
        guard end - start >= 8 else { return nil }
        let little: Bool
        if d[start] == 0x49 && d[start + 1] == 0x49 { little = true }
        else if d[start] == 0x4D && d[start + 1] == 0x4D { little = false }
        else { return nil }
        func u16(_ at: Int) -> Int? {
            guard at >= start, at + 2 <= end else { return nil }
            return little ? Int(d[at]) | Int(d[at + 1]) << 8 : Int(d[at]) << 8 | Int(d[at + 1])
        }
        func u32(_ at: Int) -> Int? {
            guard let a = u16(at), let b = u16(at + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard u16(start + 2) == 42, let ifd = u32(start + 4), ifd <= end - start,
              let count = u16(start + ifd) else { return nil }
        for i in 0..<count {
            let entry = start + ifd + 2 + i * 12
            guard let tag = u16(entry), let type = u16(entry + 2) else { return nil }
            if tag == 0x0112 {
                guard type == 3, let v = u16(entry + 8) else { return nil }
                return ExifOrientation(rawValue: v) ?? .normal
            }
        }
        return nil
    }
}

extension RGBImage {
    /// The image turned upright according to an EXIF orientation (orientations 5-8 swap width and height).
    public func applying(_ o: ExifOrientation) -> RGBImage {
        if o == .normal { return self }
        let w = width, h = height
        let swaps = o.rawValue >= 5
        let ow = swaps ? h : w, oh = swaps ? w : h
        var out = [UInt8](repeating: 0, count: ow * oh * 3)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<oh {
                    for x in 0..<ow {
                        // (sx, sy): the stored pixel shown at (x, y).
                        let sx: Int, sy: Int
                        switch o {
                        case .normal: sx = x; sy = y
                        case .flipHorizontal: sx = w - 1 - x; sy = y
                        case .rotate180: sx = w - 1 - x; sy = h - 1 - y
                        case .flipVertical: sx = x; sy = h - 1 - y
                        case .transpose: sx = y; sy = x
                        case .rotate90CW: sx = y; sy = h - 1 - x
                        case .transverse: sx = w - 1 - y; sy = h - 1 - x
                        case .rotate90CCW: sx = w - 1 - y; sy = x
                        }
                        let s = (sy * w + sx) * 3, t = (y * ow + x) * 3
                        dst[t] = src[s]; dst[t + 1] = src[s + 1]; dst[t + 2] = src[s + 2]
                    }
                }
            }
        }
        return RGBImage(width: ow, height: oh, pixels: out)
    }
}
