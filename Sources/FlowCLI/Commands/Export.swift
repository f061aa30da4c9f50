import ArgumentParser
import FlowCore
import FlowExport
import Foundation

extension GEXFWriter.AmountType: ExpressibleByArgument {}

/// The graph formats `flowtrace export` writes.
enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
    case dot, svg, png, graphml, gexf, cyjs, mermaid, csv, neo4j

    /// The file name a case folder gives this format's export.
    var caseFileName: String {
        switch self {
        case .neo4j: return "neo4j"
        case .mermaid: return "flow.mmd"
        default: return "flow.\(rawValue)"
        }
    }
}

/// Where a command's trace comes from: a saved result, or a trace run now with the shared options.
struct TraceSource: ParsableArguments {
    @Option(name: .customLong("trace"), help: "A saved trace result (`flowtrace trace ... --json > t.json`) instead of tracing now.")
    var traceFile: String?
    @OptionGroup var options: TraceOptions
    @Option(help: "Trace now: keep at most this many flow edges (the largest).") var maxEdges = 10_000

    func validate() throws {
        if traceFile != nil && options.hasSeeds { throw ValidationError("give either --trace FILE or --from seeds, not both") }
        if traceFile == nil && !options.hasSeeds { throw ValidationError("give --trace FILE (a saved trace result) or --from seeds to trace now") }
        if maxEdges < 0 { throw ValidationError("--max-edges must not be negative") }
    }

    /// The trace result, and the bytes it was read from when it came from a file.
    func load() throws -> (report: TraceReport, saved: Data?) {
        guard let path = traceFile else { return (try TraceRunner(options: options, maxEdges: maxEdges, maxSinks: nil).run(), nil) }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CLIFailure(message: "\(path): cannot read: \(error.localizedDescription)", exitCode: ExitStatus.noInput)
        }
        do {
            return (try JSONDecoder().decode(TraceReport.self, from: data), data)
        } catch let e as DecodingError {
            throw CLIFailure(message: "\(path): not a FlowTrace trace result (`flowtrace trace --json`): \(Self.describe(e))", exitCode: ExitStatus.dataError)
        }
    }

    static func describe(_ e: DecodingError) -> String {
        func at(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "the top level" : path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch e {
        case .keyNotFound(let key, let c): return "missing key '\(key.stringValue)' at \(at(c.codingPath))"
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return "\(c.debugDescription) at \(at(c.codingPath))"
        case .dataCorrupted(let c):
            let underlying = (c.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return [c.debugDescription, underlying].compactMap { $0 }.joined(separator: ": ")
        @unknown default: return String(describing: e)
        }
    }
}

extension TraceReport {
    /// The graph's name in every export: what was traced, how.
    var graphName: String {
        let seeds = seeds.map(\.seed)
        return "FlowTrace \(parameters.policy) \(parameters.direction) trace of \(asset.symbol) from "
            + (seeds.count <= 3 ? seeds.joined(separator: ", ") : "\(seeds.prefix(3).joined(separator: ", ")) and \(seeds.count - 3) more")
    }
}

/// Renders `graph` as `format` into data (svg and png through Graphviz) or, for neo4j, the pair of files.
struct GraphRenderer {
    var dotCommand: String?
    var gexfAmounts: GEXFWriter.AmountType = .biginteger

    func files(_ graph: ExportGraph, format: ExportFormat) throws -> [(name: String, data: Data)] {
        func text(_ write: (inout String) -> Void) -> Data { var s = ""; write(&s); return Data(s.utf8) }
        switch format {
        case .dot: return [("", text { DOTWriter.write(graph, to: &$0) })]
        case .graphml: return [("", text { GraphMLWriter.write(graph, to: &$0) })]
        case .gexf: return [("", text { GEXFWriter.write(graph, amounts: gexfAmounts, to: &$0) })]
        case .cyjs: return [("", text { CytoscapeWriter.write(graph, to: &$0) })]
        case .mermaid: return [("", text { MermaidWriter.write(graph, to: &$0) })]
        case .csv: return [("", text { CSVWriter.writeEdges(graph, to: &$0) })]
        case .neo4j:
            return [("nodes.csv", text { CSVWriter.writeNeo4jNodes(graph, to: &$0) }),
                    ("relationships.csv", text { CSVWriter.writeNeo4jRelationships(graph, to: &$0) })]
        case .svg, .png:
            return [("", try render(text { DOTWriter.write(graph, to: &$0) }, as: format.rawValue))]
        }
    }

    /// Graphviz `dot`: the given command, else the first `dot` on PATH.
    func graphviz() throws -> String {
        if let dotCommand {
            guard FileManager.default.isExecutableFile(atPath: dotCommand) else {
                throw CLIFailure(message: "Graphviz: \(dotCommand) is not an executable", exitCode: ExitStatus.unavailable)
            }
            return dotCommand
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/dot"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw CLIFailure(message: "svg and png are rendered by Graphviz's `dot`, which is not installed (Debian: apt-get install graphviz); "
                         + "or export --format dot and render it elsewhere", exitCode: ExitStatus.unavailable)
    }

    func render(_ dot: Data, as format: String) throws -> Data {
        let tool = try graphviz()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flowtrace-dot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("graph.dot"), output = dir.appendingPathComponent("graph.\(format)")
        try dot.write(to: input)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["-T\(format)", "-o", output.path, input.path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let data = try? Data(contentsOf: output) else {
            throw CLIFailure(message: "Graphviz \(tool) -T\(format) failed (status \(process.terminationStatus)): "
                             + String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines), exitCode: ExitStatus.software)
        }
        return data
    }
}

/// `flowtrace export`: a trace's flow graph as DOT (and SVG/PNG), GraphML, GEXF, Cytoscape JSON, Mermaid or CSV.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a trace's flow graph for Graphviz, Gephi, Cytoscape, Neo4j, Maltego or Mermaid.",
        discussion: """
            Input is a saved trace result (--trace) or the trace options. Nodes carry address, label, category, chain, \
            seed flag and in/out totals; edges carry asset, amount in base units and as a decimal, the policy's tainted \
            amount, tx hash, time (ISO-8601 UTC), block and hop. The same input always gives the same bytes. \
            --format neo4j writes nodes.csv and relationships.csv into the --out directory (for neo4j-admin import).
            """)

    @OptionGroup var source: TraceSource
    @Option(help: "Format: \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", ")).") var format: ExportFormat
    @Option(help: "Output file (a directory for neo4j). Written there and nowhere else.") var out: String
    @Option(help: "Graphviz dot binary for svg/png (default: dot on PATH).") var dotCommand: String?
    @Option(help: "GEXF amount type: biginteger (GEXF 1.3, Gephi) or string (for GEXF 1.2 readers such as networkx).")
    var gexfAmounts: GEXFWriter.AmountType = .biginteger

    func run() throws {
        try withExitCodes {
            let trace = try source.load().report
            let graph = ExportGraph(trace: trace, name: trace.graphName)
            let files = try GraphRenderer(dotCommand: dotCommand, gexfAmounts: gexfAmounts).files(graph, format: format)
            if format == .neo4j {
                let dir = try OutputFiles.directory(out)
                for f in files { try OutputFiles.write(f.data, named: f.name, in: dir) }
                Console.current.err("wrote \(graph.nodes.count) nodes and \(graph.edges.count) relationships to \(out)/nodes.csv and relationships.csv; "
                                    + "load them with: neo4j-admin database import full --nodes=\(out)/nodes.csv --relationships=\(out)/relationships.csv\n")
            } else {
                try OutputFiles.write(files[0].data, to: out)
                Console.current.err("wrote \(format.rawValue): \(graph.nodes.count) nodes, \(graph.edges.count) edges to \(out)"
                                    + (trace.edgesTruncated ? " (the \(trace.edges.count) largest of \(trace.edgeCount) flows)" : "") + "\n")
            }
        }
    }
}
