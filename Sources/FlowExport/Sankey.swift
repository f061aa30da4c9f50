import FlowCore

/// The report's flow picture: an inline SVG Sankey diagram with three columns — the seeds, the hop at which taint
/// came to rest, and the destination category — whose band widths are proportional to the amounts (the exact
/// amounts are in each element's tooltip). Pixel geometry is floating point; amounts never are.
enum SankeyWriter {
    struct Node { var id: String; var title: String; var amount: Int128; var color: String }
    struct Link { var from: Int; var to: Int; var amount: Int128 }

    static let width = 960.0, height = 420.0, nodeWidth = 16.0, gap = 14.0, top = 24.0

    static func color(forCategory c: String) -> String {
        switch c {
        case "exchange": return "#2f6fb5"
        case "mixer": return "#c0392b"
        case "bridge": return "#8e44ad"
        case "sanctioned": return "#7b1010"
        case "defi": return "#16a085"
        case "gambling": return "#d35400"
        case "darknet", "ransomware", "scam", "exploiter": return "#a04000"
        case "fee": return "#b0b0b0"
        case "unlabelled": return "#7f8c8d"
        default:
            // A stable colour from the name (FNV-1a), for categories without a fixed one.
            var h: UInt32 = 2_166_136_261
            for b in c.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
            return "hsl(\(h % 360),45%,45%)"
        }
    }

    /// Columns and links from the sinks: seeds → hop → category. Sinks a trace did not list (it lists the largest)
    /// are drawn as "not listed" so the picture still sums to the totals.
    static func layout(_ trace: TraceReport) -> (columns: [[Node]], links: [Link]) {
        var byHop: [Int: Int128] = [:], cross: [String: [Int: Int128]] = [:]
        for s in trace.sinks {
            let a = Int128(s.amount) ?? 0
            byHop[s.hops, default: 0] += a
            cross[s.category, default: [:]][s.hops, default: 0] += a
        }
        for (hop, total) in trace.totals.byHop {
            guard let h = Int(hop), let t = Int128(total) else { continue }
            let rest = t - (byHop[h] ?? 0)
            if rest > 0 { byHop[h, default: 0] += rest; cross["not listed", default: [:]][h, default: 0] += rest }
        }
        let hops = byHop.keys.sorted()
        let categories = cross.map { ($0.key, $0.value.values.reduce(0, +)) }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        let total = byHop.values.reduce(0, +)
        let seedTitle = trace.seeds.count == 1 ? ExportGraph.shortened(trace.seeds[0].seed) : "\(trace.seeds.count) seeds"
        var columns: [[Node]] = [[Node(id: "seeds", title: seedTitle, amount: total, color: "#34495e")], [], []]
        for h in hops { columns[1].append(Node(id: "hop\(h)", title: "hop \(h)", amount: byHop[h] ?? 0, color: "#5d6d7e")) }
        for (c, a) in categories { columns[2].append(Node(id: "cat-\(c)", title: c, amount: a, color: color(forCategory: c))) }
        var links: [Link] = []
        for (i, h) in hops.enumerated() { links.append(Link(from: 0, to: 1 + i, amount: byHop[h] ?? 0)) }
        for (j, (c, _)) in categories.enumerated() {
            for (i, h) in hops.enumerated() {
                if let a = cross[c]?[h], a > 0 { links.append(Link(from: 1 + i, to: 1 + hops.count + j, amount: a)) }
            }
        }
        return (columns, links)
    }

    static func write(_ trace: TraceReport, numbers: ReportNumbers, to out: inout some TextOutputStream) {
        let (columns, links) = layout(trace)
        let flat = columns.flatMap { $0 }
        let total = max(Int128(1), columns[0].first?.amount ?? 1)
        let tallest = Double(columns.map(\.count).max() ?? 1)
        let usable = height - top - 8 - gap * max(0, tallest - 1)
        func size(_ a: Int128) -> Double { max(1.5, Double(a) / Double(total) * usable) }
        // Node positions: stacked from the top of each column.
        let xs = [10.0, width / 2 - nodeWidth / 2, width - 10 - nodeWidth]
        var y = [Double](repeating: 0, count: flat.count), h = [Double](repeating: 0, count: flat.count), x = [Double](repeating: 0, count: flat.count)
        var index = 0
        for (c, column) in columns.enumerated() {
            var cursor = top
            for node in column {
                x[index] = xs[c]; y[index] = cursor; h[index] = size(node.amount)
                cursor += h[index] + gap
                index += 1
            }
        }
        func f(_ v: Double) -> String { String(Double(Int((v * 10).rounded())) / 10) }
        out.write("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"sankey\" viewBox=\"0 0 \(f(width)) \(f(height))\" role=\"img\" "
                  + "aria-label=\"Flow from the seeds through hops to destination categories\">\n")
        out.write("<text x=\"10\" y=\"14\" class=\"col\">seeds</text><text x=\"\(f(xs[1]))\" y=\"14\" class=\"col\">hop where taint rests</text>"
                  + "<text x=\"\(f(width - 10))\" y=\"14\" class=\"col\" text-anchor=\"end\">destination category</text>\n")
        // Bands: each leaves its source below the previous band and enters its target likewise.
        var outUsed = [Double](repeating: 0, count: flat.count), inUsed = [Double](repeating: 0, count: flat.count)
        for link in links {
            let t = size(link.amount)
            let sx = x[link.from] + nodeWidth, tx = x[link.to], mid = (sx + tx) / 2
            let sy = y[link.from] + outUsed[link.from], ty = y[link.to] + inUsed[link.to]
            outUsed[link.from] += t; inUsed[link.to] += t
            let d = "M\(f(sx)),\(f(sy)) C\(f(mid)),\(f(sy)) \(f(mid)),\(f(ty)) \(f(tx)),\(f(ty)) L\(f(tx)),\(f(ty + t)) "
                + "C\(f(mid)),\(f(ty + t)) \(f(mid)),\(f(sy + t)) \(f(sx)),\(f(sy + t)) Z"
            let tip = "\(flat[link.from].title) → \(flat[link.to].title): \(numbers.amount(String(link.amount)))"
            out.write("<path d=\"\(d)\" fill=\"\(flat[link.to].color)\" fill-opacity=\"0.45\"><title>\(Escape.xml(tip))</title></path>\n")
        }
        for (i, node) in flat.enumerated() {
            let tip = "\(node.title): \(numbers.amount(String(node.amount))) (\(node.amount) base units)"
            out.write("<rect x=\"\(f(x[i]))\" y=\"\(f(y[i]))\" width=\"\(f(nodeWidth))\" height=\"\(f(max(h[i], outUsed[i], inUsed[i])))\" "
                      + "fill=\"\(node.color)\"><title>\(Escape.xml(tip))</title></rect>\n")
            let isLast = x[i] == xs[2]
            let lx = isLast ? x[i] - 6 : x[i] + nodeWidth + 6
            let label = "\(node.title) · \(numbers.amount(String(node.amount)))"
            out.write("<text x=\"\(f(lx))\" y=\"\(f(y[i] + max(h[i], 10) / 2 + 4))\"\(isLast ? " text-anchor=\"end\"" : "")>"
                      + "\(Escape.xml(ExportGraph.shortened(label, keep: 40)))</text>\n")
        }
        out.write("</svg>\n")
    }
}
