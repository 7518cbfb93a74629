import Foundation
import ImageIO
import Kernels
import ModelZoo

/// One `zoo tokenize DIR` run: list, resume, pipeline, encode, write, summarise.
struct TokenizeRun {
    let command: TokenizeCommand

    func execute() throws {
        let mode = PreprocessMode(rawValue: command.preprocess) ?? .center
        let dataset = try Dataset.scan(command.directory ?? ".")
        let shard = try command.shard.map { try ShardSpec(parsing: $0) }
        let mine = shard?.select(dataset.entries) ?? dataset.entries

        let opened = try command.openModel()
        let info = opened.info
        let side = info.resolution
        let shape = RowShape(tokens: info.isVAE ? nil : info.numTokens,
                             latents: info.isVAE ? [info.tokenDim, info.numTokens] : nil,
                             cropsPerImage: mode.cropsPerImage)
        let resumed = try TokenizeOutput.resume(command.out, shape: shape)
        let todo = mine.filter { !resumed.done.contains($0.relativePath) }
        // Appending keeps the canonical order only when everything done sorts before everything to do.
        let needsSort = resumed.lastDone.map { last in
            todo.contains { TokenizeRow.precedes(($0.relativePath, nil), (last, nil)) }
        } ?? false

        var header = "tokenize: \(mine.count) images in \(dataset.root)"
        if !dataset.classes.isEmpty { header += " (\(dataset.classes.count) classes)" }
        if let shard { header += ", shard \(shard) of \(dataset.entries.count)" }
        header += "; model \(info.variant) \(side)x\(side) (\(opened.source)); preprocess \(mode.rawValue)"
        printStderr(header)
        if !resumed.done.isEmpty || resumed.dropped > 0 {
            printStderr("tokenize: resuming \(command.out): \(resumed.done.count) images already done" +
                        (resumed.dropped > 0 ? ", \(resumed.dropped) cut-off rows dropped" : ""))
        }

        let workers = command.workers > 0 ? command.workers : PreparePipeline.defaultWorkers(cores: ComputeThreads.available)
        let root = dataset
        let pipeline = PreparePipeline(total: todo.count, workers: workers, capacity: max(2 * command.batch, 2 * workers)) { i in
            let image = try ImageFile.read(root.path(of: todo[i]))
            let crops = try mode.apply(image, resolution: side)
            var pixels: [Float] = []
            pixels.reserveCapacity(crops.count * 3 * side * side)
            for c in crops { PixelTensors.appendPlanar(c, to: &pixels) }
            return PreparedInput(pixels: pixels, crops: crops.count)
        }
        defer { pipeline.finish() }

        let writer = try RowWriter(appendingTo: command.out)
        defer { writer.close() }
        let progress = TokenizeProgress(total: todo.count)
        var stats = TokenizeStats()
        var batchPixels: [Float] = []
        var batchEntries: [(entry: DatasetEntry, crops: Int)] = []

        func flush() throws {
            guard !batchEntries.isEmpty else { return }
            let crops = batchEntries.reduce(0) { $0 + $1.crops }
            let (encoding, ms) = try Stopwatch.measure {
                try batchPixels.withUnsafeBufferPointer { try opened.tokenizer.encode(pixels: $0, batch: crops) }
            }
            stats.modelMs += ms
            let (_, writeMs) = try Stopwatch.measure { try write(encoding, entries: batchEntries, info: info, to: writer) }
            stats.writeMs += writeMs
            stats.images += batchEntries.count
            stats.rows += crops
            progress.advance(done: batchEntries.count, skipped: 0)
            batchPixels.removeAll(keepingCapacity: true)
            batchEntries.removeAll(keepingCapacity: true)
        }

        for i in 0..<todo.count {
            let (result, waitMs) = Stopwatch.measure { pipeline.take(i) }
            stats.waitMs += waitMs
            switch result {
            case .failure(let error):
                stats.skipped += 1
                progress.note("skipped \(dataset.path(of: todo[i])): \(error)")
                progress.advance(done: 0, skipped: 1)
            case .success(let prepared):
                batchPixels.append(contentsOf: prepared.pixels)
                batchEntries.append((todo[i], prepared.crops))
                if batchEntries.count >= command.batch { try flush() }
            }
        }
        try flush()
        pipeline.finish()
        writer.close()
        if needsSort { try TokenizeOutput.sortInPlace(command.out) }
        if let npy = command.npy { try TokenizeNPY.write(fromRows: command.out, to: npy) }

        stats.wallSeconds = progress.elapsedSeconds
        stats.prepareMs = pipeline.busyMs
        print(stats.summary(workers: workers, alreadyDone: resumed.done.count, out: command.out, npy: command.npy))
        if let note = ProcessMemory.smallPagesNote(file: opened.source) { progress.note(note) }
    }

    /// Rows of one encoded batch, one write per image.
    private func write(_ e: TokenizerEncoding, entries: [(entry: DatasetEntry, crops: Int)], info: TokenizerInfo, to writer: RowWriter) throws {
        let n = info.numTokens, c = info.tokenDim
        if e.tokens == nil, !e.latents.allSatisfy(\.isFinite) {
            throw CLIError("the model produced non-finite latents")
        }
        var k = 0
        for (entry, crops) in entries {
            var lines: [String] = []
            for j in 0..<crops {
                let crop = crops > 1 ? j : nil
                if let t = e.tokens {
                    lines.append(TokenizeRow.line(path: entry.relativePath, classId: entry.classId, crop: crop,
                                                  tokens: t[(k * n)..<((k + 1) * n)]))
                } else {
                    lines.append(TokenizeRow.line(path: entry.relativePath, classId: entry.classId, crop: crop,
                                                  latents: e.latents[(k * c * n)..<((k + 1) * c * n)], channels: c, tokens: n))
                }
                k += 1
            }
            try writer.write(lines: lines)
        }
    }
}

/// Counters and times of a run, and the summary printed at the end.
struct TokenizeStats {
    var images = 0
    var rows = 0
    var skipped = 0
    var modelMs = 0.0
    var writeMs = 0.0
    var waitMs = 0.0
    var prepareMs = 0.0
    var wallSeconds = 0.0

    func summary(workers: Int, alreadyDone: Int, out: String, npy: String?) -> String {
        let rate = wallSeconds > 0 ? Double(images) / wallSeconds : 0
        var lines = ["tokenized \(images) images (\(rows) rows) in \(String(format: "%.2f", wallSeconds)) s: \(String(format: "%.2f", rate)) images/s; skipped \(skipped)" +
                     (alreadyDone > 0 ? "; \(alreadyDone) already done" : "")]
        lines.append("time: model \(String(format: "%.2f", modelMs / 1000)) s, decode+preprocess \(String(format: "%.2f", prepareMs / 1000)) s over \(workers) worker\(workers == 1 ? "" : "s"), waiting for input \(String(format: "%.2f", waitMs / 1000)) s, writing \(String(format: "%.2f", writeMs / 1000)) s")
        lines.append("wrote \(out)" + (npy.map { " and \($0)" } ?? ""))
        return lines.joined(separator: "\n")
    }
}
