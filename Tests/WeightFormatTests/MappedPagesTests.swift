import Foundation
import XCTest
@testable import WeightFormat

/// A weight file's map is advised huge pages (so weights used in place may be mapped 2 MiB at a
/// time), except the pages of a tensor given back after packing, a mapping of their own: they
/// stay out of the process when a neighbouring tensor is read.
final class MappedPagesTests: XCTestCase {
    /// One mapping of `path` in /proc/self/smaps: its address range, resident bytes and VmFlags.
    private struct Mapping {
        var range: Range<Int>
        var residentBytes = 0
        var flags: [Substring] = []
        func covers(_ pointer: UnsafeRawPointer) -> Bool { range.contains(Int(bitPattern: pointer)) }
    }

    private func mappings(of path: String) throws -> [Mapping] {
        // /proc files report size 0: read to the end rather than by the reported size.
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/smaps"))
        defer { try? handle.close() }
        let text = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        var found: [Mapping] = [], inside = false
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = fields.first, first.contains("-"), !first.hasSuffix(":") {
                inside = line.hasSuffix(path)
                let bounds = first.split(separator: "-").compactMap { Int($0, radix: 16) }
                if inside, bounds.count == 2 { found.append(Mapping(range: bounds[0]..<bounds[1])) }
            } else if inside, fields.first == "Rss:", fields.count >= 2, let kib = Int(fields[1]) {
                found[found.count - 1].residentBytes = kib * 1024
            } else if inside, fields.first == "VmFlags:" {
                found[found.count - 1].flags = Array(fields.dropFirst())
            }
        }
        return found
    }

    func testMapIsHugePagedAndReleasedPagesStayOutWhenANeighbourIsRead() throws {
        #if os(Linux)
        // A small tensor, 8 MiB of floats right after it, then 8 MiB more that stay in use.
        let big = 1 << 21, small = 64
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pages-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("w.tzw").path
        let writer = try WeightFileWriter(alignment: 4096)
        try writer.add(name: "small", shape: [small], values: TZW.values(small))
        try writer.add(name: "big", shape: [big], values: TZW.values(big))
        try writer.add(name: "kept", shape: [big], values: TZW.values(big, seed: 2))
        // Written in one call, as a converter writes large tensors: the page cache may then
        // hold the file in large folios (up to 2 MiB each) that a fault could map whole.
        try Data(try writer.serialized(metadata: TZW.metadata)).write(to: URL(fileURLWithPath: path))

        let file = try WeightFile(path: path)
        let opened = try mappings(of: path)
        XCTAssertEqual(opened.count, 1, "mappings of \(path)")
        XCTAssertTrue(opened.first?.flags.contains("hg") == true, "map not advised MADV_HUGEPAGE: \(opened)")

        let tensor = try file.float32("big"), kept = try file.float32("kept")
        XCTAssertEqual(tensor.buffer.reduce(0, +), TZW.values(big).reduce(0, +))
        XCTAssertGreaterThanOrEqual(try mappings(of: path).reduce(0) { $0 + $1.residentBytes }, 4 * big - 8192)
        file.releaseResidentPages(of: tensor)

        // The released pages are a mapping of their own, advised no huge pages; the tensor in
        // use keeps its advice.
        let released = try mappings(of: path)
        let middle = released.first { $0.covers(UnsafeRawPointer(tensor.baseAddress + big / 2)) }
        XCTAssertTrue(middle?.flags.contains("nh") == true, "released tensor: \(released)")
        XCTAssertFalse(middle?.covers(UnsafeRawPointer(kept.baseAddress)) ?? true, "released tensor: \(released)")
        let keptMiddle = released.first { $0.covers(UnsafeRawPointer(kept.baseAddress + big / 2)) }
        XCTAssertTrue(keptMiddle?.flags.contains("hg") == true, "middle of the tensor in use: \(released)")

        // Reading both neighbours again maps their own pages: fault-around brings a few dozen
        // pages of the released tensor at most; a 2 MiB folio mapped whole would bring 512.
        XCTAssertEqual(Array(try file.float32("small").buffer), TZW.values(small))
        XCTAssertEqual(kept.buffer.reduce(0, +), TZW.values(big, seed: 2).reduce(0, +))
        let back = try presentPages(UnsafeRawBufferPointer(tensor.buffer))
        XCTAssertLessThan(back, 64, "pages of the released tensor mapped again")
        #endif
    }

    /// Pages of `range` mapped into this process now (/proc/self/pagemap's present bit).
    private func presentPages(_ range: UnsafeRawBufferPointer) throws -> Int {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = Int(bitPattern: range.baseAddress!) / page
        let last = (Int(bitPattern: range.baseAddress!) + range.count - 1) / page
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/pagemap"))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(first * 8))
        let entries = try handle.read(upToCount: (last - first + 1) * 8) ?? Data()
        return entries.withUnsafeBytes { raw in
            (0..<(entries.count / 8)).reduce(0) { count, i in
                count + (raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) >> 63 == 1 ? 1 : 0)
            }
        }
    }
}
