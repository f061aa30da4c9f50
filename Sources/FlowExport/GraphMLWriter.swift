/// GraphML for Gephi, yEd, Cytoscape and NetworkX: keys before the graph, amounts as strings (wei exceed `long`)
/// with a `double` weight for layout, text XML-escaped with control characters dropped.
/// Format reference: http://graphml.graphdrawing.org/specification.html
public enum GraphMLWriter {
    static let nodeKeys: [(id: String, type: String)] = [("label", "string"), ("kind", "string"), ("category", "string"), ("chain", "string"),
                                                          ("is_seed", "boolean"), ("in_total", "string"), ("out_total", "string")]
    static let edgeKeys: [(id: String, type: String)] = [("kind", "string"), ("asset", "string"), ("amount", "string"), ("value", "string"),
                                                          ("tainted", "string"), ("weight", "double"), ("tx_hash", "string"), ("time", "string"),
                                                          ("block", "long"), ("hop", "int")]

    public static func write(_ g: ExportGraph, to out: inout some TextOutputStream) {
        out.write("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n")
        for k in nodeKeys { out.write("  <key id=\"n_\(k.id)\" for=\"node\" attr.name=\"\(k.id)\" attr.type=\"\(k.type)\"/>\n") }
        for k in edgeKeys { out.write("  <key id=\"e_\(k.id)\" for=\"edge\" attr.name=\"\(k.id)\" attr.type=\"\(k.type)\"/>\n") }
        out.write("  <graph id=\"\(Escape.xml(g.name))\" edgedefault=\"directed\">\n")
        func data(_ key: String, _ value: String?) -> String { value.map { "<data key=\"\(key)\">\(Escape.xml($0))</data>" } ?? "" }
        for n in g.nodes {
            out.write("    <node id=\"\(Escape.xml(n.id))\">" + data("n_label", ExportGraph.displayName(n)) + data("n_kind", n.kind.rawValue)
                      + data("n_category", n.category) + data("n_chain", n.chain) + data("n_is_seed", n.isSeed ? "true" : "false")
                      + data("n_in_total", String(n.inTotal)) + data("n_out_total", String(n.outTotal)) + "</node>\n")
        }
        for (i, e) in g.edges.enumerated() {
            out.write("    <edge id=\"e\(i)\" source=\"\(Escape.xml(e.source))\" target=\"\(Escape.xml(e.target))\">" + data("e_kind", e.kind)
                      + data("e_asset", e.asset) + data("e_amount", String(e.amount)) + data("e_value", e.value) + data("e_tainted", String(e.tainted))
                      + data("e_weight", String(e.weight)) + data("e_tx_hash", e.tx) + data("e_time", e.isoTime) + data("e_block", e.block.map(String.init))
                      + data("e_hop", String(e.hop)) + "</edge>\n")
        }
        out.write("  </graph>\n</graphml>\n")
    }
}
