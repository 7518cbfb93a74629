import CZlib

/// CRC-32, zlib compression and the byte shuffle used by the `.tzw` encodings.
public enum Zlib {
    /// CRC-32 (IEEE, as zlib `crc32`) of `bytes`, continuing from `initial`.
    public static func crc32(_ bytes: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt32 {
        var crc = UInt(initial)
        guard var p = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return initial }
        var left = bytes.count
        while left > 0 {
            let n = min(left, 1 << 30)
            crc = CZlib.crc32(crc, p, UInt32(n))
            p += n
            left -= n
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    public static func crc32(_ bytes: [UInt8], initial: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { crc32($0, initial: initial) }
    }

    /// zlib stream (RFC 1950) of `bytes` at `level` (0...9).
    public static func compress(_ bytes: UnsafeRawBufferPointer, level: Int32 = 6) throws -> [UInt8] {
        var stream = z_stream()
        guard deflateInit_(&stream, level, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw WeightFormatError.invalidWrite("zlib deflateInit failed")
        }
        defer { deflateEnd(&stream) }
        var out = [UInt8]()
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        var offset = 0
        var status: Int32 = Z_OK
        repeat {
            let take = min(bytes.count - offset, 1 << 30)
            let flush = offset + take == bytes.count ? Z_FINISH : Z_NO_FLUSH
            stream.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress?.advanced(by: offset)
                .assumingMemoryBound(to: UInt8.self))
            stream.avail_in = UInt32(take)
            offset += take
            repeat {
                status = buffer.withUnsafeMutableBufferPointer { b -> Int32 in
                    stream.next_out = b.baseAddress
                    stream.avail_out = UInt32(chunk)
                    return deflate(&stream, flush)
                }
                guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                    throw WeightFormatError.invalidWrite("zlib deflate failed (\(status))")
                }
                out.append(contentsOf: buffer[0..<(chunk - Int(stream.avail_out))])
            } while stream.avail_out == 0
        } while status != Z_STREAM_END
        return out
    }

    /// Inflates the zlib stream `stored` into exactly `rawLength` bytes at `destination`;
    /// throws when the stream is corrupt, ends early, would produce more, or has bytes after its end.
    public static func inflate(_ stored: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer,
                               tensor name: String) throws {
        var stream = z_stream()
        guard inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw WeightFormatError.inflateFailed(name: name, reason: "zlib inflateInit failed")
        }
        defer { inflateEnd(&stream) }
        var spare: UInt8 = 0
        var inOffset = 0
        var outOffset = 0
        let expected = destination.count
        while true {
            let inTake = min(stored.count - inOffset, 1 << 30)
            stream.next_in = UnsafeMutablePointer(mutating: stored.baseAddress?.advanced(by: inOffset)
                .assumingMemoryBound(to: UInt8.self))
            stream.avail_in = UInt32(inTake)
            let outTake = min(expected - outOffset, 1 << 30)
            let status: Int32 = withUnsafeMutablePointer(to: &spare) { sparePointer in
                if outTake > 0 {
                    stream.next_out = destination.baseAddress!.advanced(by: outOffset).assumingMemoryBound(to: UInt8.self)
                    stream.avail_out = UInt32(outTake)
                } else {
                    // Output is full: give one spare byte so a stream that goes on is detected.
                    stream.next_out = sparePointer
                    stream.avail_out = 1
                }
                return CZlib.inflate(&stream, Z_NO_FLUSH)
            }
            let consumed = inTake - Int(stream.avail_in)
            inOffset += consumed
            if outTake > 0 {
                outOffset += outTake - Int(stream.avail_out)
            } else if stream.avail_out == 0 {
                throw WeightFormatError.inflatedSizeMismatch(name: name, expected: expected, actual: expected + 1)
            }
            switch status {
            case Z_STREAM_END:
                guard outOffset == expected else {
                    throw WeightFormatError.inflatedSizeMismatch(name: name, expected: expected, actual: outOffset)
                }
                guard inOffset == stored.count else {
                    throw WeightFormatError.inflateFailed(
                        name: name, reason: "\(stored.count - inOffset) bytes follow the end of the zlib stream")
                }
                return
            case Z_OK:
                continue
            case Z_BUF_ERROR:
                // No progress possible: input exhausted before the stream ended.
                if inOffset == stored.count {
                    throw WeightFormatError.inflateFailed(name: name, reason: "the zlib stream ends early (after \(outOffset) of \(expected) bytes)")
                }
                continue
            case Z_DATA_ERROR:
                let message = stream.msg.map { String(cString: $0) } ?? "invalid data"
                throw WeightFormatError.inflateFailed(name: name, reason: "corrupt zlib stream: \(message)")
            case Z_MEM_ERROR:
                throw WeightFormatError.inflateFailed(name: name, reason: "zlib ran out of memory")
            default:
                throw WeightFormatError.inflateFailed(name: name, reason: "zlib inflate error \(status)")
            }
        }
    }

    /// shuffled[j*n + i] = raw[i*s + j]: all first bytes of the elements, then all second bytes, ...
    public static func shuffle(_ raw: UnsafeRawBufferPointer, elementSize s: Int, into out: UnsafeMutableRawBufferPointer) {
        guard s > 1 else {
            if raw.count > 0 { out.copyMemory(from: raw) }
            return
        }
        let n = raw.count / s
        for i in 0..<n {
            for j in 0..<s { out[j * n + i] = raw[i * s + j] }
        }
    }

    /// The inverse of `shuffle`.
    public static func unshuffle(_ shuffled: UnsafeRawBufferPointer, elementSize s: Int, into out: UnsafeMutableRawBufferPointer) {
        guard s > 1, shuffled.count > 0, let src = shuffled.baseAddress, let dst = out.baseAddress else {
            if shuffled.count > 0 { out.copyMemory(from: shuffled) }
            return
        }
        let n = shuffled.count / s
        let bytes = src.assumingMemoryBound(to: UInt8.self)
        switch s {
        case 2:
            let b1 = bytes + n
            for i in 0..<n {
                dst.storeBytes(of: UInt16(bytes[i]) | UInt16(b1[i]) << 8, toByteOffset: 2 * i, as: UInt16.self)
            }
        case 4:
            let b1 = bytes + n, b2 = bytes + 2 * n, b3 = bytes + 3 * n
            for i in 0..<n {
                let v = UInt32(bytes[i]) | UInt32(b1[i]) << 8 | UInt32(b2[i]) << 16 | UInt32(b3[i]) << 24
                dst.storeBytes(of: v, toByteOffset: 4 * i, as: UInt32.self)
            }
        default:
            for j in 0..<s {
                let row = bytes + j * n
                for i in 0..<n { dst.storeBytes(of: row[i], toByteOffset: i * s + j, as: UInt8.self) }
            }
        }
    }
}
