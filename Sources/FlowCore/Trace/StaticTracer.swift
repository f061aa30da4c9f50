/// Time-ignoring tracing over the account graph, for aggregated graphs and for comparison with graph libraries.
///
/// In rounds (hop 0 = the seeds): every node holding taint at hop h passes it on along all its out-edges — poison:
/// every reached edge fully; haircut: split in proportion to edge amount, exactly
/// (``Allocation/largestRemainders(total:weights:)``) — to arrive at hop h + 1, where taint from different senders
/// adds up. A seed starts with the sum of its out-edges (with an amount limit, only the first units over the seeds
/// in order). Taint stops at a stop-labelled node (`labelled`), below the dust threshold (`dust`), at a node with no
/// out-edges (`unspent`), at hop `maxHops` (`hop-limit`), or when the node budget is spent (`node-budget`). Edges
/// outside the time window and of other assets are ignored.
public struct StaticTracer {
    public let graph: FlowGraph
    public let policy: TracePolicy
    public let limits: TraceLimits
    public let asset: UInt32?
    public let isStop: (Int) -> Bool
    public var recordsFlows = true

    public init(graph: FlowGraph, policy: TracePolicy, limits: TraceLimits, asset: UInt32?, isStop: @escaping (Int) -> Bool) {
        precondition(policy == .poison || policy == .haircut, "static tracing supports poison and haircut")
        self.graph = graph; self.policy = policy; self.limits = limits; self.asset = asset; self.isStop = isStop
    }

    @inline(__always) private func counts(_ e: Int) -> Bool {
        if let asset, graph.edgeAsset[e] != asset { return false }
        return limits.contains(time: graph.edgeTime[e])
    }
    @inline(__always) private func amount(_ e: Int) -> Int128 { Int128(graph.edgeAmountHigh[e]) << 64 | Int128(graph.edgeAmountLow[e]) }

    /// The sum of a node's counted out-edges.
    @inline(__always) private func outTotal(_ v: Int) -> Int128 {
        var total: Int128 = 0
        for e in graph.outEdges(of: v) where counts(e) { total += amount(e) }
        return total
    }

    /// Traces from the seed nodes.
    /// - Complexity: O(Σ out-degree of the nodes reached per round), at most `maxHops` rounds.
    public func trace(seedNodes: [Int], amount limit: Int128? = nil) -> TraceOutcome {
        precondition(limits.maxHops != nil, "static tracing needs a hop limit")
        var outcome = TraceOutcome()
        let g = graph
        var budget = limit
        var held = [Int128](repeating: 0, count: g.nodeCount)
        var isHeld = [Bool](repeating: false, count: g.nodeCount)
        var expanded = [Bool](repeating: false, count: g.nodeCount)
        var frontier: [Int] = []
        for v in seedNodes where !isHeld[v] {
            let total = outTotal(v)
            var share = total
            if let b = budget { share = min(b, total); budget = b - share }
            guard share > 0 else { continue }
            outcome.seedAmount += share
            held[v] = share; isHeld[v] = true
            frontier.append(v)
        }
        var remainders: [(Int128, Int)] = []
        var shares: [(Int, Int128)] = []
        var hop = 0
        while !frontier.isEmpty {
            frontier.sort()
            var next: [Int] = []
            // This round's taint, taken out before anything arrives for the next round.
            let current = frontier.map { v in
                defer { held[v] = 0; isHeld[v] = false }
                return (v, held[v])
            }
            for (v, x) in current {
                func stop(_ reason: SinkReason) { outcome.sinks.append(TraceSink(location: .node(v), reason: reason, amount: x, hop: hop, time: 0)) }
                if hop > 0 && isStop(v) { stop(.labelled); continue }
                if hop > 0 && x < limits.minAmount { stop(.dust); continue }
                let total = outTotal(v)
                if total == 0 { stop(.unspent); continue }
                if !limits.allowsHop(hop) { stop(.hopLimit); continue }
                if !expanded[v] {
                    if let maxNodes = limits.maxNodes, outcome.expanded >= maxNodes { stop(.nodeBudget); continue }
                    expanded[v] = true
                    outcome.expanded += 1
                }
                // Largest-remainder split of x over the out-edges (poison: every edge fully).
                remainders.removeAll(keepingCapacity: true)
                shares.removeAll(keepingCapacity: true)
                var given: Int128 = 0
                for e in g.outEdges(of: v) where counts(e) {
                    let a = amount(e)
                    if policy == .poison {
                        shares.append((e, a))
                    } else {
                        let (q, r) = Allocation.mulDivRem(x, a, total)
                        given += q
                        if r > 0 { remainders.append((r, shares.count)) }
                        shares.append((e, q))
                    }
                }
                var left = x - given
                if policy == .haircut && left > 0 {
                    remainders.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
                    for (_, k) in remainders where left > 0 { shares[k].1 += 1; left -= 1 }
                }
                for (e, share) in shares where share > 0 {
                    let w = Int(g.edgeTarget[e])
                    held[w] += share
                    if !isHeld[w] { isHeld[w] = true; next.append(w) }
                    if recordsFlows { outcome.flows.append(TraceFlow(via: .edge(e), amount: share, hop: hop + 1)) }
                }
            }
            frontier = next
            hop += 1
        }
        return outcome
    }

    /// The nodes within `maxHops` out-edges of the seeds (the seeds included), ascending — poison's reach, without
    /// amounts. Breadth-first over the CSR arrays.
    /// - Complexity: O(nodes + edges reached).
    public func reach(seedNodes: [Int]) -> [Int] {
        let g = graph
        let maxHops = limits.maxHops ?? Int.max
        var visited = [UInt64](repeating: 0, count: (g.nodeCount + 63) / 64)
        var frontier: [Int32] = []
        var reached: [Int] = []
        for v in seedNodes where visited[v >> 6] & (1 << UInt64(v & 63)) == 0 {
            visited[v >> 6] |= 1 << UInt64(v & 63)
            frontier.append(Int32(v)); reached.append(v)
        }
        var hop = 0
        var next: [Int32] = []
        while !frontier.isEmpty && hop < maxHops {
            next.removeAll(keepingCapacity: true)
            for v in frontier {
                let vi = Int(v)
                if hop > 0 && isStop(vi) { continue }
                for e in g.outEdges(of: vi) where counts(e) {
                    let w = Int(g.edgeTarget[e])
                    let bit: UInt64 = 1 << UInt64(w & 63)
                    if visited[w >> 6] & bit == 0 {
                        visited[w >> 6] |= bit
                        next.append(Int32(w)); reached.append(w)
                    }
                }
            }
            swap(&frontier, &next)
            hop += 1
        }
        return reached.sorted()
    }
}
