import FlowCore
import Foundation

/// Graph and report writers. Exporters write to `inout some TextOutputStream`; only the CLI touches files.
public enum FlowExport {
    /// Version of the export schema written into every file's metadata.
    public static let schemaVersion = 1
}

/// A flow graph ready to export: the addresses (and, for Bitcoin, transactions) a trace went through and the
/// transfers between them, with exact amounts. Writers emit nodes and edges in the order held here, which
/// ``init(name:nodes:edges:)`` makes canonical, so the same graph always gives the same bytes.
public struct ExportGraph: Sendable, Equatable {
    public enum NodeKind: String, Sendable { case address, transaction, fee }

    public struct Node: Sendable, Equatable {
        public var id: String
        public var kind: NodeKind
        /// The label's name when the address has one.
        public var label: String?
        public var category: String?
        public var chain: String
        public var isSeed: Bool
        /// Base units that arrived at and left the node along the graph's edges.
        public var inTotal: Int128
        public var outTotal: Int128

        public init(id: String, kind: NodeKind, label: String?, category: String?, chain: String, isSeed: Bool, inTotal: Int128, outTotal: Int128) {
            self.id = id; self.kind = kind; self.label = label; self.category = category; self.chain = chain; self.isSeed = isSeed
            self.inTotal = inTotal; self.outTotal = outTotal
        }
    }

    public struct Edge: Sendable, Equatable {
        public var source: String
        public var target: String
        /// `transfer` (account data), or for Bitcoin `input` (address → transaction) and `output` (transaction → address).
        public var kind: String
        public var asset: String
        /// Decimals of the asset; nil when unknown (amounts are then raw units).
        public var decimals: Int?
        /// Base units the transfer moved, and how many of them were tainted under the trace's policy.
        public var amount: Int128
        public var tainted: Int128
        public var tx: String
        public var time: Int64?
        public var block: Int64?
        public var hop: Int

        public init(source: String, target: String, kind: String, asset: String, decimals: Int?, amount: Int128, tainted: Int128, tx: String,
                    time: Int64?, block: Int64?, hop: Int) {
            self.source = source; self.target = target; self.kind = kind; self.asset = asset; self.decimals = decimals
            self.amount = amount; self.tainted = tainted; self.tx = tx; self.time = time; self.block = block; self.hop = hop
        }

        /// The amount as a decimal in whole units (raw units when the decimals are unknown).
        public var value: String { Amount(baseUnits: amount).formatted(decimals: decimals ?? 0) }
        public var taintedValue: String { Amount(baseUnits: tainted).formatted(decimals: decimals ?? 0) }
        public var isoTime: String? { time.flatMap(UnixTime.iso8601) }
        /// A floating weight for tools that lay out by weight (never used for amounts).
        public var weight: Double { Double(tainted) / pow10(decimals ?? 0) }
    }

    public var name: String
    public var nodes: [Node]
    public var edges: [Edge]

    /// A graph with nodes sorted by id and edges by (hop, source, target, tx, kind, amount): a canonical order.
    public init(name: String, nodes: [Node], edges: [Edge]) {
        self.name = name
        self.nodes = nodes.sorted { $0.id < $1.id }
        self.edges = edges.sorted {
            ($0.hop, $0.source, $0.target, $0.tx, $0.kind) != ($1.hop, $1.source, $1.target, $1.tx, $1.kind)
                ? ($0.hop, $0.source, $0.target, $0.tx, $0.kind) < ($1.hop, $1.source, $1.target, $1.tx, $1.kind)
                : $0.amount < $1.amount
        }
    }

    /// What a node shows: its label, else its id shortened to `abcdef…uvwxyz`.
    public static func displayName(_ node: Node) -> String { node.label ?? shortened(node.id) }

    public static func shortened(_ id: String, keep: Int = 6) -> String {
        id.count > 2 * keep + 1 ? String(id.prefix(keep)) + "…" + String(id.suffix(keep)) : id
    }
}

func pow10(_ n: Int) -> Double {
    var x = 1.0
    for _ in 0..<max(0, n) { x *= 10 }
    return x
}

/// Escaping shared by the writers: each format is a table of replacements over Unicode scalars.
enum Escape {
    /// `s` with each scalar replaced by `replacement(scalar)` when that is non-nil; C0 controls and DEL it does not
    /// replace are dropped (no format here carries them raw).
    static func mapped(_ s: String, _ replacement: (Unicode.Scalar) -> String?) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            if let r = replacement(u) { out += r } else if u.value >= 0x20 && u.value != 0x7F { out.unicodeScalars.append(u) }
        }
        return out
    }

    /// Text safe in XML 1.0 content and attribute values: `& < > " '` escaped, tab and line breaks as character
    /// references, other C0 controls dropped (XML 1.0 forbids them), as are DEL and U+FFFE/U+FFFF.
    static func xml(_ s: String) -> String {
        mapped(s) { u in
            switch u {
            case "&": return "&amp;"
            case "<": return "&lt;"
            case ">": return "&gt;"
            case "\"": return "&quot;"
            case "'": return "&apos;"
            case "\t": return "&#9;"
            case "\n": return "&#10;"
            case "\r": return "&#13;"
            case "\u{FFFE}", "\u{FFFF}": return ""
            default: return nil
            }
        }
    }

    /// A DOT double-quoted ID: `"` and `\` escaped, line breaks as `\n`, other controls dropped.
    static func dot(_ s: String) -> String {
        "\"" + mapped(s) { u in
            switch u {
            case "\"": return "\\\""
            case "\\": return "\\\\"
            case "\n": return "\\n"
            default: return nil
            }
        } + "\""
    }

    /// An RFC 4180 field: quoted when it holds a comma, quote, or line break (quotes doubled); other controls dropped.
    static func csv(_ s: String) -> String {
        let clean = mapped(s) { u in u == "\n" || u == "\r" ? String(u) : nil }
        guard clean.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return clean }
        return "\"" + clean.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Mermaid label text inside `["…"]` or `|"…"|`: quotes and markup characters as entity codes, line breaks as
    /// `<br/>`, controls dropped.
    static func mermaid(_ s: String) -> String {
        mapped(s) { u in
            switch u {
            case "\"": return "#quot;"
            case "<": return "#lt;"
            case ">": return "#gt;"
            case "&": return "#amp;"
            case "#": return "#35;"
            case "|": return "#124;"
            case "\n": return "<br/>"
            default: return nil
            }
        }
    }
}

extension ExportGraph {
    /// The flow graph of a trace result: its listed edges (the largest flows when the trace capped them) and their
    /// endpoints, each node's in/out totals summed from the tainted amounts on those edges.
    public init(trace: TraceReport, name: String) {
        let chain = trace.asset.chain
        var info: [String: TraceReport.Node] = [:]
        for n in trace.nodes { info[n.id] = n }
        var inTotal: [String: Int128] = [:], outTotal: [String: Int128] = [:]
        var edges: [Edge] = []
        edges.reserveCapacity(trace.edges.count)
        for e in trace.edges {
            let tainted = Int128(e.amount) ?? 0
            outTotal[e.from, default: 0] += tainted
            inTotal[e.to, default: 0] += tainted
            edges.append(Edge(source: e.from, target: e.to, kind: e.kind, asset: trace.asset.symbol, decimals: trace.asset.decimals,
                              amount: Int128(e.transferAmount) ?? tainted, tainted: tainted, tx: e.tx,
                              time: e.time.flatMap(UnixTime.parseISO8601), block: e.block, hop: e.hop))
        }
        var ids = Set(inTotal.keys).union(outTotal.keys)
        for n in trace.nodes where n.seed { ids.insert(n.id) }
        let nodes = ids.map { id -> Node in
            let n = info[id]
            let kind: NodeKind = n?.kind == "transaction" ? .transaction : .address
            return Node(id: id, kind: kind, label: n?.label, category: n?.category, chain: chain, isSeed: n?.seed ?? false,
                        inTotal: inTotal[id] ?? 0, outTotal: outTotal[id] ?? 0)
        }
        self.init(name: name, nodes: nodes, edges: edges)
    }
}
