/// A failure of a `zoo` command, printed as one line to stderr (exit status 1).
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
