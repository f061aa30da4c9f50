import FlowCore

/// The investigator's report as one self-contained HTML file (inline CSS and SVG; no scripts, fonts or network)
/// and as Markdown. Both are written from a ``CaseReport`` alone, so the same report gives the same bytes.
public enum ReportWriter {
    static let style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1100px;color:#1c2833;padding:0 1em}
        h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #d5d8dc;padding-bottom:.2em}
        table{border-collapse:collapse;margin:.5em 0;font-size:.9em}td,th{border:1px solid #d5d8dc;padding:.25em .5em;text-align:left;vertical-align:top}
        th{background:#f4f6f7}td.num{text-align:right;white-space:nowrap}code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
        .sankey{width:100%;height:auto;border:1px solid #eaeded;background:#fdfefe}.sankey text{font-size:11px;fill:#1c2833}
        .sankey text.col{font-weight:600;fill:#566573}.note{color:#7b241c}.muted{color:#566573}
        pre{background:#f4f6f7;padding:.6em;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
        """

    public static func writeHTML(_ report: CaseReport, to out: inout some TextOutputStream) {
        let c = ReportContent(report)
        let t = report.trace
        func e(_ s: String) -> String { Escape.xml(s) }
        func table(_ header: [String], _ rows: [ReportContent.Row], numeric: Set<Int> = [], mono: Set<Int> = []) {
            out.write("<table>\n<tr>" + header.map { "<th>\(e($0))</th>" }.joined() + "</tr>\n")
            for r in rows {
                out.write("<tr>" + r.cells.enumerated().map { i, v in
                    let cls = numeric.contains(i) ? " class=\"num\"" : mono.contains(i) ? " class=\"mono\"" : ""
                    return "<td\(cls)>\(e(v))</td>"
                }.joined() + "</tr>\n")
            }
            out.write("</table>\n")
        }
        out.write("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        out.write("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        out.write("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n")
        out.write("<title>\(e(report.title))</title>\n<style>\n\(style)\n</style>\n</head>\n<body>\n")
        out.write("<h1>\(e(report.title))</h1>\n")
        out.write("<p class=\"muted\">\(e(t.parameters.policy)) \(e(t.parameters.direction)) trace of \(e(c.numbers.amount(t.seedAmount))) "
                  + "from \(t.seeds.count) seed(s): \(t.sinkCount) destinations, \(t.edgeCount) flows, \(t.expanded) nodes expanded.</p>\n")
        for n in c.notes { out.write("<p class=\"note\">\(e(n))</p>\n") }

        out.write("<h2>Case summary</h2>\n")
        table(["Seed", "Kind", "Amount"], c.seeds, numeric: [2], mono: [0])
        table(["Parameter", "Value"], c.parameters.map { ReportContent.Row(cells: [$0.0, $0.1]) })
        out.write("<h3>Data sources</h3>\n")
        if c.sources.isEmpty { out.write("<p>No ingest is logged for this store.</p>\n") } else {
            table(["File", "Format", "Chain", "SHA-256"], c.sources, mono: [0, 3])
        }

        out.write("<h2>Where the funds went, by destination category</h2>\n")
        table(["Category", "Amount", "Share of traced"], c.categoryRows, numeric: [1, 2])

        out.write("<h2>Flow picture</h2>\n<p class=\"muted\">From the seeds, through the hop at which the taint came to rest, "
                  + "to the destination category; band widths are proportional to amounts (hover for exact figures).</p>\n")
        SankeyWriter.write(t, numbers: c.numbers, to: &out)

        out.write("<h2>Top destinations</h2>\n")
        table(["Address", "Label", "Category", "Amount", "Share", "Hops", "Reason", "First", "Last"], c.destinationRows,
              numeric: [3, 4, 5], mono: [0])
        if !c.entityRows.isEmpty {
            out.write("<h3>By entity (address clusters)</h3>\n")
            table(["Entity", "Kind", "Label", "Category", "Amount", "Addresses"], c.entityRows, numeric: [4, 5], mono: [0])
        }

        out.write("<h2>By hop</h2>\n")
        table(["Hop", "Amount at rest", "Share"], c.hopRows, numeric: [0, 1, 2])

        out.write("<h2>Evidence: the flows</h2>\n")
        table(["Hop", "Kind", "From", "To", "Tainted", "Moved", "Transaction", "Time (UTC)", "Block"], c.evidenceRows,
              numeric: [0, 4, 5, 8], mono: [2, 3, 6])

        out.write("<h2>How to re-run</h2>\n<pre>\(e(report.rerunCommand))</pre>\n")
        out.write("<p class=\"muted\">FlowTrace \(e(report.flowtraceVersion)); a case folder (<code>flowtrace case export</code>) adds "
                  + "every export and a MANIFEST.sha256 that <code>flowtrace case verify</code> checks.</p>\n")
        out.write("</body>\n</html>\n")
    }

    public static func writeMarkdown(_ report: CaseReport, to out: inout some TextOutputStream) {
        let c = ReportContent(report)
        let t = report.trace
        func table(_ header: [String], _ rows: [ReportContent.Row], numeric: Set<Int> = []) {
            out.write("| " + header.map(Escape.markdown).joined(separator: " | ") + " |\n")
            out.write("|" + header.indices.map { numeric.contains($0) ? "---:|" : "---|" }.joined() + "\n")
            for r in rows { out.write("| " + r.cells.map(Escape.markdown).joined(separator: " | ") + " |\n") }
            out.write("\n")
        }
        out.write("# \(Escape.markdown(report.title))\n\n")
        out.write(Escape.markdown("\(t.parameters.policy) \(t.parameters.direction) trace of \(c.numbers.amount(t.seedAmount)) from \(t.seeds.count) seed(s): "
                                  + "\(t.sinkCount) destinations, \(t.edgeCount) flows, \(t.expanded) nodes expanded.") + "\n\n")
        for n in c.notes { out.write("> " + Escape.markdown(n) + "\n\n") }
        out.write("## Case summary\n\n")
        table(["Seed", "Kind", "Amount"], c.seeds, numeric: [2])
        table(["Parameter", "Value"], c.parameters.map { ReportContent.Row(cells: [$0.0, $0.1]) })
        out.write("### Data sources\n\n")
        if c.sources.isEmpty { out.write("No ingest is logged for this store.\n\n") } else { table(["File", "Format", "Chain", "SHA-256"], c.sources) }
        out.write("## Where the funds went, by destination category\n\n")
        table(["Category", "Amount", "Share of traced"], c.categoryRows, numeric: [1, 2])
        out.write("## Top destinations\n\n")
        table(["Address", "Label", "Category", "Amount", "Share", "Hops", "Reason", "First", "Last"], c.destinationRows, numeric: [3, 4, 5])
        if !c.entityRows.isEmpty {
            out.write("### By entity (address clusters)\n\n")
            table(["Entity", "Kind", "Label", "Category", "Amount", "Addresses"], c.entityRows, numeric: [4, 5])
        }
        out.write("## By hop\n\n")
        table(["Hop", "Amount at rest", "Share"], c.hopRows, numeric: [0, 1, 2])
        out.write("## Evidence: the flows\n\n")
        table(["Hop", "Kind", "From", "To", "Tainted", "Moved", "Transaction", "Time (UTC)", "Block"], c.evidenceRows, numeric: [0, 4, 5, 8])
        out.write("## How to re-run\n\n```sh\n\(report.rerunCommand.replacingOccurrences(of: "```", with: "` ` `"))\n```\n")
    }
}

extension Escape {
    /// Text for a Markdown table cell or paragraph: Markdown and HTML punctuation backslash-escaped or as entities,
    /// line breaks as spaces, controls dropped, so a label can neither end a cell nor start markup.
    static func markdown(_ s: String) -> String {
        mapped(s) { u in
            switch u {
            case "\n", "\r", "\t": return " "
            case "<": return "&lt;"
            case ">": return "&gt;"
            case "&": return "&amp;"
            case "|", "\\", "`", "*", "_", "[", "]", "#", "!", "~": return "\\" + String(u)
            default: return nil
            }
        }
    }
}
