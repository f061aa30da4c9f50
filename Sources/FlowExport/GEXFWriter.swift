/// GEXF 1.3 for Gephi: edge `kind` keeps parallel transfers apart, amounts are `biginteger`, and when edges have
/// times the graph is dynamic with a `timestamp` per edge so Gephi's timeline works.
/// Format reference: https://gexf.net/schema.html (GEXF 1.3 primer)
public enum GEXFWriter {
    /// How amounts are typed: GEXF 1.3's `biginteger` (Gephi ≥ 0.9.3 sorts and filters them as numbers), or `string`
    /// for readers that know only GEXF 1.2's types (networkx's `read_gexf` fails on `biginteger`). The digits are
    /// the same exact base units either way.
    public enum AmountType: String, Sendable, CaseIterable { case biginteger, string }

    public static func write(_ g: ExportGraph, amounts: AmountType = .biginteger, to out: inout some TextOutputStream) {
        let timed = g.edges.contains { $0.time != nil }
        out.write("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gexf xmlns=\"http://gexf.net/1.3\" version=\"1.3\">\n")
        out.write("  <meta><creator>flowtrace</creator><description>\(Escape.xml(g.name))</description></meta>\n")
        out.write(timed ? "  <graph mode=\"dynamic\" defaultedgetype=\"directed\" timeformat=\"datetime\" timerepresentation=\"timestamp\">\n"
                        : "  <graph mode=\"static\" defaultedgetype=\"directed\">\n")
        let big = amounts.rawValue
        let nodeAttributes = [("category", "string"), ("chain", "string"), ("kind", "string"), ("is_seed", "boolean"), ("in_total", big),
                              ("out_total", big)]
        let edgeAttributes = [("amount", big), ("value", "string"), ("tainted", big), ("asset", "string"), ("tx_hash", "string"),
                              ("time", "string"), ("block", "long"), ("hop", "integer")]
        out.write("    <attributes class=\"node\">\n")
        for (i, a) in nodeAttributes.enumerated() { out.write("      <attribute id=\"\(i)\" title=\"\(a.0)\" type=\"\(a.1)\"/>\n") }
        out.write("    </attributes>\n    <attributes class=\"edge\">\n")
        for (i, a) in edgeAttributes.enumerated() { out.write("      <attribute id=\"\(i)\" title=\"\(a.0)\" type=\"\(a.1)\"/>\n") }
        out.write("    </attributes>\n    <nodes>\n")
        func values(_ v: [String?]) -> String {
            "<attvalues>" + v.enumerated().compactMap { i, x in x.map { "<attvalue for=\"\(i)\" value=\"\(Escape.xml($0))\"/>" } }.joined() + "</attvalues>"
        }
        for n in g.nodes {
            out.write("      <node id=\"\(Escape.xml(n.id))\" label=\"\(Escape.xml(ExportGraph.displayName(n)))\">"
                      + values([n.category, n.chain, n.kind.rawValue, n.isSeed ? "true" : "false", String(n.inTotal), String(n.outTotal)]) + "</node>\n")
        }
        out.write("    </nodes>\n    <edges>\n")
        for (i, e) in g.edges.enumerated() {
            let stamp = timed ? e.isoTime.map { " timestamp=\"\($0)\"" } ?? "" : ""
            out.write("      <edge id=\"e\(i)\" source=\"\(Escape.xml(e.source))\" target=\"\(Escape.xml(e.target))\" kind=\"\(Escape.xml(e.kind))\""
                      + " weight=\"\(e.weight)\"\(stamp)>"
                      + values([String(e.amount), e.value, String(e.tainted), e.asset, e.tx, e.isoTime, e.block.map(String.init), String(e.hop)])
                      + "</edge>\n")
        }
        out.write("    </edges>\n  </graph>\n</gexf>\n")
    }
}
