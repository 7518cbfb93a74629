import Foundation
import WeightFormat

/// Small text helpers for the human-readable output.
enum Formatting {
    /// 1234567 -> "1.23M", 86_000_000 -> "86.0M".
    static func count(_ n: Int) -> String {
        let x = Double(n)
        if x >= 1e9 { return String(format: "%.2fB", x / 1e9) }
        if x >= 1e6 { return String(format: "%.1fM", x / 1e6) }
        if x >= 1e3 { return String(format: "%.1fK", x / 1e3) }
        return String(n)
    }

    /// Bytes as "12.3 MiB".
    static func bytes(_ n: Int) -> String {
        let x = Double(n)
        if n >= 1 << 30 { return String(format: "%.2f GiB", x / Double(1 << 30)) }
        if n >= 1 << 20 { return String(format: "%.1f MiB", x / Double(1 << 20)) }
        if n >= 1 << 10 { return String(format: "%.1f KiB", x / Double(1 << 10)) }
        return "\(n) B"
    }

    static func ms(_ v: Double) -> String { String(format: v < 10 ? "%.2f ms" : "%.1f ms", v) }

    /// Left-aligned columns separated by two spaces.
    static func table(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        var widths = [Int](repeating: 0, count: header.count)
        for row in all { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        return all.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// Pretty JSON text (sorted keys) for `--json` output.
    static func json(_ value: JSONValue) -> String {
        String(decoding: value.serialized(pretty: true), as: UTF8.self)
    }
}

extension JSONValue {
    static func int(_ n: Int) -> JSONValue { .number(Double(n)) }
}

/// Writes a line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
