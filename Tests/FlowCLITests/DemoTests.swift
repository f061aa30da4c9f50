@testable import FlowCLI
import Foundation
import Testing
import TestSupport

/// `flowtrace demo`: the README's main job.
@Suite("demo")
struct DemoTests {
    @Test func demoTracesTheDMMCaseAndWritesTheReportAndExports() throws {
        try withTemporaryDirectory { dir in
            let out = dir.appendingPathComponent("flowtrace-demo")
            let run = runCLI(["demo", "--out", out.path])
            #expect(run.exitCode == 0, "\(run.stderr)")
            // Where the stolen BTC went, by category and destination, under both policies, scored against the truth.
            #expect(run.stdout.contains("4502.90000000 BTC stolen in one transaction"))
            for title in ["FIFO forward, 10 hops", "HAIRCUT forward, 10 hops", "from the 6 WBTC mints"] { #expect(run.stdout.contains(title), "\(title)") }
            for line in ["Exchange A hot wallet (exchange)", "custodial mixer (mixer)", "BTC bridge vault (lock for WBTC on Ethereum) (bridge)"] {
                #expect(run.stdout.contains(line), "\(line)")
            }
            let recalls = run.stdout.split(separator: "\n").filter { $0.contains("against the planted truth: recall") }.map { line -> Double in
                let r = line.split(separator: "recall ")[1].split(separator: "%")[0]
                return Double(r) ?? 0
            }
            #expect(recalls.count == 3 && recalls.allSatisfy { $0 >= 95 }, "\(recalls)")
            // The files it says it wrote, and the case is the bundled one byte for byte.
            for file in ["report/report.html", "report/report.md", "report/report.json", "dmm-fifo.dot", "dmm-fifo.graphml", "case/truth.json"] {
                #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file)")
                #expect(run.stdout.contains(out.path), "tells where")
            }
            for file in ["transactions.json", "transfers.csv", "labels.csv", "truth.json"] {
                let made = try Data(contentsOf: out.appendingPathComponent("case/\(file)"))
                #expect(made == (try Data(contentsOf: URL(fileURLWithPath: Paths.fixture("cases/dmm/\(file)")))), "\(file)")
            }
            let html = try String(contentsOf: out.appendingPathComponent("report/report.html"), encoding: .utf8)
            #expect(html.contains("<svg") && html.contains("Exchange A hot wallet"))
            let dot = try String(contentsOf: out.appendingPathComponent("dmm-fifo.dot"), encoding: .utf8)
            #expect(dot.hasPrefix("digraph") && dot.contains("BTC bridge vault"))
            // A second run reuses the store (idempotent ingest) and prints the same findings.
            let again = runCLI(["demo", "--out", out.path])
            #expect(again.exitCode == 0, "\(again.stderr)")
            func findings(_ text: String) -> String { String(text.components(separatedBy: "\nWrote (in")[0]) }
            #expect(findings(again.stdout) == findings(run.stdout))
        }
    }
}
