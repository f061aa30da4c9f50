import ArgumentParser
import FlowCore
import FlowExport
import FlowFixtures
import Foundation

/// `flowtrace demo`: the DMM Bitcoin case end to end — generate, ingest, trace, compare with the planted truth,
/// write the report and graph exports.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Trace the DMM Bitcoin case end to end; write the report and graph exports into ./flowtrace-demo/.",
        discussion: """
            Generates the dmm case (the same bytes as Fixtures/cases/dmm for the default seed and scale), ingests it \
            (bitcoin-etl transactions, the Ethereum side of the bridge, labels), traces the 4,502.9 BTC theft forward \
            with FIFO and haircut (10 hops, stopping at exchanges, mixers and bridges), prints where the stolen BTC \
            went by category and top destination, scores both against the planted truth, picks the bridged part up \
            again at the WBTC mints on Ethereum, and writes report/report.html plus DOT and GraphML exports of the \
            FIFO trace. Re-running reuses the store (ingest is idempotent).
            """)

    @Option(help: "Output directory (created if missing).") var out = "flowtrace-demo"
    @Option(help: "Fixture seed.") var seed: UInt64 = 1
    @Option(help: "Background transactions of the generated case.") var scale = 1_000
    @Option(help: "Hop limit of the traces.") var maxHops = 10

    func validate() throws {
        if scale < 100 { throw ValidationError("--scale must be at least 100 (the CoinJoin rounds need background users)") }
        if maxHops < 1 { throw ValidationError("--max-hops must be at least 1") }
    }

    func run() throws {
        try withExitCodes {
            let clock = ContinuousClock(), began = clock.now
            let console = Console.current
            let dir = try OutputFiles.directory(out)
            let caseDir = try OutputFiles.directory(dir.appendingPathComponent("case").path)
            let truth: FixtureTruth
            do { truth = try Scenario.dmm.generate(seed: seed, scale: scale, directory: caseDir.path) } catch let e as FixtureError {
                throw CLIFailure(message: e.description, exitCode: ExitStatus.cannotCreate)
            }
            try OutputFiles.write(Data(try jsonText(truth).utf8), named: "truth.json", in: caseDir)
            let db = dir.appendingPathComponent("dmm-seed\(seed)-scale\(scale).sqlite").path
            console.err("generated the dmm case in \(caseDir.path); ingesting into \(db)\n")
            try ingestFixtureFiles(dir: caseDir, truth: truth, db: db)

            guard let btc = truth.parts.first(where: { $0.model == "utxo" }) else {
                throw CLIFailure(message: "the dmm case has no Bitcoin part", exitCode: ExitStatus.software)
            }
            let stolen = Amount.formatted(baseUnits: btc.stolen, decimals: 8)
            var text = "DMM Bitcoin, 31 May 2024 (generated case, seed \(seed)): \(stolen) BTC stolen in one transaction\n"
            text += "  seed: \(btc.seeds.joined(separator: " "))\n"
            var fifo: TraceReport?
            for policy in [TracePolicy.fifo, .haircut] {
                let arguments = ["--db", db, "--from"] + btc.seeds + ["--policy", policy.rawValue, "--max-hops", String(maxHops)]
                let report = try TraceRunner(options: try TraceOptions.parse(arguments), maxEdges: 10_000, maxSinks: nil).run()
                if policy == .fifo { fifo = report }
                text += "\n" + Self.summary(report, part: btc, title: "\(policy.rawValue.uppercased()) forward, \(maxHops) hops")
            }

            // The bridged part, picked up again where the bridge minted it on Ethereum.
            if let minted = truth.parts.first(where: { $0.model == "account" }), !truth.bridges.isEmpty {
                let locked = truth.bridges.reduce(Int128(0)) { $0 + (Int128($1.locked) ?? 0) }
                let arguments = ["--db", db, "--from"] + minted.seeds + ["--asset", minted.asset, "--policy", "haircut", "--max-hops", String(maxHops)]
                let report = try TraceRunner(options: try TraceOptions.parse(arguments), maxEdges: 10_000, maxSinks: nil).run()
                text += "\nAcross the bridge: \(truth.bridges.count) locks of \(Amount.formatted(baseUnits: String(locked), decimals: 8)) BTC in all, "
                    + "each linked by its OP_RETURN identifier to a WBTC mint on Ethereum (truth.json: bridges)\n"
                text += Self.summary(report, part: minted, title: "from the \(minted.seeds.count) WBTC mints, HAIRCUT forward", top: 3)
            }

            // The report and graph exports of the FIFO trace.
            guard let fifo else { throw CLIFailure(message: "no FIFO trace", exitCode: ExitStatus.software) }
            let source = try TraceSource.parse(["--db", db, "--from"] + btc.seeds + ["--policy", "fifo", "--max-hops", String(maxHops)])
            let caseReport = try source.caseReport(fifo, saved: nil, title: "DMM Bitcoin demo: FIFO forward trace of the 4,502.9 BTC theft")
            let reportDir = try OutputFiles.directory(dir.appendingPathComponent("report").path)
            for f in try reportFiles(caseReport) { try OutputFiles.write(f.data, named: f.name, in: reportDir) }
            let graph = ExportGraph(trace: fifo, name: fifo.graphName)
            let renderer = GraphRenderer()
            for (format, name) in [(ExportFormat.dot, "dmm-fifo.dot"), (.graphml, "dmm-fifo.graphml")] {
                try OutputFiles.write(try renderer.files(graph, format: format)[0].data, named: name, in: dir)
            }
            let elapsed = clock.now - began
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            text += "\nWrote (in \(String(format: "%.1f", seconds)) s):\n"
            text += "  \(reportDir.path)/report.html   the investigator's report of the FIFO trace (also report.md, report.json)\n"
            text += "  \(dir.path)/dmm-fifo.dot, dmm-fifo.graphml   its flow graph (\(graph.nodes.count) nodes, \(graph.edges.count) edges)\n"
            text += "  \(caseDir.path)/   the case: transactions.json (bitcoin-etl), transfers.csv, labels.csv, truth.json\n"
            text += "  \(db)   the store; try: flowtrace trace --db \(db) --from \(btc.seeds[0]) --policy lifo\n"
            console.out(text)
        }
    }

    /// Totals by category, the top destinations and the score against the truth, as text.
    static func summary(_ report: TraceReport, part: FixtureTruth.Part, title: String, top: Int = 8) -> String {
        let decimals = report.asset.decimals ?? part.decimals
        let symbol = report.asset.symbol
        let total = Int128(report.seedAmount) ?? 0
        func amount(_ text: String) -> String {
            let a = Amount.formatted(baseUnits: text, decimals: decimals)
            return String(repeating: " ", count: max(0, 18 - a.count)) + a + " " + symbol
        }
        func share(_ text: String) -> String { Share.text(basisPoints: Share.basisPoints(Int128(text) ?? 0, of: total)) }
        var s = "\(title): \(report.sinkCount) destinations, \(report.edgeCount) flows\n  by category:\n"
        for (category, value) in report.totals.byCategory.sorted(by: { (Int128($0.value) ?? 0, $1.key) > (Int128($1.value) ?? 0, $0.key) }) {
            s += "    \(amount(value))  \(share(value).padding(toLength: 8, withPad: " ", startingAt: 0)) \(category)\n"
        }
        s += "  top destinations:\n"
        for sink in report.sinks.prefix(top) {
            let who = sink.label.map { "\($0) (\(sink.category))" } ?? "\(sink.address) (\(sink.reason))"
            s += "    \(amount(sink.amount))  hop \(sink.hops)  \(who)\n"
        }
        let e = ForensicEvaluation(report: report, part: part)
        let stolen = Int128(part.stolen) ?? 0
        s += "  against the planted truth: recall \(Share.text(basisPoints: Share.basisPoints(e.correct, of: stolen))), "
            + "precision \(Share.text(basisPoints: Share.basisPoints(e.correct, of: e.attributed))), \(e.falsePositives) false-positive addresses\n"
        return s
    }
}
