import Foundation
import ImageIO
import XCTest

/// `zoo tokenize` end to end on a tiny fixture model: ImageFolder class ids, rows, resuming an
/// interrupted file, shards merged, corrupt images skipped, ten-crop rows.
final class TokenizeTests: XCTestCase {
    let fixture = "tiny_legacy_vq_r64_t32"

    /// A small ImageFolder: two classes (listed out of order on purpose), a nested folder, an image in
    /// the root (no class), PNG and JPEG, sizes other than the model's 64 x 64.
    private func makeDataset(in dir: TempDir, corrupt: Bool = false) throws -> String {
        let root = dir.file("data")
        let photo = try ImageFile.read(PackagePaths.at("assets/images/ILSVRC2012_val_00010240.png"))
        let photo2 = try ImageFile.read(PackagePaths.at("assets/images/ILSVRC2012_val_00008636.png"))
        let files: [(String, RGBImage, Bool)] = [
            ("zebra/z1.png", try photo.cropped(x: 10, y: 20, width: 90, height: 70), false),
            ("zebra/nested/z2.jpg", try photo2.cropped(x: 0, y: 0, width: 64, height: 64), true),
            ("apple/a2.JPEG", try photo2.cropped(x: 30, y: 5, width: 70, height: 100), true),
            ("apple/a1.png", try photo.cropped(x: 100, y: 100, width: 64, height: 64), false),
            ("loose.png", try photo.cropped(x: 50, y: 50, width: 80, height: 80), false),
        ]
        for (rel, img, jpeg) in files {
            let path = (root as NSString).appendingPathComponent(rel)
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            if jpeg { try ImageFile.writeJPEG(img, to: path, quality: 92) } else { try ImageFile.writePNG(img, to: path) }
        }
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: (root as NSString).appendingPathComponent("apple/notes.txt")))
        if corrupt {
            let good = try PNGCodec.encode(try photo.cropped(x: 0, y: 0, width: 64, height: 64))
            try Data(good.prefix(good.count / 2)).write(to: URL(fileURLWithPath: (root as NSString).appendingPathComponent("apple/broken.png")))
        }
        return root
    }

    private func tokenize(_ dir: String, out: String, _ extra: [String] = []) throws -> ProcessResult {
        let model = try FixtureModels.shared.path(fixture)
        return try ZooBinary.run(["tokenize", dir, "--model", model, "--out", out, "--threads", "1"] + extra)
    }

    private func rows(_ path: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").map {
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    func testImageFolderRowsHaveSortedPathsClassIdsAndTokens() throws {
        let tmp = try TempDir()
        let data = try makeDataset(in: tmp)
        let out = tmp.file("tokens.jsonl")
        let r = try tokenize(data, out: out, ["--batch", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("tokenized 5 images"), r.stdout)
        let rs = try rows(out)
        XCTAssertEqual(rs.map { $0["path"] as? String }, ["apple/a1.png", "apple/a2.JPEG", "loose.png", "zebra/nested/z2.jpg", "zebra/z1.png"])
        XCTAssertEqual(rs.map { $0["class_id"] as? Int }, [0, 0, nil, 1, 1])
        for row in rs {
            let tokens = try XCTUnwrap(row["tokens"] as? [Int])
            XCTAssertEqual(tokens.count, 32)
            XCTAssertTrue(tokens.allSatisfy { (0..<4096).contains($0) })
            XCTAssertNil(row["crop"])
        }
        // The same tokens as `zoo encode` (same centre-crop preprocessing) for one image.
        let model = try FixtureModels.shared.path(fixture)
        let enc = try ZooBinary.run(["encode", model, (data as NSString).appendingPathComponent("zebra/z1.png"), "--json", "--threads", "1"])
        XCTAssertEqual(enc.status, 0, enc.stderr)
        XCTAssertEqual(try enc.json()["tokens"] as? [[Int]], [try XCTUnwrap(rs[4]["tokens"] as? [Int])])
        // The row text is exactly what Python's json.dumps writes.
        let first = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")[0]
        XCTAssertTrue(first.hasPrefix("{\"path\": \"apple/a1.png\", \"class_id\": 0, \"tokens\": ["), String(first))
    }

    func testInterruptedRunResumesToTheSameFile() throws {
        let tmp = try TempDir()
        let data = try makeDataset(in: tmp)
        let full = tmp.file("full.jsonl")
        XCTAssertEqual(try tokenize(data, out: full).status, 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: full))
        let firstNewline = try XCTUnwrap(bytes.firstIndex(of: 0x0A))
        // Cut in the middle of a line, right after a line, and inside the first line.
        for cut in [bytes.count * 2 / 3, firstNewline + 1, 7] {
            let part = tmp.file("part-\(cut).jsonl")
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: part))
            let r = try tokenize(data, out: part, ["--batch", "3"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: part)), bytes, "resumed after a cut at byte \(cut)")
        }
        // A finished file is left as it is.
        let again = try tokenize(data, out: full)
        XCTAssertTrue(again.stdout.contains("tokenized 0 images"), again.stdout)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: full)), bytes)
    }

    func testShardsMergeToTheSingleRunFile() throws {
        let tmp = try TempDir()
        let data = try makeDataset(in: tmp)
        let full = tmp.file("full.jsonl")
        XCTAssertEqual(try tokenize(data, out: full).status, 0)
        var shards: [String] = []
        for i in 0..<3 {
            let s = tmp.file("shard\(i).jsonl")
            let r = try tokenize(data, out: s, ["--shard", "\(i)/3"])
            XCTAssertEqual(r.status, 0, r.stderr)
            shards.append(s)
        }
        XCTAssertEqual(try rows(shards[0]).map { $0["path"] as? String }, ["apple/a1.png", "zebra/nested/z2.jpg"])
        let merged = tmp.file("merged.jsonl"), npy = tmp.file("merged.npy")
        let m = try ZooBinary.run(["tokenize", "--merge"] + shards.reversed() + ["--out", merged, "--npy", npy])
        XCTAssertEqual(m.status, 0, m.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: merged)), try Data(contentsOf: URL(fileURLWithPath: full)))
        let npyBytes = try Data(contentsOf: URL(fileURLWithPath: npy))
        let header = String(decoding: npyBytes.prefix(128), as: UTF8.self)
        XCTAssertTrue(header.contains("'descr': '<i4'") && header.contains("'shape': (5, 32)"), header)
        XCTAssertEqual(npyBytes.count, 128 + 5 * 32 * 4)

        // A shard cut short by an interruption is refused, not silently merged.
        let cut = tmp.file("cut.jsonl")
        let shardBytes = try Data(contentsOf: URL(fileURLWithPath: shards[0]))
        try shardBytes.prefix(shardBytes.count - 5).write(to: URL(fileURLWithPath: cut))
        let bad = try ZooBinary.run(["tokenize", "--merge", cut, shards[1], "--out", tmp.file("x.jsonl")])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("cut line"), bad.stderr)
    }

    func testCorruptImageIsReportedAndSkipped() throws {
        let tmp = try TempDir()
        let data = try makeDataset(in: tmp, corrupt: true)
        let out = tmp.file("tokens.jsonl")
        let r = try tokenize(data, out: out)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("apple/broken.png"), r.stderr)
        XCTAssertTrue(r.stdout.contains("skipped 1"), r.stdout)
        let paths = try rows(out).map { $0["path"] as? String }
        XCTAssertEqual(paths.count, 5)
        XCTAssertFalse(paths.contains("apple/broken.png"))
    }

    func testTenCropWritesTenRowsPerImageInCropOrder() throws {
        let tmp = try TempDir()
        let data = tmp.file("flat")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let photo = try ImageFile.read(PackagePaths.at("assets/images/ILSVRC2012_val_00008636.png"))
        try ImageFile.writePNG(try photo.cropped(x: 0, y: 0, width: 120, height: 90), to: (data as NSString).appendingPathComponent("p.png"))
        let out = tmp.file("ten.jsonl")
        let r = try tokenize(data, out: out, ["--preprocess", "tencrop"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rs = try rows(out)
        XCTAssertEqual(rs.map { $0["crop"] as? Int }, Array(0..<10))
        XCTAssertTrue(rs.allSatisfy { $0["path"] as? String == "p.png" && $0["class_id"] == nil })
        // Resuming with another preprocessing is refused instead of mixing rows.
        let mixed = try tokenize(data, out: out, ["--preprocess", "adm"])
        XCTAssertEqual(mixed.status, 1)
        XCTAssertTrue(mixed.stderr.contains("--preprocess"), mixed.stderr)
    }

    func testBadArgumentsAreUsageErrors() throws {
        for args in [["tokenize", "d", "--model", "m.tzw", "--out", "o", "--shard", "3/3"],
                     ["tokenize", "d", "--model", "m.tzw", "--out", "o", "--preprocess", "zoom"],
                     ["tokenize", "d", "--out", "o"],
                     ["tokenize", "d", "--model", "m.tzw", "--out", "o", "--merge", "a.jsonl"]] {
            let r = try ZooBinary.run(args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
        }
    }
}
