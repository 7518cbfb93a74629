import Foundation
import XCTest
@testable import WeightFormat

/// A weight file's map is mapped page by page (never as 2 MiB huge pages), so the pages of a
/// tensor given back after packing stay out of the process when a neighbouring tensor is read.
final class MappedPagesTests: XCTestCase {
    /// One mapping of `path` in /proc/self/smaps: its resident bytes and its VmFlags.
    private struct Mapping { var residentBytes = 0; var flags: [Substring] = [] }

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
                if inside { found.append(Mapping()) }
            } else if inside, fields.first == "Rss:", fields.count >= 2, let kib = Int(fields[1]) {
                found[found.count - 1].residentBytes = kib * 1024
            } else if inside, fields.first == "VmFlags:" {
                found[found.count - 1].flags = Array(fields.dropFirst())
            }
        }
        return found
    }

    func testMapIsNeverHugePagedAndReleasedPagesStayOutWhenANeighbourIsRead() throws {
        #if os(Linux)
        let big = 1 << 21, small = 64   // a small tensor, then 8 MiB of floats right after it
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pages-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("w.tzw").path
        let writer = try WeightFileWriter(alignment: 4096)
        try writer.add(name: "small", shape: [small], values: TZW.values(small))
        try writer.add(name: "big", shape: [big], values: TZW.values(big))
        // Written in one call, as a converter writes large tensors: the page cache may then
        // hold the file in large folios (up to 2 MiB each) that a fault could map whole.
        try Data(try writer.serialized(metadata: TZW.metadata)).write(to: URL(fileURLWithPath: path))

        let file = try WeightFile(path: path)
        let maps = try mappings(of: path)
        XCTAssertEqual(maps.count, 1, "mappings of \(path)")
        XCTAssertTrue(maps.first?.flags.contains("nh") == true, "map not advised MADV_NOHUGEPAGE: \(maps)")

        let tensor = try file.float32("big")
        XCTAssertEqual(tensor.buffer.reduce(0, +), TZW.values(big).reduce(0, +))
        XCTAssertGreaterThanOrEqual(try mappings(of: path).first?.residentBytes ?? 0, 4 * big - 8192)
        file.releaseResidentPages(of: tensor)
        XCTAssertEqual(Array(try file.float32("small").buffer), TZW.values(small))
        // Fault-around maps at most a few dozen pages near the small tensor; a huge page would
        // bring back 2 MiB of the released tensor.
        XCTAssertLessThan(try mappings(of: path).first?.residentBytes ?? .max, 1 << 20)
        #endif
    }
}
