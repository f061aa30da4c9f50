import Foundation

/// Flat tables: one edge row per transfer with stable headers (for Gephi's spreadsheet import and Maltego's table
/// import), and the node/relationship pair `neo4j-admin database import` reads. RFC 4180 quoting, UTF-8.
/// Format reference: RFC 4180; https://neo4j.com/docs/operations-manual/current/tools/neo4j-admin/neo4j-admin-import/
public enum CSVWriter {
    public static let edgeHeader = "source_address,target_address,kind,asset,amount,value,tainted,tx_hash,time_utc,block,hop,"
        + "source_label,target_label,source_category,target_category"

    /// The edge table.
    public static func writeEdges(_ g: ExportGraph, to out: inout some TextOutputStream) {
        let byID = Dictionary(g.nodes.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        out.write(edgeHeader + "\r\n")
        for e in g.edges {
            let (s, t) = (byID[e.source], byID[e.target])
            let fields = [e.source, e.target, e.kind, e.asset, String(e.amount), e.value, String(e.tainted), e.tx, e.isoTime ?? "",
                          e.block.map(String.init) ?? "", String(e.hop), s?.label ?? "", t?.label ?? "", s?.category ?? "", t?.category ?? ""]
            out.write(fields.map(Escape.csv).joined(separator: ",") + "\r\n")
        }
    }

    /// `nodes.csv` for neo4j-admin import: `:ID(Node)`, properties, `:LABEL` (Address, Transaction or Fee; Seed).
    public static func writeNeo4jNodes(_ g: ExportGraph, to out: inout some TextOutputStream) {
        out.write("id:ID(Node),label,category,chain,in_total,out_total,:LABEL\r\n")
        for n in g.nodes {
            let labels = [n.kind == .address ? "Address" : n.kind == .transaction ? "Transaction" : "Fee"] + (n.isSeed ? ["Seed"] : [])
            let fields = [n.id, n.label ?? "", n.category ?? "", n.chain, String(n.inTotal), String(n.outTotal), labels.joined(separator: ";")]
            out.write(fields.map(Escape.csv).joined(separator: ",") + "\r\n")
        }
    }

    /// `relationships.csv` for neo4j-admin import: amounts as strings (Neo4j's `long` cannot hold wei).
    public static func writeNeo4jRelationships(_ g: ExportGraph, to out: inout some TextOutputStream) {
        out.write(":START_ID(Node),:END_ID(Node),:TYPE,kind,asset,amount,value,tainted,tx_hash,time,block:long,hop:int\r\n")
        for e in g.edges {
            let fields = [e.source, e.target, "FLOW", e.kind, e.asset, String(e.amount), e.value, String(e.tainted), e.tx, e.isoTime ?? "",
                          e.block.map(String.init) ?? "", String(e.hop)]
            out.write(fields.map(Escape.csv).joined(separator: ",") + "\r\n")
        }
    }
}
