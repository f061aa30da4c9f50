import ArgumentParser
import FlowCore
import FlowExport
import FlowStore
import Foundation

extension TraceReport {
    /// `flowtrace` arguments that trace the same again on the store at `db` (JSON output).
    func rerunArguments(db: String) -> [String] {
        let p = parameters
        var a = ["trace", "--db", db, "--from"] + seeds.map(\.seed) + ["--policy", p.policy, "--direction", p.direction]
        if let h = p.maxHops { a += ["--max-hops", String(h)] }
        if let s = p.since { a += ["--since", s] }
        if let u = p.until { a += ["--until", u] }
        if p.minAmount != "0" { a += ["--min-amount", p.minAmount] }
        if let amount = p.amount { a += ["--amount", amount] }
        a += p.stopAt.isEmpty ? ["--no-stops"] : ["--stop-at"] + p.stopAt
        if let n = p.maxNodes { a += ["--max-nodes", String(n)] }
        if p.isStatic { a.append("--static") }
        if p.entities { a.append("--entities") }
        if model == "account" && asset.symbol != "?" { a += ["--asset", asset.symbol] }
        // The same listing: the largest flows (and sinks) up to what this result holds.
        a += ["--max-edges", String(edges.count)]
        if sinks.count < sinkCount { a += ["--max-sinks", String(sinks.count)] }
        return a + ["--json"]
    }
}

extension TraceSource {
    /// The report document for `trace`: the store's logged sources (and the saved trace file, when the trace came
    /// from one) with their SHA-256, and the command that re-runs it.
    func caseReport(_ trace: TraceReport, saved: Data?, title: String?) throws -> CaseReport {
        let store = try openStoreForReading(options.db)
        var sources = try store.ingestedSources().map { CaseReport.Source(path: $0.path, sha256: $0.sha256, format: $0.format, chain: $0.chain) }
        if let traceFile, let saved {
            sources.append(.init(path: traceFile, sha256: Hex.encode(Hashing.sha256(saved)), format: "trace-json", chain: nil))
        }
        return CaseReport(title: title ?? trace.graphName, flowtraceVersion: FlowTrace.version, rerun: trace.rerunArguments(db: options.db),
                          sources: sources, trace: trace)
    }
}

/// The three report files, by their fixed names.
func reportFiles(_ report: CaseReport) throws -> [(name: String, data: Data)] {
    var html = "", markdown = ""
    ReportWriter.writeHTML(report, to: &html)
    ReportWriter.writeMarkdown(report, to: &markdown)
    return [("report.html", Data(html.utf8)), ("report.md", Data(markdown.utf8)), ("report.json", Data(try jsonText(report).utf8))]
}

/// `flowtrace report`: the investigator's report as self-contained HTML, Markdown and JSON.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an investigator's report (report.html, report.md, report.json) for a trace.",
        discussion: """
            The HTML file is self-contained (no network, scripts or fonts): case summary with seeds, policy, \
            parameters and the data sources' SHA-256, totals by destination category, top destinations, a Sankey-style \
            flow picture (inline SVG), a hop table, the evidence list of transactions and how to re-run the trace.
            """)

    @OptionGroup var source: TraceSource
    @Option(help: "Output directory (created if missing); only report.html, report.md and report.json are written in it.") var out: String
    @Option(help: "The report's title (default: what was traced, how).") var title: String?

    func run() throws {
        try withExitCodes {
            let (trace, saved) = try source.load()
            let report = try source.caseReport(trace, saved: saved, title: title)
            let dir = try OutputFiles.directory(out)
            for f in try reportFiles(report) { try OutputFiles.write(f.data, named: f.name, in: dir) }
            Console.current.err("wrote report.html, report.md and report.json to \(out)\n")
        }
    }
}
