import ArgumentParser
import Foundation
import ImageIO
import ModelZoo

/// `zoo decode`: token JSON (from `zoo encode --json`) to PNG images.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode token ids (VQ) or latents (VAE) back to images.",
        discussion: """
            TOKENS is the JSON written by `zoo encode --json`: "tokens" ([B][N] ids in \
            0..<codebook) for VQ models, "latents" ([B][C][N]) for VAE models. Writes \
            DIR/0.png, DIR/1.png, ... (pixels clamped to [0, 1], times 255, truncated); --npy \
            also writes the unclamped float32 pixels [B, 3, R, R].
            """)

    @OptionGroup var model: ModelOptions

    @Argument(help: ArgumentHelp("Token JSON from `zoo encode --json`.", valueName: "TOKENS"))
    var tokensFile: String

    @Option(name: .customLong("out-dir"), help: ArgumentHelp("Folder for 0.png, 1.png, ... (created if missing).", valueName: "DIR"))
    var outDir: String

    @Option(name: .long, help: ArgumentHelp("Also write the decoded float32 pixels as .npy [B, 3, R, R].", valueName: "FILE"))
    var npy: String?

    @OptionGroup var folder: ModelsFolderOptions
    @OptionGroup var threading: ThreadOptions

    func run() throws {
        let (fileModel, payload) = try TokenFile.read(path: tokensFile)
        let threads = threading.apply()
        let opened = try model.openTokenizer(models: folder.searchPath, threads: threads)
        let info = opened.info
        if let m = fileModel, m.lowercased() != info.variant.lowercased() {
            printError("warning: \(tokensFile) was encoded by \(m), decoding with \(info.variant)")
        }
        let (pixels, batch) = try Self.decode(payload, with: opened.tokenizer, info: info, file: tokensFile)
        try Self.makeDirectory(outDir)
        let side = info.resolution
        for b in 0..<batch {
            let path = (outDir as NSString).appendingPathComponent("\(b).png")
            try ImageFile.writePNG(PixelTensors.image(fromPlanar: pixels, index: b, side: side), to: path)
        }
        if let npy { try NPYFile.writeFloat32(pixels, shape: [batch, 3, side, side], to: npy) }
        print("decoded \(batch) image\(batch == 1 ? "" : "s") with \(info.variant) to \(outDir)/{0..\(batch - 1)}.png")
    }

    /// Checks the payload against the model (kind, counts, id range) and decodes it.
    static func decode(_ payload: TokenFile.Payload, with tokenizer: ImageTokenizer, info: TokenizerInfo, file: String) throws -> ([Float], Int) {
        let n = info.numTokens
        switch payload {
        case .tokens(let images):
            guard !info.isVAE else {
                throw CLIError("\(file) holds token ids, but \(info.variant) is a VAE model: it decodes \"latents\" [B][\(info.tokenDim)][\(n)]")
            }
            guard !images.isEmpty else { throw CLIError("\(file) holds no images") }
            var flat: [Int32] = []
            flat.reserveCapacity(images.count * n)
            for (b, ids) in images.enumerated() {
                guard ids.count == n else {
                    throw CLIError("\(file): image \(b) has \(ids.count) tokens; \(info.variant) uses \(n) per image")
                }
                for (i, id) in ids.enumerated() {
                    guard id >= 0, id < info.codebookSize else {
                        throw CLIError("\(file): token \(i) of image \(b) is \(id), outside the codebook 0..<\(info.codebookSize)")
                    }
                    flat.append(Int32(id))
                }
            }
            let pixels = try flat.withUnsafeBufferPointer { try tokenizer.decode(tokens: $0, batch: images.count) }
            return (pixels, images.count)
        case .latents(let images):
            guard info.isVAE else {
                throw CLIError("\(file) holds latents, but \(info.variant) is a VQ model: it decodes \"tokens\" [B][\(n)]")
            }
            guard !images.isEmpty else { throw CLIError("\(file) holds no images") }
            let c = info.tokenDim
            var flat: [Float] = []
            flat.reserveCapacity(images.count * c * n)
            for (b, channels) in images.enumerated() {
                guard channels.count == c else {
                    throw CLIError("\(file): image \(b) has \(channels.count) latent channels; \(info.variant) uses \(c)")
                }
                for (ch, row) in channels.enumerated() {
                    guard row.count == n else {
                        throw CLIError("\(file): latents[\(b)][\(ch)] has \(row.count) values; \(info.variant) uses \(n) tokens")
                    }
                    flat.append(contentsOf: row)
                }
            }
            let pixels = try flat.withUnsafeBufferPointer { try tokenizer.decode(latents: $0, batch: images.count) }
            return (pixels, images.count)
        }
    }

    static func makeDirectory(_ path: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw CLIError("--out-dir \(path) exists and is not a folder") }
            return
        }
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw CLIError("cannot create folder \(path): \((error as NSError).localizedDescription)")
        }
    }
}
