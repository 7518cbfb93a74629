import ArgumentParser
import Foundation
import ModelCatalog
import ModelZoo
import WeightFormat

/// `zoo verify`: checks a weight file completely; exit 0 when sound, 1 with the reason.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a .tzw weight file completely.",
        discussion: """
            Validates the header, metadata and tensor table, the zero padding between records, the \
            CRC-32 of every tensor, that every compressed tensor inflates to exactly its size, and \
            (unless --no-build) that the registry builds the model from it: the config fits the \
            tensor shapes. Exits 0 when the file is sound, else 1 with the first problem found. \
            Non-finite weights are reported as a warning.
            """)

    @Argument(help: ArgumentHelp("A .tzw weight file.", valueName: "FILE"))
    var file: String

    @Flag(name: .customLong("no-build"), help: "Skip building the model (check the file format only).")
    var noBuild = false

    @Flag(name: .long, help: "Print JSON (also on failure: {\"sound\": false, \"error\": ...}).")
    var json = false

    func run() throws {
        do {
            let weights = try WeightFileOpening.open(file)
            let report: VerificationReport
            do { report = try weights.verify() } catch { throw CLIError("\(file): \(error)") }
            var built: String?
            if !noBuild {
                do {
                    let model = try ModelCatalog.registry.open(metadata: weights.metadata, tensors: weights, options: LoadOptions())
                    switch model {
                    case .tokenizer(let t): built = "tokenizer \(t.info.variant) (\(t.info.resolution)x\(t.info.resolution), \(t.info.numTokens) tokens)"
                    case .generator(let g): built = "generator \(g.generatorInfo.variant) (\(g.generatorInfo.numTokens) tokens, \(g.generatorInfo.numClasses) classes)"
                    }
                } catch { throw CLIError("\(file): the model does not build from this file: \(error)") }
            }
            if json {
                guard case .object(var o) = try JSONValue.parse(try InfoCommand.encoder.encode(report)) else {
                    throw CLIError("internal: report is not an object")
                }
                o["model"] = built.map { .string($0) } ?? .null
                print(Formatting.json(.object(o)))
            } else {
                print(report.text)
                if let built { print("builds: \(built)") }
            }
        } catch let error as CLIError {
            if json {
                print(Formatting.json(.object(["path": .string(file), "sound": .bool(false), "error": .string(error.description)])))
            }
            throw error
        }
    }
}
