import FlowCore

/// A Mermaid flowchart for Markdown reports. Mermaid refuses more than 500 edges by default, so parallel edges
/// (same source, target and asset) are merged and only the `maxEdges` largest flows kept; a comment says what was
/// left out. Node ids are synthetic (`n0`, `n1`, …): addresses are not valid Mermaid ids.
/// Format reference: https://mermaid.js.org/syntax/flowchart.html
public enum MermaidWriter {
    struct Key: Hashable { var source: String; var target: String; var asset: String }

    public static func write(_ g: ExportGraph, maxEdges: Int = 500, to out: inout some TextOutputStream) {
        var merged: [Key: (tainted: Int128, count: Int, decimals: Int?)] = [:]
        for e in g.edges {
            let k = Key(source: e.source, target: e.target, asset: e.asset)
            let m = merged[k] ?? (0, 0, e.decimals)
            merged[k] = (m.tainted + e.tainted, m.count + 1, m.decimals)
        }
        let ordered = merged.sorted { a, b in
            a.value.tainted != b.value.tainted ? a.value.tainted > b.value.tainted
                : (a.key.source, a.key.target, a.key.asset) < (b.key.source, b.key.target, b.key.asset)
        }
        let kept = Array(ordered.prefix(max(0, maxEdges)))
        out.write("flowchart LR\n")
        out.write("  %% flowtrace: \(g.edges.count) edges merged to \(merged.count) by (source, target, asset)")
        out.write(kept.count < merged.count ? "; the \(kept.count) largest shown, \(merged.count - kept.count) left out (Mermaid's edge limit)\n" : "\n")
        let used = Set(kept.flatMap { [$0.key.source, $0.key.target] })
        var ids: [String: String] = [:]
        for n in g.nodes where used.contains(n.id) {
            let id = "n\(ids.count)"
            ids[n.id] = id
            let text = ExportGraph.displayName(n) + (n.category.map { "\n" + $0 } ?? "")
            let cls = n.category.map { ":::" + className($0) } ?? ""
            out.write("  \(id)[\"\(Escape.mermaid(text))\"]\(cls)\n")
        }
        for (k, m) in kept {
            guard let a = ids[k.source], let b = ids[k.target] else { continue }
            let value = Amount(baseUnits: m.tainted).formatted(decimals: m.decimals ?? 0)
            out.write("  \(a) -->|\"\(Escape.mermaid("\(value) \(k.asset)" + (m.count > 1 ? " (\(m.count) transfers)" : "")))\"| \(b)\n")
        }
        let classes = Set(g.nodes.filter { used.contains($0.id) }.compactMap(\.category)).sorted()
        for c in classes { out.write("  classDef \(className(c)) \(style(c));\n") }
    }

    static func className(_ category: String) -> String {
        "c_" + String(category.unicodeScalars.map { ($0.properties.isAlphabetic || ("0"..."9").contains($0)) && $0.isASCII ? Character($0) : "_" })
    }

    static func style(_ category: String) -> String {
        switch category {
        case "exchange": return "fill:#dfe8ff,stroke:#3355aa"
        case "mixer": return "fill:#ffe0e0,stroke:#aa3333"
        case "bridge": return "fill:#fff1d6,stroke:#aa7a22"
        case "sanctioned", "exploiter", "scam", "ransomware", "darknet": return "fill:#f3d9f7,stroke:#7a2a8a"
        case "victim": return "fill:#e3f6e3,stroke:#2f7a2f"
        default: return "fill:#eeeeee,stroke:#777777"
        }
    }
}
