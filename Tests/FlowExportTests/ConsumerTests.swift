import FlowCore
import FlowExport
import Foundation
import Testing
import TestSupport

/// The programs investigators load exports into accept them: Graphviz renders the DOT, networkx reads the
/// GraphML and GEXF with the right nodes, edges and attributes (see ``Consumers`` for when a missing one fails).
@Suite("export consumers")
struct ConsumerTests {
    /// A Python 3 whose networkx reads GEXF 1.3 (networkx ≥ 3): `$FLOWTRACE_PYTHON`, else `python3` on PATH, else Debian's.
    static let networkxPython: String? = {
        let candidates = [ProcessInfo.processInfo.environment["FLOWTRACE_PYTHON"], Consumers.executable("python3"), "/usr/bin/python3"].compactMap { $0 }
        return candidates.first { (try? run($0, ["-c", "import networkx.readwrite.gexf as g; assert '1.3' in g.GEXF.versions"]))?.status == 0 }
    }()
    static let graphviz = Consumers.executable("dot")

    static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    static func write(_ text: String, _ name: String, in dir: URL) throws -> String {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test(.enabled(if: graphviz != nil || Consumers.required, "Graphviz dot is not installed"))
    func graphvizRendersTheDOT() throws {
        let dot = try #require(Self.graphviz, "Graphviz dot is not installed (CI must install graphviz)")
        try withTemporaryDirectory { dir in
            for (name, graph) in [("plain", ExportWriterTests.fixture()), ("hostile", ExportWriterTests.fixture(label: ExportWriterTests.hostile, name: "case \"1\" <x>\n"))] {
                let file = try Self.write(ExportWriterTests.render(graph, "dot"), "\(name).dot", in: dir)
                let r = try Self.run(dot, ["-Tsvg", file])
                #expect(r.status == 0 && r.stderr.isEmpty, "\(name): \(r.stderr)")
                // Every node and every (parallel) edge is drawn: SVG groups of class node and edge.
                #expect(r.stdout.components(separatedBy: "class=\"node\"").count - 1 == 7, "\(name)")
                #expect(r.stdout.components(separatedBy: "class=\"edge\"").count - 1 == 6, "\(name)")
            }
        }
    }

    /// networkx reads both files back: node and edge counts (parallel edges kept), and the attributes by name.
    @Test(.enabled(if: networkxPython != nil || Consumers.required, "Python networkx is not installed"))
    func networkxReadsGraphMLAndGEXF() throws {
        let python = try #require(Self.networkxPython, "no Python with networkx >= 3 (.ci/run installs it with pip)")
        let script = """
            import json, sys
            import networkx as nx
            out = {}
            for kind, path in (("graphml", sys.argv[1]), ("gexf", sys.argv[2])):
                g = nx.read_graphml(path) if kind == "graphml" else nx.read_gexf(path)
                nodes = {str(n): {k: str(v) for k, v in d.items()} for n, d in g.nodes(data=True)}
                edges = sorted([[str(u), str(v), {k: str(x) for k, x in d.items() if not isinstance(x, list)}] for u, v, d in g.edges(data=True)],
                               key=lambda e: (e[0], e[1], e[2].get("tx_hash", e[2].get("tx", ""))))
                out[kind] = {"directed": g.is_directed(), "multi": g.is_multigraph(), "nodes": nodes, "edges": edges}
            print(json.dumps(out))
            """
        try withTemporaryDirectory { dir in
            let graph = ExportWriterTests.fixture(label: ExportWriterTests.hostile)
            let py = try Self.write(script, "read.py", in: dir)
            let graphml = try Self.write(ExportWriterTests.render(graph, "graphml"), "g.graphml", in: dir)
            // networkx knows GEXF 1.2's types only, so it reads the variant with string-typed amounts.
            var text = ""
            GEXFWriter.write(graph, amounts: .string, to: &text)
            let gexf = try Self.write(text, "g.gexf", in: dir)
            let r = try Self.run(python, [py, graphml, gexf])
            try #require(r.status == 0, "networkx failed: \(r.stderr)")
            let result = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: [String: Any]])
            let exchange = "1ExchExchExchExchExchExchExchExch", tornado = "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
            let cleanHostile = String(String.UnicodeScalarView(ExportWriterTests.hostile.unicodeScalars.filter { $0.value >= 0x20 || $0 == "\n" }))
            for kind in ["graphml", "gexf"] {
                let g = try #require(result[kind], "\(kind)")
                #expect(g["directed"] as? Bool == true, "\(kind)")
                let nodes = try #require(g["nodes"] as? [String: [String: String]], "\(kind)")
                let edges = try #require(g["edges"] as? [[Any]], "\(kind)")
                #expect(nodes.count == 7 && edges.count == 6, "\(kind): \(nodes.count) nodes, \(edges.count) edges")
                #expect(nodes[exchange]?["category"] == "exchange", "\(kind)")
                #expect(nodes[exchange]?["label"] == cleanHostile, "\(kind): the hostile label reads back whole")
                #expect(nodes["1SeedSeedSeedSeedSeedSeedSeedSeed"]?["is_seed"].map { $0.lowercased() } == "true", "\(kind)")
                // The two parallel wei transfers stay two edges, with exact amounts as strings.
                let parallel = edges.filter { $0.count == 3 && $0[1] as? String == tornado }.compactMap { $0[2] as? [String: String] }
                #expect(parallel.count == 2, "\(kind)")
                #expect(Set(parallel.compactMap { $0["tainted"] }) == ["20000000000000000000", "10000000000000000000"], "\(kind)")
                #expect(parallel.allSatisfy { $0["amount"] == "20000000000000000000" && $0["asset"] == "ETH" }, "\(kind): \(parallel)")
            }
        }
    }
}
