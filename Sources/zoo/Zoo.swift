import ArgumentParser

@main
struct Zoo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zoo",
        abstract: "TiTok model zoo: 1D image tokenizers on the CPU.",
        discussion: """
            Models are named by variant (see `zoo list`) and found as <Variant>-<R>.tzw in --models DIR, \
            $TITOK_MODELS, then $XDG_CACHE_HOME/titok (~/.cache/titok); a path to a .tzw file works too. \
            --random-weights builds any variant untrained, without a file.
            """,
        subcommands: [ListCommand.self, InfoCommand.self, VerifyCommand.self, EncodeCommand.self, DecodeCommand.self,
                      RunCommand.self, BenchCommand.self, TokenizeCommand.self, GenerateCommand.self])
}
