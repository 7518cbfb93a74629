// libFuzzer target for the .tzw parser: arbitrary bytes go to `WeightFile(bytes:)`; whatever
// opens is summarised, verified and decoded. Each input is also tried with its header, index and
// tensor CRCs fixed up, so mutations reach the table, metadata and zlib paths instead of
// stopping at a CRC mismatch. Built by fuzz/run.sh together with Sources/WeightFormat.
import Foundation

private func put32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
    withUnsafeBytes(of: v.littleEndian) { for (i, x) in $0.enumerated() { b[at + i] = x } }
}

private func read64(_ b: [UInt8], _ at: Int) -> UInt64 {
    b.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
}

/// Recomputes the index CRC (when the header's table bounds lie inside the input) and the header CRC.
private func fixIndexAndHeaderCRC(_ b: inout [UInt8]) {
    guard b.count >= 80 else { return }
    let tableOffset = read64(b, 40), tableLength = read64(b, 48)
    if tableOffset >= 80, tableOffset <= UInt64(b.count), tableLength <= UInt64(b.count) - tableOffset {
        let end = Int(tableOffset + tableLength)
        put32(&b, 76, b.withUnsafeBytes { Zlib.crc32(UnsafeRawBufferPointer(rebasing: $0[80..<end])) })
    }
    put32(&b, 72, b.withUnsafeBytes { Zlib.crc32(UnsafeRawBufferPointer(rebasing: $0[0..<72])) })
}

/// Exercises everything a user of an opened file can do.
private func exercise(_ file: WeightFile) {
    _ = file.summary.text
    _ = try? file.verify()
    for entry in file.entries {
        _ = try? file.float32(entry.name)
        if entry.rawLength <= 1 << 24 { _ = try? file.rawBytes(entry.name) }
        if let strips = file.strips16(entry.name) {
            _ = strips.float32?.reduce(0, +)
            _ = strips.bits16?.reduce(0) { $0 &+ $1 }
        }
        if let deferred = file.deferredFloat32(entry.name), deferred.count > 0 {
            let part = min(deferred.count, 64)
            var values = [Float](repeating: 0, count: part)
            deferred.read(elements: (deferred.count - part)..<deferred.count, into: &values)
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func weightFileFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    if let file = try? WeightFile(bytes: input) { exercise(file) }

    // The same bytes with valid header and index CRCs.
    var fixed = Array(input)
    fixIndexAndHeaderCRC(&fixed)
    guard let file = try? WeightFile(bytes: fixed) else { return 0 }
    exercise(file)

    // And with every tensor CRC matching its stored bytes, so corrupt zlib streams reach inflate.
    for (index, entry) in file.entries.enumerated() {
        let crc = Zlib.crc32(file.storedBytes(of: entry))
        if let at = crcOffset(fixed, entryIndex: index) { put32(&fixed, at, crc) }
    }
    fixIndexAndHeaderCRC(&fixed)
    if let file = try? WeightFile(bytes: fixed) { exercise(file) }
    return 0
}

/// Byte offset of entry `entryIndex`'s crc32 field (for a table that has already parsed).
private func crcOffset(_ b: [UInt8], entryIndex: Int) -> Int? {
    var at = Int(read64(b, 40))
    for i in 0...entryIndex {
        guard at + 2 <= b.count else { return nil }
        let nameLength = Int(b[at]) | Int(b[at + 1]) << 8
        let ndimAt = at + 2 + nameLength + 2
        guard ndimAt < b.count else { return nil }
        let end = at + 2 + nameLength + 4 + 8 * Int(b[ndimAt]) + 28
        guard end <= b.count else { return nil }
        if i == entryIndex { return end - 4 }
        at = end
    }
    return nil
}
