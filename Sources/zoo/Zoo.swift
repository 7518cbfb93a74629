import ArgumentParser

@main
struct Zoo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zoo",
        abstract: "TiTok model zoo: 1D image tokenizers on the CPU.",
        subcommands: [])
}
