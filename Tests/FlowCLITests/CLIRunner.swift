import ArgumentParser
import FlowCLI
import Foundation
import Testing

/// What one in-process `flowtrace` invocation printed and how it ended.
struct CLIResult {
    var exitCode: Int32
    var stdout: String
    var stderr: String
}

/// Runs `flowtrace ARGS…` in this process with a capturing console.
func runCLI(_ arguments: [String]) -> CLIResult {
    let capture = Console.Capture()
    var code: Int32 = 0
    Console.$current.withValue(capture.console) {
        do {
            var command = try FlowTrace.parseAsRoot(arguments)
            try command.run()
        } catch {
            code = FlowTrace.exitCode(for: error).rawValue
            if code != 0 && !(error is ExitCode) {
                capture.console.err(FlowTrace.fullMessage(for: error) + "\n")
            }
        }
    }
    return CLIResult(exitCode: code, stdout: capture.stdout, stderr: capture.stderr)
}

/// Parses JSON stdout into a dictionary.
func jsonObject(_ text: String) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
    guard let object = value as? [String: Any] else { throw CocoaError(.coderReadCorrupt) }
    return object
}

/// The built `flowtrace` binary, next to the test bundle.
var builtBinary: URL {
    var dir = Bundle.main.bundleURL
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("flowtrace")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("flowtrace")
}

/// Writes `content` to `dir/name`, ingests it as `format` into `db`, and expects the run to refuse it as bad
/// input: exit 65 and a message naming the file and containing `message`.
func expectRefusedInput(_ format: String, name: String, content: String, message: String, in dir: URL, db: String,
                        sourceLocation: SourceLocation = #_sourceLocation) throws {
    try expectRefusedInput(["ingest", format], name: name, content: content, message: message, in: dir, db: db, sourceLocation: sourceLocation)
}

/// The same for any command that reads a file (`command` FILE --db DB), e.g. `["labels", "import", "ofac"]`.
func expectRefusedInput(_ command: [String], name: String, content: String, message: String, in dir: URL, db: String,
                        sourceLocation: SourceLocation = #_sourceLocation) throws {
    let file = dir.appendingPathComponent(name)
    try content.write(to: file, atomically: true, encoding: .utf8)
    let run = runCLI(command + [file.path, "--db", db])
    #expect(run.exitCode == 65, "\(name): \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stderr.contains(file.path) && run.stderr.contains(message), "\(name): \(run.stderr)", sourceLocation: sourceLocation)
}
