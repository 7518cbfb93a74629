import ArgumentParser
import Foundation
import ModelCatalog
import ModelZoo
import WeightFormat

/// `zoo list`: every registered variant with its size, cost and where its weights are.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the registered model variants.",
        discussion: """
            One row per variant and resolution: tokens per image, codebook size (VAE: latent \
            channels), parameters, GFLOPs per image to encode and to decode (generators: per \
            network pass; a guided sampling step runs two), and where the weights \
            are: the installed file on the model search path, the Hugging Face repo the released \
            checkpoint can be converted from (tools/convert_checkpoint.py --from-hub REPO), or \
            "never published" (such variants still run untrained with --random-weights).
            """)

    @OptionGroup var folder: ModelsFolderOptions

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let registry = ModelCatalog.registry
        let search = folder.searchPath
        var rows: [[String]] = []
        var objects: [JSONValue] = []
        for v in registry.variants {
            for r in v.resolutions {
                let cost = v.costs[r]
                let weights = registry.availability(of: v, resolution: r, models: search)
                rows.append([
                    v.name, String(r), String(v.numTokens),
                    v.isVAE ? "VAE C=\(v.tokenDim)" : String(v.codebookSize),
                    cost.map { Formatting.count($0.parameters) } ?? "-",
                    cost.map { Self.gflops(v, $0) } ?? "-",
                    weights.description,
                ])
                objects.append(Self.json(v, resolution: r, cost: cost, weights: weights))
            }
        }
        if json {
            print(Formatting.json(.array(objects)))
        } else if rows.isEmpty {
            print("no variants are registered in this build")
        } else {
            print(Formatting.table(header: ["VARIANT", "RES", "TOKENS", "CODEBOOK", "PARAMS", "GFLOPS ENC/DEC", "WEIGHTS"], rows: rows))
        }
    }

    /// "enc / dec" for tokenizers; generators have one network pass per sampling step (two when guided).
    static func gflops(_ v: VariantInfo, _ c: VariantCost) -> String {
        v.kind == .generator ? String(format: "%.1f per pass", c.encodeGFLOPs)
                             : String(format: "%.1f / %.1f", c.encodeGFLOPs, c.decodeGFLOPs)
    }

    static func json(_ v: VariantInfo, resolution r: Int, cost: VariantCost?, weights: WeightsAvailability) -> JSONValue {
        var o: [String: JSONValue] = [
            "name": .string(v.name), "family": .string(v.family), "kind": .string(v.kind.rawValue),
            "resolution": .int(r), "tokens": .int(v.numTokens), "codebook_size": .int(v.codebookSize),
            "token_dim": .int(v.tokenDim), "vae": .bool(v.isVAE), "summary": .string(v.summary),
            "file_name": .string(ModelSearchPath.fileName(variant: v.name, resolution: r)),
        ]
        if let c = cost {
            o["parameters"] = .int(c.parameters)
            if v.kind == .generator {
                o["pass_gflops"] = .number(c.encodeGFLOPs)
            } else {
                o["encode_gflops"] = .number(c.encodeGFLOPs)
                o["decode_gflops"] = .number(c.decodeGFLOPs)
            }
        }
        if let t = v.pairedTokenizer { o["tokenizer"] = .string(t) }
        switch weights {
        case .installed(let p): o["weights"] = .object(["status": .string("installed"), "path": .string(p)])
        case .onHub(let repo): o["weights"] = .object(["status": .string("hub"), "repo": .string(repo)])
        case .neverPublished: o["weights"] = .object(["status": .string("never_published")])
        }
        return .object(o)
    }
}
