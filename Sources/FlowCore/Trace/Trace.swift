/// How taint is apportioned when tainted and clean value mix.
///
/// See the README's "Taint policies" section for the exact definitions, UTXO and account model.
public enum TracePolicy: String, CaseIterable, Sendable, Codable {
    /// Everything a tainted input or deposit touches is fully tainted (no conservation).
    case poison
    /// Taint is diluted in proportion to value (exact integers, largest remainders).
    case haircut
    /// First in, first out: value is a line of coins consumed in order.
    case fifo
    /// Last in, first out.
    case lifo
    /// Taint in, highest out: taint fills the largest outputs first.
    case tiho
}

/// Follow the money (`forward`) or find its source (`backward`).
public enum TraceDirection: String, CaseIterable, Sendable, Codable {
    case forward, backward
}

/// Why taint stopped where it did.
public enum SinkReason: String, CaseIterable, Sendable, Codable, Comparable {
    /// At an address labelled with one of the stop categories.
    case labelled
    /// Held by the address (UTXO: an unspent output; account: a balance not moved on).
    case unspent
    /// The taint had made the maximum number of hops.
    case hopLimit = "hop-limit"
    /// Less than the dust threshold.
    case dust
    /// It would move outside the time window.
    case timeWindow = "time-window"
    /// Paid to the miner as a transaction fee.
    case fee
    /// The node budget ran out before it was expanded.
    case nodeBudget = "node-budget"
    /// Backward: newly mined coins (a coinbase output).
    case coinbase
    /// Backward: an input whose spent output is not in the store (origin unknown).
    case unresolved
    /// Came back to a seed address, whose outflows are already traced in full.
    case seed

    public static func < (a: SinkReason, b: SinkReason) -> Bool { a.rawValue < b.rawValue }
}

/// The stop rules and window of a trace.
public struct TraceLimits: Sendable, Equatable {
    /// Maximum number of transfers (account) or transactions (UTXO) taint may pass through; nil: unlimited.
    public var maxHops: Int?
    /// Time window (Unix seconds, inclusive); transfers outside it are not followed.
    public var since: Int64?
    public var until: Int64?
    /// Taint smaller than this (base units) is not followed (reason `dust`).
    public var minAmount: Int128
    /// At most this many nodes (addresses for account data, transactions for UTXO data) are expanded.
    public var maxNodes: Int?

    public init(maxHops: Int? = nil, since: Int64? = nil, until: Int64? = nil, minAmount: Int128 = 0, maxNodes: Int? = nil) {
        self.maxHops = maxHops; self.since = since; self.until = until; self.minAmount = minAmount; self.maxNodes = maxNodes
    }

    @inline(__always) public func allowsHop(_ hop: Int) -> Bool { maxHops.map { hop < $0 } ?? true }
    @inline(__always) public func contains(time: Int64) -> Bool { (since.map { time >= $0 } ?? true) && (until.map { time <= $0 } ?? true) }
}

/// Where a piece of taint ended: a node of the account graph, or an output, input, fee or coinbase of the UTXO graph.
public enum TraceLocation: Hashable, Sendable, Comparable {
    case node(Int)
    case output(Int)
    case input(Int)
    case fee(tx: Int)
}

/// One stop of the taint, before the caller aggregates stops per address.
public struct TraceSink: Sendable, Equatable {
    public var location: TraceLocation
    public var reason: SinkReason
    public var amount: Int128
    public var hop: Int
    /// When the taint arrived there (Unix seconds).
    public var time: Int64

    public init(location: TraceLocation, reason: SinkReason, amount: Int128, hop: Int, time: Int64) {
        self.location = location; self.reason = reason; self.amount = amount; self.hop = hop; self.time = time
    }
}

/// One use of an edge of the flow subgraph: an account transfer, or (UTXO) taint entering a transaction through an
/// input or leaving it through an output.
public struct TraceFlow: Sendable, Equatable {
    public enum Via: Hashable, Sendable { case edge(Int), input(Int), output(Int) }
    public var via: Via
    public var amount: Int128
    public var hop: Int

    public init(via: Via, amount: Int128, hop: Int) { self.via = via; self.amount = amount; self.hop = hop }
}

/// Collects a trace's flows: every one offered, or with a `limit` only the largest (ties: the one offered first),
/// so a trace over millions of edges can report its top flows without holding them all.
public struct FlowKeeper: Sendable {
    public let limit: Int?
    /// Unlimited: the flows in offer order. Limited: a heap of (flow, offer number), the worst on top.
    private var kept: [(flow: TraceFlow, order: Int)] = []
    private var offered = 0

    public init(limit: Int?) {
        precondition((limit ?? 0) >= 0, "a negative flow limit")
        self.limit = limit
    }

    /// Whether a flow of `amount` offered now could be kept (false only when it certainly would not: later offers
    /// lose ties, and the bar only rises).
    @inline(__always) public func mightKeep(_ amount: Int128) -> Bool {
        guard let limit else { return true }
        return kept.count < limit || (limit > 0 && amount > kept[0].flow.amount)
    }

    @inline(__always) private static func better(_ a: (flow: TraceFlow, order: Int), _ b: (flow: TraceFlow, order: Int)) -> Bool {
        a.flow.amount != b.flow.amount ? a.flow.amount > b.flow.amount : a.order < b.order
    }

    public mutating func offer(_ flow: TraceFlow) {
        defer { offered += 1 }
        guard let limit else { kept.append((flow, offered)); return }
        let entry = (flow: flow, order: offered)
        if kept.count < limit {
            kept.append(entry)
            var i = kept.count - 1
            while i > 0 {
                let p = (i - 1) / 2
                guard Self.better(kept[p], kept[i]) else { break }
                kept.swapAt(p, i); i = p
            }
        } else if limit > 0 && Self.better(entry, kept[0]) {
            kept[0] = entry
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var worst = i
                if l < kept.count && Self.better(kept[worst], kept[l]) { worst = l }
                if r < kept.count && Self.better(kept[worst], kept[r]) { worst = r }
                if worst == i { break }
                kept.swapAt(i, worst); i = worst
            }
        }
    }

    /// The kept flows in the order they were offered.
    public var flows: [TraceFlow] {
        limit == nil ? kept.map(\.flow) : kept.sorted { $0.order < $1.order }.map(\.flow)
    }
}

/// What a trace found, in graph terms (node, edge, output indices); the CLI turns it into addresses and labels.
public struct TraceOutcome: Sendable {
    /// The taint put on the seeds.
    public var seedAmount: Int128 = 0
    public var sinks: [TraceSink] = []
    public var flows: [TraceFlow] = []
    /// Nodes (account) or transactions (UTXO) expanded.
    public var expanded = 0

    public init() {}

    /// The sinks merged per location and reason (amounts summed, the lowest hop, the earliest time), sorted.
    public func mergedSinks() -> [TraceSink] {
        var merged: [TraceLocation: [SinkReason: TraceSink]] = [:]
        for s in sinks {
            if var m = merged[s.location]?[s.reason] {
                m.amount += s.amount; m.hop = min(m.hop, s.hop); m.time = min(m.time, s.time)
                merged[s.location]?[s.reason] = m
            } else {
                merged[s.location, default: [:]][s.reason] = s
            }
        }
        return merged.values.flatMap(\.values).sorted { ($0.location, $0.reason) < ($1.location, $1.reason) }
    }

    /// The sum of all sink amounts; equals ``seedAmount`` for every policy but poison.
    public var sinkTotal: Int128 { sinks.reduce(0) { $0 + $1.amount } }
}
