import Foundation

/// Progress of `zoo tokenize` on stderr: a redrawn bar on a terminal, plain lines (every 10%, or
/// every 30 seconds) when stderr is a file or a pipe.
final class TokenizeProgress {
    private let total: Int
    private let isTerminal: Bool
    private let start = DispatchTime.now().uptimeNanoseconds
    private var lastDraw: UInt64 = 0
    private var lastDecile = 0
    private var done = 0
    private var skipped = 0

    init(total: Int, isTerminal: Bool = isatty(STDERR_FILENO) != 0) {
        self.total = total
        self.isTerminal = isTerminal
    }

    var elapsedSeconds: Double { Double(DispatchTime.now().uptimeNanoseconds &- start) / 1e9 }

    func advance(done d: Int, skipped s: Int) {
        done += d
        skipped += s
        let now = DispatchTime.now().uptimeNanoseconds
        let finished = done + skipped >= total
        if isTerminal {
            guard finished || now &- lastDraw > 100_000_000 else { return }
            lastDraw = now
            printStderr("\r" + barLine() + (finished ? "\n" : ""), newline: false)
        } else {
            let decile = total > 0 ? (done + skipped) * 10 / total : 10
            guard finished || decile > lastDecile || now &- lastDraw > 30_000_000_000 else { return }
            lastDecile = decile
            lastDraw = now
            printStderr("tokenize: " + counts())
        }
    }

    /// A message on its own line (clearing the bar on a terminal; it is redrawn on the next advance).
    func note(_ message: String) {
        printStderr(isTerminal ? "\r\u{1B}[K" + message : message)
        lastDraw = 0
    }

    private func counts() -> String {
        let n = done + skipped
        let pct = total > 0 ? n * 100 / total : 100
        let rate = elapsedSeconds > 0 ? Double(done) / elapsedSeconds : 0
        var s = "\(n)/\(total) images (\(pct)%), \(String(format: "%.1f", rate)) images/s"
        if skipped > 0 { s += ", \(skipped) skipped" }
        if rate > 0, n < total { s += ", ETA \(Self.clock(Double(total - n) / rate))" }
        return s
    }

    private func barLine() -> String {
        let width = 30
        let filled = total > 0 ? min(width, (done + skipped) * width / total) : width
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] " + counts() + "   "
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%02d:%02d", s / 60, s % 60)
    }
}

/// Writes to standard error without buffering.
func printStderr(_ text: String, newline: Bool = true) {
    FileHandle.standardError.write(Data((text + (newline ? "\n" : "")).utf8))
}
