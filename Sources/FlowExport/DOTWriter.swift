import Foundation

/// Graphviz DOT: a `digraph` (never `strict`, which would merge parallel transfers), every ID quoted and escaped,
/// every machine field an attribute. Format reference: https://graphviz.org/doc/info/lang.html
public enum DOTWriter {
    public static func write(_ g: ExportGraph, to out: inout some TextOutputStream) {
        out.write("digraph \(Escape.dot(g.name)) {\n")
        out.write("  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n")
        for n in g.nodes {
            var attrs = [("label", ExportGraph.displayName(n) + (n.label == nil ? "" : "\n" + ExportGraph.shortened(n.id))),
                         ("kind", n.kind.rawValue), ("chain", n.chain), ("in_total", String(n.inTotal)), ("out_total", String(n.outTotal))]
            if let c = n.category { attrs.append(("category", c)) }
            if n.isSeed { attrs.append(("seed", "true")); attrs.append(("penwidth", "3")) }
            if n.kind == .transaction { attrs.append(("shape", "ellipse")) }
            out.write("  \(Escape.dot(n.id)) [\(attrs.map { "\($0.0)=\(Escape.dot($0.1))" }.joined(separator: ", "))];\n")
        }
        for e in g.edges {
            let shown = "\(e.taintedValue) \(e.asset)" + (e.isoTime.map { "\n" + $0.prefix(16).replacingOccurrences(of: "T", with: " ") + "Z" } ?? "")
            var attrs = [("label", shown), ("kind", e.kind), ("tx", e.tx), ("amount", String(e.amount)), ("value", e.value),
                         ("tainted", String(e.tainted)), ("asset", e.asset), ("hop", String(e.hop))]
            if let t = e.isoTime { attrs.append(("time", t)) }
            if let b = e.block { attrs.append(("block", String(b))) }
            out.write("  \(Escape.dot(e.source)) -> \(Escape.dot(e.target)) [\(attrs.map { "\($0.0)=\(Escape.dot($0.1))" }.joined(separator: ", "))];\n")
        }
        out.write("}\n")
    }
}
