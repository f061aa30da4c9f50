import FlowCore
@testable import FlowCLI
import FlowExport
import Foundation
import Testing
import TestSupport

/// `flowtrace export`, `report` and `case` end to end: from a store, through a trace, to files on disk.
@Suite("export, report and case commands")
struct ExportCommandTests {
    static let stolen = "0x1111111111111111111111111111111111111111"
    static let exchange = "0x5555555555555555555555555555555555555555"
    static let hostile = "Ex <script>alert(1)</script> \"q\" & 'a' | b\nnext\u{1}"
    static let formats = ["dot", "graphml", "gexf", "cyjs", "mermaid", "csv"]

    /// The worked example (transfers-csv) with a hostile exchange label: a store and the trace arguments.
    static func workedExample(_ dir: URL, label: String = "Exchange X") throws -> (db: String, trace: [String]) {
        let db = dir.appendingPathComponent("w.sqlite").path
        #expect(runCLI(["ingest", "transfers-csv", Paths.fixture("transfers/worked-example.csv"), "--db", db]).exitCode == 0)
        #expect(runCLI(["labels", "add", exchange, "--category", "exchange", "--name", label, "--db", db]).exitCode == 0)
        return (db, ["--db", db, "--from", stolen, "--asset", "ETH", "--policy", "fifo"])
    }

    static func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    /// Paths that differ per checkout or run, replaced so report files can be golden.
    static func normalized(_ text: String, dir: URL) -> String {
        text.replacingOccurrences(of: Paths.fixtures.path, with: "<fixtures>").replacingOccurrences(of: dir.path, with: "<tmp>")
    }

    @Test func savedTraceAndTraceOptionsExportTheSameBytesAndMatchTheGoldenFiles() throws {
        try withTemporaryDirectory { dir in
            let (_, trace) = try Self.workedExample(dir)
            let traced = runCLI(["trace"] + trace + ["--json"])
            #expect(traced.exitCode == 0, "\(traced.stderr)")
            let saved = dir.appendingPathComponent("t.json")
            try traced.stdout.write(to: saved, atomically: true, encoding: .utf8)
            let db = trace[1]
            for format in Self.formats {
                let a = dir.appendingPathComponent("a.\(format)").path, b = dir.appendingPathComponent("b.\(format)").path
                let fromFile = runCLI(["export", "--db", db, "--trace", saved.path, "--format", format, "--out", a])
                #expect(fromFile.exitCode == 0, "\(format): \(fromFile.stderr)")
                let now = runCLI(["export"] + trace + ["--max-edges", "1000", "--format", format, "--out", b])
                #expect(now.exitCode == 0, "\(format): \(now.stderr)")
                let text = try Self.read(a), again = try Self.read(b)
                #expect(text == again, "\(format)")
                expectGolden(text, named: "export/worked-example.\(format)")
            }
            let neo = dir.appendingPathComponent("neo").path
            #expect(runCLI(["export", "--db", db, "--trace", saved.path, "--format", "neo4j", "--out", neo]).exitCode == 0)
            expectGolden(try Self.read(neo + "/nodes.csv"), named: "export/worked-example.neo4j-nodes.csv")
            expectGolden(try Self.read(neo + "/relationships.csv"), named: "export/worked-example.neo4j-relationships.csv")

            // The graph holds what the trace says: the seed flagged, the exchange labelled, wei amounts exact, blocks kept.
            let cy = try jsonObject(try Self.read(dir.appendingPathComponent("a.cyjs").path))
            let elements = try #require(cy["elements"] as? [String: [[String: [String: Any]]]])
            let nodes = Dictionary(uniqueKeysWithValues: (elements["nodes"] ?? []).compactMap { n in n["data"].map { ($0["id"] as? String ?? "", $0) } })
            #expect(nodes[Self.stolen]?["is_seed"] as? Bool == true && nodes[Self.exchange]?["category"] as? String == "exchange")
            #expect(nodes[Self.exchange]?["label"] as? String == "Exchange X" && nodes[Self.exchange]?["in_total"] as? String == "3000000000000000000")
            let edges = (elements["edges"] ?? []).compactMap { $0["data"] }
            #expect(edges.contains { $0["target"] as? String == Self.exchange && $0["tx_hash"] as? String == "0xt5" && $0["block"] as? Int == 5 })
        }
    }

    /// Bitcoin: the graph has transaction nodes between addresses, inputs and outputs with the whole value moved.
    @Test func bitcoinTraceExportsTransactionsWithBlocksAndRendersThroughGraphviz() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("b.sqlite").path
            #expect(runCLI(["ingest", "btc-raw", Paths.fixture("btc/blk/blocks-0-438.blk"), "--db", db, "--no-progress"]).exitCode == 0)
            let out = dir.appendingPathComponent("g.csv").path
            let run = runCLI(["export", "--db", db, "--from", TraceTests.block9Coinbase, "--policy", "haircut", "--format", "csv", "--out", out])
            #expect(run.exitCode == 0, "\(run.stderr)")
            let rows = try Self.read(out).split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            // f4184fc5… (block 170) spends the coinbase's 50 BTC: 10 BTC to Hal Finney, 40 BTC back.
            #expect(rows.contains { $0[1] == TraceTests.block170Tx && $0[2] == "input" && $0[4] == "5000000000" && $0[9] == "170" })
            #expect(rows.contains { $0[0] == TraceTests.block170Tx && $0[1] == TraceTests.hal && $0[4] == "1000000000" && $0[5] == "10.00000000" })

            let missing = runCLI(["export", "--db", db, "--from", TraceTests.block9Coinbase, "--format", "svg", "--out", dir.appendingPathComponent("g.svg").path,
                                  "--dot-command", "/nonexistent/dot"])
            #expect(missing.exitCode == 69 && missing.stderr.contains("Graphviz") && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("g.svg").path))
            if (try? GraphRenderer(dotCommand: nil).graphviz()) != nil || Consumers.required {
                let svg = dir.appendingPathComponent("g.svg").path
                let rendered = runCLI(["export", "--db", db, "--from", TraceTests.block9Coinbase, "--format", "svg", "--out", svg])
                #expect(rendered.exitCode == 0, "\(rendered.stderr)")
                let text = (try? Self.read(svg)) ?? ""
                #expect(text.contains("<svg") && text.contains("f4184f"))
            }
        }
    }

    @Test func outputsGoOnlyWhereTheyAreToldAndBadInputIsNamed() throws {
        try withTemporaryDirectory { dir in
            let (db, trace) = try Self.workedExample(dir)
            // A symlink at --out is replaced, not followed: the file it pointed to is untouched.
            let outside = dir.appendingPathComponent("outside.txt")
            try "keep me".write(to: outside, atomically: true, encoding: .utf8)
            let link = dir.appendingPathComponent("graph.dot")
            try FileManager.default.createSymbolicLink(at: link, withDestinationURL: outside)
            #expect(runCLI(["export"] + trace + ["--format", "dot", "--out", link.path]).exitCode == 0)
            #expect(try Self.read(outside.path) == "keep me")
            let written = try Self.read(link.path)
            #expect(!OutputFiles.isSymlink(link.path) && written.hasPrefix("digraph"))
            // A report directory holding a planted symlink: the link is replaced, its target untouched.
            let reportDir = dir.appendingPathComponent("report")
            try FileManager.default.createDirectory(at: reportDir, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(at: reportDir.appendingPathComponent("report.html"), withDestinationURL: outside)
            #expect(runCLI(["report"] + trace + ["--out", reportDir.path]).exitCode == 0)
            #expect(try Self.read(outside.path) == "keep me")
            // A directory is not a file; a missing parent is not created for a file output.
            let isDir = runCLI(["export"] + trace + ["--format", "dot", "--out", dir.path])
            #expect(isDir.exitCode == 73 && isDir.stderr.contains("is a directory"))
            let noParent = runCLI(["export"] + trace + ["--format", "dot", "--out", dir.appendingPathComponent("no/such/g.dot").path])
            #expect(noParent.exitCode == 73 && noParent.stderr.contains("does not exist"))
            // Only our own names inside the directory outputs.
            let before = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
            #expect(runCLI(["export"] + trace + ["--format", "neo4j", "--out", dir.appendingPathComponent("neo").path]).exitCode == 0)
            let after = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
            let inside = Set(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("neo").path))
            #expect(after.subtracting(before) == ["neo"] && inside == ["nodes.csv", "relationships.csv"])

            // A file that is not a trace result is named; so is a trace given twice.
            let bad = dir.appendingPathComponent("bad.json")
            try #"{"model": "utxo", "seeds": 3}"#.write(to: bad, atomically: true, encoding: .utf8)
            let refused = runCLI(["export", "--db", db, "--trace", bad.path, "--format", "dot", "--out", dir.appendingPathComponent("x.dot").path])
            #expect(refused.exitCode == 65 && refused.stderr.contains(bad.path) && refused.stderr.contains("seeds"), "\(refused.stderr)")
            let both = runCLI(["export", "--db", db, "--trace", bad.path, "--from", Self.stolen, "--format", "dot", "--out", dir.appendingPathComponent("x.dot").path])
            #expect(both.exitCode == 64 && both.stderr.contains("not both"))
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.dot").path))
        }
    }

    @Test func reportIsSelfContainedEscapedAndGolden() throws {
        try withTemporaryDirectory { dir in
            let (_, trace) = try Self.workedExample(dir, label: Self.hostile)
            let out = dir.appendingPathComponent("r")
            let run = runCLI(["report"] + trace + ["--out", out.path])
            #expect(run.exitCode == 0, "\(run.stderr)")
            let html = try Self.read(out.appendingPathComponent("report.html").path)
            // Self-contained: no scripts, links, external sources or fonts; the only URL is the SVG namespace.
            for forbidden in ["<script", "<link", "src=", "@import", "url("] { #expect(!html.contains(forbidden), "\(forbidden)") }
            #expect(html.components(separatedBy: "://").count - 1 == 1 && html.contains("xmlns=\"http://www.w3.org/2000/svg\""))
            for section in ["Case summary", "Data sources", "by destination category", "Flow picture", "Top destinations", "By hop", "Evidence", "How to re-run"] {
                #expect(html.contains(section), "\(section)")
            }
            #expect(html.contains("Ex &lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot; &amp; &apos;a&apos; | b&#10;next"))
            // The data source carries its SHA-256; the Sankey has a band to the exchange category.
            let sha = Hex.encode(Hashing.sha256(try Data(contentsOf: URL(fileURLWithPath: Paths.fixture("transfers/worked-example.csv")))))
            #expect(html.contains(sha))
            #expect(html.contains("<svg") && html.contains("exchange · 3 ETH"))

            let md = try Self.read(out.appendingPathComponent("report.md").path)
            let row = try #require(md.split(separator: "\n").first { $0.contains("alert") })
            #expect(row.replacingOccurrences(of: "\\|", with: "").filter { $0 == "|" }.count == 10, "\(row)")
            // report.json is the document both were written from; its trace is the trace.
            let doc = try JSONDecoder().decode(CaseReport.self, from: Data(contentsOf: out.appendingPathComponent("report.json")))
            let direct = try JSONDecoder().decode(TraceReport.self, from: Data(runCLI(["trace"] + trace + ["--json"]).stdout.utf8))
            #expect(doc.trace == direct && doc.sources.first?.sha256 == sha)
            #expect(doc.rerun.starts(with: ["trace", "--db", trace[1], "--from", Self.stolen, "--policy", "fifo"]))
            expectGolden(Self.normalized(md, dir: dir), named: "report/worked-example.md")
            expectGolden(Self.normalized(html, dir: dir), named: "report/worked-example.html")
        }
    }

    @Test func caseFolderVerifiesDetectsTamperingAndReruns() throws {
        try withTemporaryDirectory { dir in
            let (db, trace) = try Self.workedExample(dir)
            let folder = dir.appendingPathComponent("case")
            let made = runCLI(["case", "export"] + trace + ["--out", folder.path])
            #expect(made.exitCode == 0, "\(made.stderr)")
            let manifest = try Self.read(folder.appendingPathComponent("MANIFEST.sha256").path)
            let listed = manifest.split(separator: "\n").map { String($0.dropFirst(66)) }
            #expect(listed == ["case.json", "exports/flow.csv", "exports/flow.cyjs", "exports/flow.dot", "exports/flow.gexf", "exports/flow.graphml",
                               "exports/flow.mmd", "exports/neo4j/nodes.csv", "exports/neo4j/relationships.csv", "report/report.html",
                               "report/report.json", "report/report.md", "trace.json"])
            // sha256sum accepts the manifest as it is.
            let check = Process()
            check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            check.arguments = ["sha256sum", "--check", "--quiet", "MANIFEST.sha256"]
            check.currentDirectoryURL = folder
            try check.run(); check.waitUntilExit()
            #expect(check.terminationStatus == 0)
            let description = try jsonObject(try Self.read(folder.appendingPathComponent("case.json").path))
            #expect(description["flowtraceVersion"] as? String == FlowTrace.version)
            #expect((description["command"] as? [String])?.starts(with: ["case", "export", "--db", db, "--from", Self.stolen]) == true)

            let ok = runCLI(["case", "verify", folder.path, "--db", db, "--json"])
            #expect(ok.exitCode == 0, "\(ok.stdout)\(ok.stderr)")
            let result = try jsonObject(ok.stdout)
            #expect(result["verified"] as? Bool == true && result["files"] as? Int == 13)
            #expect((result["rerun"] as? String)?.contains("reproduces") == true)
            // Writing into a non-empty folder is refused (its manifest would not cover the rest).
            #expect(runCLI(["case", "export"] + trace + ["--out", folder.path]).exitCode == 73)

            // The store moves on: the re-run no longer matches, and says why.
            #expect(runCLI(["labels", "add", Self.stolen, "--category", "victim", "--name", "Victim", "--db", db]).exitCode == 0)
            let moved = runCLI(["case", "verify", folder.path, "--db", db])
            #expect(moved.exitCode == 65 && moved.stdout.contains("rerun-differs") && moved.stdout.contains("generation"), "\(moved.stdout)")

            // Tampering: a changed export, an extra file, a file swapped for a symlink.
            try "digraph x {}\n".write(to: folder.appendingPathComponent("exports/flow.dot"), atomically: true, encoding: .utf8)
            try "x".write(to: folder.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
            try FileManager.default.removeItem(at: folder.appendingPathComponent("trace.json"))
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("trace.json"), withDestinationURL: URL(fileURLWithPath: Paths.fixture("transfers/worked-example.csv")))
            let bad = runCLI(["case", "verify", folder.path, "--json"])
            #expect(bad.exitCode == 65)
            let problems = (try jsonObject(bad.stdout)["problems"] as? [[String: Any]] ?? []).map { "\($0["status"] ?? ""):\($0["path"] ?? "")" }
            #expect(Set(problems) == ["changed:exports/flow.dot", "unlisted:notes.txt", "symlink:trace.json"], "\(problems)")
        }
    }
}
