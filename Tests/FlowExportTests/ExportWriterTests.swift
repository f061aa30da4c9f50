import FlowCore
import FlowExport
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TestSupport

/// Every writer on one small fixture graph (golden files), and hostile strings that must not break any format.
@Suite("export writers")
struct ExportWriterTests {
    /// A Bitcoin-shaped trace: a seed address spends into a transaction that pays an exchange, a change address
    /// and the fee; plus an account transfer of wei beyond 64 bits between the same pair twice (parallel edges).
    static func fixture(label: String = "Exchange X hot wallet", name: String = "case-42") -> ExportGraph {
        let tx = "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef569f3e"
        let nodes: [ExportGraph.Node] = [
            .init(id: "1SeedSeedSeedSeedSeedSeedSeedSeed", kind: .address, label: "Victim", category: "victim", chain: "bitcoin", isSeed: true,
                  inTotal: 0, outTotal: 50_000_000),
            .init(id: tx, kind: .transaction, label: nil, category: nil, chain: "bitcoin", isSeed: false, inTotal: 50_000_000, outTotal: 50_000_000),
            .init(id: "1ExchExchExchExchExchExchExchExch", kind: .address, label: label, category: "exchange", chain: "bitcoin", isSeed: false,
                  inTotal: 30_000_000, outTotal: 0),
            .init(id: "1ChangeChangeChangeChangeChange", kind: .address, label: nil, category: nil, chain: "bitcoin", isSeed: false,
                  inTotal: 19_990_000, outTotal: 0),
            .init(id: "(fee)", kind: .fee, label: nil, category: "fee", chain: "bitcoin", isSeed: false, inTotal: 10_000, outTotal: 0),
            .init(id: "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", kind: .address, label: nil, category: nil, chain: "ethereum", isSeed: true,
                  inTotal: 0, outTotal: Int128("40000000000000000000")!),
            .init(id: "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", kind: .address, label: "Tornado.Cash: Router", category: "mixer",
                  chain: "ethereum", isSeed: false, inTotal: Int128("40000000000000000000")!, outTotal: 0),
        ]
        let t: Int64 = 1_709_294_400  // 2024-03-01T12:00:00Z
        let edges: [ExportGraph.Edge] = [
            .init(source: nodes[0].id, target: tx, kind: "input", asset: "BTC", decimals: 8, amount: 50_000_000, tainted: 50_000_000, tx: tx,
                  time: t, block: 834_000, hop: 1),
            .init(source: tx, target: nodes[2].id, kind: "output", asset: "BTC", decimals: 8, amount: 30_000_000, tainted: 30_000_000, tx: tx,
                  time: t, block: 834_000, hop: 1),
            .init(source: tx, target: nodes[3].id, kind: "output", asset: "BTC", decimals: 8, amount: 19_990_000, tainted: 19_990_000, tx: tx,
                  time: t, block: 834_000, hop: 1),
            .init(source: tx, target: "(fee)", kind: "output", asset: "BTC", decimals: 8, amount: 10_000, tainted: 10_000, tx: tx,
                  time: t, block: 834_000, hop: 1),
            .init(source: nodes[5].id, target: nodes[6].id, kind: "transfer", asset: "ETH", decimals: 18, amount: Int128("20000000000000000000")!,
                  tainted: Int128("20000000000000000000")!, tx: "0x01", time: t + 60, block: 19_340_000, hop: 1),
            .init(source: nodes[5].id, target: nodes[6].id, kind: "transfer", asset: "ETH", decimals: 18, amount: Int128("20000000000000000000")!,
                  tainted: Int128("10000000000000000000")!, tx: "0x02", time: t + 120, block: 19_340_005, hop: 1),
        ]
        return ExportGraph(name: name, nodes: nodes.reversed(), edges: edges.reversed())
    }

    static func render(_ g: ExportGraph, _ format: String) -> String {
        var s = ""
        switch format {
        case "dot": DOTWriter.write(g, to: &s)
        case "graphml": GraphMLWriter.write(g, to: &s)
        case "gexf": GEXFWriter.write(g, to: &s)
        case "cyjs": CytoscapeWriter.write(g, to: &s)
        case "mermaid": MermaidWriter.write(g, to: &s)
        case "csv": CSVWriter.writeEdges(g, to: &s)
        case "neo4j-nodes": CSVWriter.writeNeo4jNodes(g, to: &s)
        case "neo4j-relationships": CSVWriter.writeNeo4jRelationships(g, to: &s)
        default: Issue.record("unknown format \(format)")
        }
        return s
    }

    static let formats = ["dot", "graphml", "gexf", "cyjs", "mermaid", "csv", "neo4j-nodes", "neo4j-relationships"]

    @Test(arguments: formats)
    func goldenFile(_ format: String) {
        expectGolden(Self.render(Self.fixture(), format), named: "export/fixture.\(format)")
    }

    @Test func sameGraphSameBytesWhateverTheInputOrder() {
        let g = Self.fixture()
        let shuffled = ExportGraph(name: g.name, nodes: g.nodes.reversed(), edges: g.edges.reversed())
        for f in Self.formats { #expect(Self.render(g, f) == Self.render(shuffled, f), "\(f)") }
    }

    final class XMLCheck: NSObject, XMLParserDelegate {
        var elements: [String: Int] = [:]
        var values: [String] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            elements[name, default: 0] += 1
            values += attributes.values
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { values.append(string) }
    }

    static let hostile = "Evil \"quoted\" <b>&amp;</b> 'x' \\ back\nnew line\u{1}\u{7}\u{1b}[31m end |#| -->" + String(repeating: "long", count: 2_000)

    @Test func hostileLabelsBreakNoFormat() throws {
        let g = Self.fixture(label: Self.hostile, name: "case \"1\" <x>\n")
        for format in ["graphml", "gexf"] {
            let check = XMLCheck()
            let parser = XMLParser(data: Data(Self.render(g, format).utf8))
            parser.delegate = check
            #expect(parser.parse(), "\(format): \(parser.parserError.map { "\($0)" } ?? "")")
            #expect(check.elements["node"] == 7 && check.elements["edge"] == 6)
            // The label survives, less the control characters XML 1.0 cannot carry.
            let expected = Self.hostile.unicodeScalars.filter { $0.value >= 0x20 || $0 == "\n" }
            // (A parser may hand character data over in pieces, so look in all of it.)
            #expect(check.values.joined().contains(String(String.UnicodeScalarView(expected))), "\(format)")
        }
        let json = try JSONSerialization.jsonObject(with: Data(Self.render(g, "cyjs").utf8)) as? [String: Any]
        let elements = try #require(json?["elements"] as? [String: Any])
        let nodes = try #require(elements["nodes"] as? [[String: Any]])
        #expect(nodes.contains { ($0["data"] as? [String: Any])?["label"] as? String == Self.hostile })
        #expect((elements["edges"] as? [[String: Any]])?.allSatisfy { ($0["data"] as? [String: Any])?["source"] != nil } == true)

        // DOT: the label is one double-quoted ID with no raw quote, newline or control inside.
        let dot = Self.render(g, "dot")
        let line = try #require(dot.split(separator: "\n").first { $0.contains("Evil") })
        #expect(line.contains(#"Evil \"quoted\" <b>&amp;</b> 'x' \\ back\nnew line"#) && !line.contains("\u{1}") && !line.contains("\u{1b}"))
        #expect(dot.split(separator: "\n").count == Self.render(Self.fixture(), "dot").split(separator: "\n").count)

        // CSV: the label is one quoted field (RFC 4180), so every record has the header's field count.
        let csv = Self.render(g, "csv")
        #expect(csv.contains("\"" + Self.hostile.replacingOccurrences(of: "\"", with: "\"\"").unicodeScalars.filter { $0.value >= 0x20 || $0 == "\n" }
            .map(String.init).joined() + "\""))
        // Mermaid: no raw quote or pipe can end the label early.
        let mermaid = Self.render(g, "mermaid")
        let node = try #require(mermaid.split(separator: "\n").first { $0.contains("Evil") })
        #expect(node.filter { $0 == "\"" }.count == 2 && !node.contains("|"))
    }

    /// The GEXF variant for GEXF 1.2 readers differs only in the declared type of the amount attributes.
    @Test func gexfStringAmountsDifferOnlyInTheirDeclaredType() {
        let g = Self.fixture()
        var big = "", string = ""
        GEXFWriter.write(g, amounts: .biginteger, to: &big)
        GEXFWriter.write(g, amounts: .string, to: &string)
        #expect(big.components(separatedBy: "type=\"biginteger\"").count - 1 == 4)
        #expect(big != string && big.replacingOccurrences(of: "type=\"biginteger\"", with: "type=\"string\"") == string)
    }

    @Test func mermaidKeepsTheLargestFlowsAndSaysSo() {
        var nodes: [ExportGraph.Node] = [.init(id: "s", kind: .address, label: nil, category: nil, chain: "ethereum", isSeed: true, inTotal: 0, outTotal: 0)]
        var edges: [ExportGraph.Edge] = []
        for i in 0..<600 {
            nodes.append(.init(id: "d\(i)", kind: .address, label: nil, category: nil, chain: "ethereum", isSeed: false, inTotal: 0, outTotal: 0))
            for k in 0..<2 {  // two parallel transfers each, merged into one edge
                edges.append(.init(source: "s", target: "d\(i)", kind: "transfer", asset: "ETH", decimals: 18, amount: Int128(i + 1), tainted: Int128(i + 1),
                                   tx: "0x\(i)-\(k)", time: nil, block: nil, hop: 1))
            }
        }
        var out = ""
        MermaidWriter.write(ExportGraph(name: "big", nodes: nodes, edges: edges), to: &out)
        let arrows = out.split(separator: "\n").filter { $0.contains("-->") }
        #expect(arrows.count == 500)
        #expect(out.contains("%% flowtrace: 1200 edges merged to 600 by (source, target, asset); the 500 largest shown, 100 left out"))
        // The smallest 100 (d0…d99) are the ones left out; d599's two transfers of 600 wei are one edge of 1200.
        #expect(!out.contains("[\"d99\"]") && out.contains("[\"d100\"]"))
        #expect(out.contains("0.000000000000001200 ETH (2 transfers)"))
    }
}
