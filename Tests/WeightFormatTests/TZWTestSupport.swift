import Foundation
@testable import WeightFormat

/// Builders for small valid `.tzw` files and byte-level edits of them (with CRC fix-ups so that
/// deeper validation steps are reached).
enum TZW {
    static let metadata: JSONValue = .object([
        "format": .string(WeightFileWriter.formatName),
        "family": .string("titok"),
        "variant": .string("test_variant"),
        "config": .object(["num_tokens": .number(32)]),
    ])

    /// Deterministic values in [-1, 1).
    static func values(_ count: Int, seed: UInt64 = 1) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(Int64(state % 2001) - 1000) / 1000
        }
    }

    /// A file with three tensors: raw f32 "a" [2,3], zlib f16 "b" [4], shuffled bf16 "c" [2,2].
    static func small(alignment: Int = 64) throws -> [UInt8] {
        let w = try WeightFileWriter(alignment: alignment)
        try w.add(name: "a", shape: [2, 3], values: values(6))
        try w.add(name: "b", shape: [4], values: values(4, seed: 2), as: .f16, encoding: .zlib)
        try w.add(name: "c", shape: [2, 2], values: values(4, seed: 3), as: .bf16, encoding: .zlibShuffle)
        return try w.serialized(metadata: metadata)
    }

    /// Parse error of `bytes`, or nil when they open.
    static func error(_ bytes: [UInt8], verify: Bool = false) -> WeightFormatError? {
        do {
            let f = try WeightFile(bytes: bytes, verifyChecksums: verify)
            if verify { _ = try f.verify() }
            return nil
        } catch let e as WeightFormatError {
            return e
        } catch {
            return .badMetadata("unexpected error type: \(error)")
        }
    }

    // MARK: byte edits

    static func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
        b.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
    }
    static func u64(_ b: [UInt8], _ at: Int) -> UInt64 {
        b.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
    }
    static func put<T: FixedWidthInteger>(_ b: inout [UInt8], _ at: Int, _ v: T) {
        withUnsafeBytes(of: v.littleEndian) { for (i, x) in $0.enumerated() { b[at + i] = x } }
    }

    static func tableOffset(_ b: [UInt8]) -> Int { Int(u64(b, 40)) }
    static func tableLength(_ b: [UInt8]) -> Int { Int(u64(b, 48)) }
    static func dataOffset(_ b: [UInt8]) -> Int { Int(u64(b, 56)) }

    /// Recomputes the header CRC (after editing bytes 0..<72).
    static func fixHeaderCRC(_ b: inout [UInt8]) {
        put(&b, 72, b.withUnsafeBytes { Zlib.crc32(UnsafeRawBufferPointer(rebasing: $0[0..<72])) })
    }

    /// Recomputes the index CRC over metadata + table, then the header CRC.
    static func fixIndexCRC(_ b: inout [UInt8]) {
        let start = 80, end = tableOffset(b) + tableLength(b)
        put(&b, 76, b.withUnsafeBytes { Zlib.crc32(UnsafeRawBufferPointer(rebasing: $0[start..<end])) })
        fixHeaderCRC(&b)
    }

    /// Byte offsets of each table entry's fields.
    struct EntryFields {
        let start, dtype, encoding, ndim, reserved, shape, offset, stored, raw, crc, end: Int
    }

    static func entries(_ b: [UInt8]) -> [EntryFields] {
        var at = tableOffset(b)
        let count = Int(u32(b, 20))
        var out: [EntryFields] = []
        for _ in 0..<count {
            let n = Int(UInt16(b[at]) | UInt16(b[at + 1]) << 8)
            let p = at + 2 + n
            let ndim = Int(b[p + 2])
            let shape = p + 4
            let offset = shape + 8 * ndim
            out.append(EntryFields(start: at, dtype: p, encoding: p + 1, ndim: p + 2, reserved: p + 3, shape: shape,
                                   offset: offset, stored: offset + 8, raw: offset + 16, crc: offset + 24, end: offset + 28))
            at = offset + 28
        }
        return out
    }

    /// Replaces the metadata with `json` bytes, fixing every offset and CRC that depends on it.
    static func replacingMetadata(_ b: [UInt8], with json: [UInt8]) -> [UInt8] {
        let table = Array(b[tableOffset(b)..<(tableOffset(b) + tableLength(b))])
        let data = Array(b[dataOffset(b)...])
        let alignment = Int(u32(b, 16))
        var out = Array(b[0..<80]) + json + table
        let dataOffset = (out.count + alignment - 1) / alignment * alignment
        out += [UInt8](repeating: 0, count: dataOffset - out.count) + data
        put(&out, 32, UInt64(json.count))
        put(&out, 40, UInt64(80 + json.count))
        put(&out, 56, UInt64(dataOffset))
        put(&out, 64, UInt64(out.count))
        fixIndexCRC(&out)
        return out
    }
}
