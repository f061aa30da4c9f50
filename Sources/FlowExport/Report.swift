import FlowCore

/// What an investigator's report holds: the trace result, the data it rests on (with hashes) and how to re-run it.
/// `report.json` is this document; the HTML and Markdown reports are written from it alone.
public struct CaseReport: Codable, Sendable, Equatable {
    public struct Source: Codable, Sendable, Equatable {
        public var path: String
        /// SHA-256 of the file's bytes (nil for live sources such as a node).
        public var sha256: String?
        public var format: String
        public var chain: String?
        public init(path: String, sha256: String?, format: String, chain: String?) {
            self.path = path; self.sha256 = sha256; self.format = format; self.chain = chain
        }
    }

    public var title: String
    public var flowtraceVersion: String
    /// The `flowtrace` arguments that reproduce the trace.
    public var rerun: [String]
    public var sources: [Source]
    public var trace: TraceReport

    public init(title: String, flowtraceVersion: String, rerun: [String], sources: [Source], trace: TraceReport) {
        self.title = title; self.flowtraceVersion = flowtraceVersion; self.rerun = rerun; self.sources = sources; self.trace = trace
    }

    /// `rerun` as one POSIX shell command line.
    public var rerunCommand: String { (["flowtrace"] + rerun).map(Self.shellQuoted).joined(separator: " ") }

    static func shellQuoted(_ s: String) -> String {
        if !s.isEmpty, s.unicodeScalars.allSatisfy(isShellSafe) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Characters a POSIX shell word may hold unquoted.
    static func isShellSafe(_ u: Unicode.Scalar) -> Bool {
        switch u {
        case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".", "/", ":", ",", "=", "+", "@", "%": return true
        default: return false
        }
    }
}

/// Numbers as a report shows them: exact decimals from base units, shares by integer arithmetic.
struct ReportNumbers {
    let decimals: Int?
    let symbol: String

    /// `1.9 ETH`: the exact decimal with trailing fraction zeros dropped; raw units when decimals are unknown.
    func amount(_ baseUnits: String) -> String {
        guard let decimals else { return "\(baseUnits) raw units of \(symbol)" }
        var text = Amount.formatted(baseUnits: baseUnits, decimals: decimals)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return "\(text) \(symbol)"
    }

    /// `part` as a percentage of `whole` (`12.34%`); empty when whole is zero.
    static func share(_ part: Int128, of whole: Int128) -> String { whole > 0 ? Share.text(basisPoints: Share.basisPoints(part, of: whole)) : "" }
}

/// Shares as FlowTrace prints them: basis points by integer arithmetic (rounded down), shown with two decimals.
public enum Share {
    /// `part` / `whole` in basis points (0 when whole is zero).
    public static func basisPoints(_ part: Int128, of whole: Int128) -> Int {
        guard whole > 0 else { return 0 }
        let (scaled, overflow) = part.multipliedReportingOverflow(by: 10_000)
        return Int(overflow ? part / whole * 10_000 : scaled / whole)
    }

    /// `1234` as `12.34%`.
    public static func text(basisPoints bp: Int) -> String { "\(bp / 100).\(bp % 100 < 10 ? "0" : "")\(bp % 100)%" }
}

/// The report's sections, computed once for the HTML and Markdown writers.
struct ReportContent {
    struct Row { var cells: [String] }
    let report: CaseReport
    let numbers: ReportNumbers
    let seedAmount: Int128

    init(_ report: CaseReport) {
        self.report = report
        numbers = ReportNumbers(decimals: report.trace.asset.decimals, symbol: report.trace.asset.symbol)
        seedAmount = Int128(report.trace.seedAmount) ?? 0
    }

    var trace: TraceReport { report.trace }

    var parameters: [(String, String)] {
        let p = trace.parameters
        var out: [(String, String)] = [("Model", trace.model == "utxo" ? "UTXO (Bitcoin, exact per transaction)" : "account (time-ordered ledgers)"),
                                       ("Asset", "\(trace.asset.symbol) on \(trace.asset.chain)"), ("Policy", p.policy), ("Direction", p.direction),
                                       ("Traced amount", numbers.amount(trace.seedAmount))]
        out.append(("Hop limit", p.maxHops.map(String.init) ?? "none"))
        out.append(("Time window", "\(p.since ?? "any") – \(p.until ?? "any")"))
        out.append(("Dust threshold", p.minAmount == "0" ? "none" : numbers.amount(p.minAmount)))
        if let a = p.amount { out.append(("Amount limit", numbers.amount(a))) }
        out.append(("Stop at", p.stopAt.isEmpty ? "nothing" : p.stopAt.joined(separator: ", ")))
        if let n = p.maxNodes { out.append(("Node budget", String(n))) }
        if p.isStatic { out.append(("Static", "yes: time ignored, taint split by amount")) }
        if p.entities { out.append(("Entities", "addresses inherit their cluster's labels")) }
        out.append(("Conserved", trace.conserved.map { $0 ? "yes: sinks sum to the traced amount" : "NO: sinks do not sum to the traced amount" }
                    ?? "not applicable (poison marks every path in full)"))
        out.append(("Store generation", String(trace.storeGeneration)))
        out.append(("FlowTrace", report.flowtraceVersion))
        return out
    }

    var seeds: [Row] { trace.seeds.map { Row(cells: [$0.seed, $0.kind, numbers.amount($0.amount.isEmpty ? "0" : $0.amount)]) } }

    var sources: [Row] { report.sources.map { Row(cells: [$0.path, $0.format, $0.chain ?? "", $0.sha256 ?? "(live source)"]) } }

    /// Totals by category, largest first (ties by name).
    var categories: [(category: String, amount: Int128)] {
        trace.totals.byCategory.map { ($0.key, Int128($0.value) ?? 0) }.sorted { $0.amount != $1.amount ? $0.amount > $1.amount : $0.category < $1.category }
    }

    var categoryRows: [Row] {
        categories.map { Row(cells: [$0.category, numbers.amount(String($0.amount)), ReportNumbers.share($0.amount, of: seedAmount)]) }
    }

    static let topDestinations = 25

    var destinationRows: [Row] {
        trace.sinks.prefix(Self.topDestinations).map { s in
            Row(cells: [s.address, s.label ?? "", s.category, numbers.amount(s.amount), ReportNumbers.share(Int128(s.amount) ?? 0, of: seedAmount),
                        String(s.hops), s.reason, s.firstTime ?? "", s.lastTime ?? ""])
        }
    }

    var hopRows: [Row] {
        let hops: [(hop: Int, amount: Int128)] = trace.totals.byHop.map { (Int($0.key) ?? 0, Int128($0.value) ?? 0) }
        return hops.sorted { $0.hop < $1.hop }.map { h in
            Row(cells: [String(h.hop), numbers.amount(String(h.amount)), ReportNumbers.share(h.amount, of: seedAmount)])
        }
    }

    var entityRows: [Row] {
        (trace.entities ?? []).prefix(Self.topDestinations).map { e in
            Row(cells: [e.entity, e.isCluster ? "cluster of \(e.size)" : "address", e.label ?? "", e.category, numbers.amount(e.amount), String(e.addresses)])
        }
    }

    var evidenceRows: [Row] {
        trace.edges.map { e in
            Row(cells: [String(e.hop), e.kind, e.from, e.to, numbers.amount(e.amount), numbers.amount(e.transferAmount), e.tx, e.time ?? "",
                        e.block.map(String.init) ?? ""])
        }
    }

    var notes: [String] {
        var out: [String] = []
        if trace.sinks.count < trace.sinkCount {
            out.append("The top \(trace.sinks.count) of \(trace.sinkCount) destinations are listed; the totals cover all of them.")
        }
        if trace.edgesTruncated {
            out.append("The evidence lists the \(trace.edges.count) largest of \(trace.edgeCount) flows; re-run with a larger --max-edges for more.")
        }
        return out
    }
}
