import Foundation

/// Progress on stderr: redrawn in place at most 10 times a second on a terminal, a plain line every few
/// seconds when piped, nothing with `--quiet`; the final summary is printed in every case but quiet.
final class ProgressReporter {
    private let console: Console
    private let quiet: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drewInPlace = false

    init(console: Console = .current, quiet: Bool) {
        self.console = console
        self.quiet = quiet
    }

    var elapsed: TimeInterval { Date().timeIntervalSince(start) }

    /// Reports progress; rate-limited.
    func update(_ line: @autoclosure () -> String) {
        guard !quiet else { return }
        let now = Date()
        let interval: TimeInterval = console.isErrorTTY ? 0.1 : 2.0
        guard now.timeIntervalSince(lastDraw) >= interval else { return }
        lastDraw = now
        if console.isErrorTTY {
            console.err("\r\u{1B}[K" + line())
            drewInPlace = true
        } else {
            console.err(line() + "\n")
        }
    }

    /// A message on its own line.
    func note(_ line: String) {
        guard !quiet else { return }
        clearLine()
        console.err(line + "\n")
    }

    /// The final summary line.
    func finish(_ line: String) {
        clearLine()
        if !quiet { console.err(line + "\n") }
    }

    private func clearLine() {
        if drewInPlace { console.err("\r\u{1B}[K"); drewInPlace = false }
    }
}
