import ArgumentParser
import FlowCore
import FlowExport
import FlowIngest
import Foundation

/// `case.json` in a case folder: who made it, from what, and how to make it again.
struct CaseDescription: Codable {
    var flowtraceVersion: String
    /// Arguments equivalent to the `flowtrace case export` run that made the folder.
    var command: [String]
    /// Arguments of the trace the folder holds (`flowtrace trace ...`); `case verify --db` runs them again.
    var rerun: [String]
    var storeGeneration: Int64
    var sources: [CaseReport.Source]
    /// The folder's files besides `case.json` and `MANIFEST.sha256`.
    var files: [String]
}

/// `flowtrace case`: a case folder someone else can check and re-run.
struct CaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "case",
        abstract: "Make a verifiable case folder (trace, exports, report, MANIFEST.sha256) or verify one.",
        subcommands: [CaseExport.self, CaseVerify.self])

    static let manifestName = "MANIFEST.sha256"
}

struct CaseExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a case folder: trace.json, every export, the report, case.json (command, version, sources) and MANIFEST.sha256.",
        discussion: """
            MANIFEST.sha256 lists every other file with its SHA-256 in sha256sum's format (`sha256sum -c` accepts it); \
            `flowtrace case verify DIR` checks it, and with --db also re-runs the trace and compares.
            """)

    @OptionGroup var source: TraceSource
    @Option(help: "The case folder: created, or an existing empty directory.") var out: String
    @Option(help: "The report's title.") var title: String?

    func run() throws {
        try withExitCodes {
            let (trace, saved) = try source.load()
            let report = try source.caseReport(trace, saved: saved, title: title)
            if let existing = try? FileManager.default.contentsOfDirectory(atPath: out), !existing.isEmpty {
                throw OutputFiles.failure(out, "exists and is not empty; a case folder starts empty so its manifest covers everything in it")
            }
            let dir = try OutputFiles.directory(out)
            var files: [(name: String, data: Data)] = [("trace.json", Data(try jsonText(trace).utf8))]
            let graph = ExportGraph(trace: trace, name: trace.graphName)
            let renderer = GraphRenderer(dotCommand: nil)
            for format in ExportFormat.allCases where format != .svg && format != .png {
                for f in try renderer.files(graph, format: format) {
                    files.append(("exports/" + (f.name.isEmpty ? format.caseFileName : "\(format.caseFileName)/\(f.name)"), f.data))
                }
            }
            files += try reportFiles(report).map { ("report/\($0.name)", $0.data) }
            var command = ["case", "export", "--db", source.options.db]
            if let file = source.traceFile { command += ["--trace", file] } else {
                // The trace's own arguments, with the flow limit this run was given (the result records how many it kept).
                var traced = Array(trace.rerunArguments(db: source.options.db).dropFirst(3).filter { $0 != "--json" })
                if let i = traced.firstIndex(of: "--max-edges") { traced.removeSubrange(i...(i + 1)) }
                command += traced + ["--max-edges", String(source.maxEdges)]
            }
            command += ["--out", out] + (title.map { ["--title", $0] } ?? [])
            let description = CaseDescription(flowtraceVersion: FlowTrace.version, command: command, rerun: report.rerun,
                                              storeGeneration: trace.storeGeneration, sources: report.sources, files: files.map(\.name).sorted())
            files.append(("case.json", Data(try jsonText(description).utf8)))
            for f in files { try OutputFiles.write(f.data, named: f.name, in: dir) }
            let manifest = files.map { ($0.name, Hex.encode(Hashing.sha256($0.data))) }.sorted { $0.0 < $1.0 }
                .map { "\($0.1)  \($0.0)\n" }.joined()
            try OutputFiles.write(Data(manifest.utf8), named: CaseCommand.manifestName, in: dir)
            Console.current.err("wrote case folder \(out): \(files.count) files and \(CaseCommand.manifestName)\n")
        }
    }
}

struct CaseVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a case folder against its MANIFEST.sha256 (and with --db, re-run its trace and compare).")

    @Argument(help: "The case folder.") var folder: String
    @Option(help: "Re-run the case's trace on this store and compare it with trace.json.") var db: String?
    @OptionGroup var output: OutputOptions

    struct Finding: Encodable { var path: String; var status: String; var detail: String? }
    struct Result: Encodable {
        var folder: String
        var verified: Bool
        var files: Int
        var problems: [Finding]
        var rerun: String?
    }

    func run() throws {
        try withExitCodes {
            let root = URL(fileURLWithPath: folder, isDirectory: true)
            let manifestPath = root.appendingPathComponent(CaseCommand.manifestName).path
            guard let text = try? String(contentsOfFile: manifestPath, encoding: .utf8) else {
                throw CLIFailure(message: "\(manifestPath): cannot read the manifest (is \(folder) a case folder?)", exitCode: ExitStatus.noInput)
            }
            var listed: [(path: String, hash: String)] = []
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
                let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, parts[0].count == 64, parts[0].allSatisfy({ $0.isHexDigit && !$0.isUppercase }), parts[1].hasPrefix(" ") else {
                    throw CLIFailure(message: "\(manifestPath):\(n + 1): not '<sha256>  <path>'", exitCode: ExitStatus.dataError)
                }
                listed.append((String(parts[1].dropFirst()), String(parts[0])))
            }
            var problems: [Finding] = []
            var seen = Set<String>()
            for entry in listed {
                let components = entry.path.split(separator: "/", omittingEmptySubsequences: false)
                guard !entry.path.hasPrefix("/"), components.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
                    problems.append(.init(path: entry.path, status: "outside", detail: "the manifest names a path outside the folder")); continue
                }
                seen.insert(entry.path)
                let path = root.appendingPathComponent(entry.path).path
                var prefix = root
                if components.contains(where: { prefix.appendPathComponent(String($0)); return OutputFiles.isSymlink(prefix.path) }) {
                    problems.append(.init(path: entry.path, status: "symlink", detail: "a symbolic link, not a file of the folder")); continue
                }
                guard FileManager.default.fileExists(atPath: path) else { problems.append(.init(path: entry.path, status: "missing", detail: nil)); continue }
                let actual = try FileDigest.sha256Hex(path: path)
                if actual != entry.hash { problems.append(.init(path: entry.path, status: "changed", detail: "sha256 \(actual), manifest \(entry.hash)")) }
            }
            for path in Self.files(under: root) where path != CaseCommand.manifestName && !seen.contains(path) {
                problems.append(.init(path: path, status: "unlisted", detail: "not in the manifest"))
            }
            var rerun: String?
            if let db { rerun = try self.rerun(root: root, db: db, problems: &problems) }
            let result = Result(folder: folder, verified: problems.isEmpty, files: listed.count, problems: problems, rerun: rerun)
            if output.isJSON { Console.current.out(try jsonText(result)) } else {
                var lines = problems.map { "\($0.status): \($0.path)" + ($0.detail.map { " (\($0))" } ?? "") + "\n" }.joined()
                if let rerun { lines += "re-run: \(rerun)\n" }
                lines += problems.isEmpty ? "case verified: \(listed.count) files match \(CaseCommand.manifestName)\n"
                    : "case does NOT verify: \(problems.count) problem(s)\n"
                Console.current.out(lines)
            }
            if !problems.isEmpty { throw ExitCode(ExitStatus.dataError) }
        }
    }

    /// Every regular file and symlink under `root`, as relative paths, sorted.
    static func files(under root: URL) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: root.path) else { return [] }
        var out: [String] = []
        while let rel = e.nextObject() as? String {
            let path = root.appendingPathComponent(rel).path
            var isDirectory: ObjCBool = false
            if OutputFiles.isSymlink(path) || (FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue) {
                out.append(rel)
            }
        }
        return out.sorted()
    }

    /// Runs the case's trace again on `db` and compares the result with `trace.json`.
    func rerun(root: URL, db: String, problems: inout [Finding]) throws -> String {
        let casePath = root.appendingPathComponent("case.json").path, tracePath = root.appendingPathComponent("trace.json").path
        guard let caseData = FileManager.default.contents(atPath: casePath),
              let description = try? JSONDecoder().decode(CaseDescription.self, from: caseData) else {
            problems.append(.init(path: "case.json", status: "unreadable", detail: "no case description to re-run")); return "not possible"
        }
        guard let traceData = FileManager.default.contents(atPath: tracePath),
              let recorded = try? JSONDecoder().decode(TraceReport.self, from: traceData) else {
            problems.append(.init(path: "trace.json", status: "unreadable", detail: "not a trace result")); return "not possible"
        }
        var arguments = Array(description.rerun.dropFirst().filter { $0 != "--json" })
        if let i = arguments.firstIndex(of: "--db"), i + 1 < arguments.count { arguments[i + 1] = db }
        let command: TraceCommand
        do { command = try TraceCommand.parse(arguments) } catch {
            problems.append(.init(path: "case.json", status: "unreadable", detail: "rerun arguments: \(TraceCommand.message(for: error))")); return "not possible"
        }
        let again = try TraceRunner(options: command.trace, maxEdges: command.maxEdges, maxSinks: command.maxSinks).run()
        if again == recorded { return "the trace on \(db) reproduces trace.json" }
        var detail = "the trace on \(db) differs from trace.json"
        if again.storeGeneration != recorded.storeGeneration {
            detail += " (the store is at generation \(again.storeGeneration), the case was traced at \(recorded.storeGeneration))"
        }
        problems.append(.init(path: "trace.json", status: "rerun-differs", detail: detail))
        return detail
    }
}
