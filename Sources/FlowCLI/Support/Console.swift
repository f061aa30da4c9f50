import Foundation

/// Where a command writes results (stdout) and diagnostics (stderr). Tests swap in a capturing console.
public final class Console: @unchecked Sendable {
    private let lock = NSLock()
    private let writeOut: @Sendable (String) -> Void
    private let writeErr: @Sendable (String) -> Void
    /// Whether stderr is a terminal (progress is redrawn in place there).
    public let isErrorTTY: Bool

    public init(isErrorTTY: Bool, out: @escaping @Sendable (String) -> Void, err: @escaping @Sendable (String) -> Void) {
        self.isErrorTTY = isErrorTTY
        writeOut = out
        writeErr = err
    }

    /// The process's own stdout and stderr.
    public static let standard = Console(
        isErrorTTY: isatty(2) != 0,
        out: { text in FileHandle.standardOutput.write(Data(text.utf8)) },
        err: { text in FileHandle.standardError.write(Data(text.utf8)) })

    @TaskLocal public static var current: Console = .standard

    public func out(_ text: String) { lock.withLock { writeOut(text) } }
    public func err(_ text: String) { lock.withLock { writeErr(text) } }

    /// A console that keeps what is written, for tests.
    public final class Capture: @unchecked Sendable {
        private let lock = NSLock()
        private var outText = "", errText = ""
        public init() {}
        public var stdout: String { lock.withLock { outText } }
        public var stderr: String { lock.withLock { errText } }
        public lazy var console: Console = Console(
            isErrorTTY: false,
            out: { [unowned self] t in self.lock.withLock { self.outText += t } },
            err: { [unowned self] t in self.lock.withLock { self.errText += t } })
    }
}
