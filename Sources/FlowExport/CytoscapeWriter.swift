import FlowCore

/// Cytoscape.js / Cytoscape desktop JSON (`.cyjs`): `elements.nodes` and `elements.edges`, each `data` with an
/// `id` (edges: `source` and `target`); keys sorted, amounts as strings.
/// Format reference: https://js.cytoscape.org/#notation/elements-json
public enum CytoscapeWriter {
    public static func write(_ g: ExportGraph, to out: inout some TextOutputStream) {
        func object(_ fields: [(String, String)]) -> String {
            "{" + fields.sorted { $0.0 < $1.0 }.map { "\(JSONText.quoted($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
        }
        func s(_ v: String) -> String { JSONText.quoted(v) }
        out.write("{\"data\": \(object([("name", s(g.name)), ("creator", s("flowtrace")), ("schemaVersion", String(FlowExport.schemaVersion))])),\n")
        out.write(" \"elements\": {\n  \"nodes\": [")
        for (i, n) in g.nodes.enumerated() {
            var f = [("id", s(n.id)), ("label", s(ExportGraph.displayName(n))), ("kind", s(n.kind.rawValue)), ("chain", s(n.chain)),
                     ("is_seed", n.isSeed ? "true" : "false"), ("in_total", s(String(n.inTotal))), ("out_total", s(String(n.outTotal)))]
            if let c = n.category { f.append(("category", s(c))) }
            out.write((i == 0 ? "\n" : ",\n") + "   {\"data\": \(object(f))}")
        }
        out.write("\n  ],\n  \"edges\": [")
        for (i, e) in g.edges.enumerated() {
            var f = [("id", s("e\(i)")), ("source", s(e.source)), ("target", s(e.target)), ("kind", s(e.kind)), ("asset", s(e.asset)),
                     ("amount", s(String(e.amount))), ("value", s(e.value)), ("tainted", s(String(e.tainted))), ("tx_hash", s(e.tx)),
                     ("hop", String(e.hop))]
            if let t = e.isoTime { f.append(("time", s(t))) }
            if let b = e.block { f.append(("block", String(b))) }
            out.write((i == 0 ? "\n" : ",\n") + "   {\"data\": \(object(f))}")
        }
        out.write("\n  ]\n }\n}\n")
    }
}
