/// Time-respecting paths between two nodes of the account graph, and how much could have flowed between them.
public struct PathFinder {
    public let graph: FlowGraph
    /// Only edges of this asset are used; nil: every edge.
    public let asset: UInt32?
    public let limits: TraceLimits

    public init(graph: FlowGraph, asset: UInt32?, limits: TraceLimits) {
        self.graph = graph; self.asset = asset; self.limits = limits
    }

    /// A path: its edges in order, and its bottleneck (smallest edge amount).
    public struct Path: Sendable, Equatable {
        public var edges: [Int]
        public var bottleneck: Int128
    }

    @inline(__always) private func counts(_ e: Int) -> Bool {
        if let asset, graph.edgeAsset[e] != asset { return false }
        return limits.contains(time: graph.edgeTime[e])
    }

    /// The `k` time-respecting walks from `source` to `target` (each edge strictly later than the one before, at
    /// most `limits.maxHops` edges, ending at the first arrival at `target`) with the largest bottlenecks; ties go to
    /// fewer hops, then to the earlier found.
    ///
    /// Best-first search over partial walks by bottleneck: extending a walk never raises its bottleneck, so walks
    /// reach `target` in order. A partial walk is dropped when `k` walks already left the same node no later and in
    /// no more hops (each of them extends at least as well). `budget` caps the partial walks examined.
    /// - Returns: the paths, and whether the budget cut the search short.
    /// - Complexity: O(L log L) for L partial walks examined (at most `budget`).
    public func topPaths(from source: Int, to target: Int, k: Int, budget: Int = 2_000_000) -> (paths: [Path], truncated: Bool) {
        struct Label { var node: Int; var edge: Int; var parent: Int; var width: Int128; var hops: Int; var arrival: Int64 }
        let g = graph
        let maxHops = limits.maxHops ?? Int.max
        var labels = [Label(node: source, edge: -1, parent: -1, width: Int128.max, hops: 0, arrival: Int64.min)]
        var heap = BinaryHeap<WidestFirst>()
        heap.insert(WidestFirst(width: Int128.max, hops: 0, order: 0))
        var settled: [Int: [(Int64, Int)]] = [:]
        var found: [Path] = []
        var examined = 0
        while let top = heap.popMin(), found.count < k {
            let label = labels[top.order]
            if label.node == target && label.hops > 0 {
                var edges: [Int] = []
                var i = top.order
                while labels[i].edge >= 0 { edges.append(labels[i].edge); i = labels[i].parent }
                found.append(Path(edges: edges.reversed(), bottleneck: label.width))
                continue
            }
            let dominating = settled[label.node, default: []].lazy.filter { $0.0 <= label.arrival && $0.1 <= label.hops }.count
            if dominating >= k { continue }
            settled[label.node, default: []].append((label.arrival, label.hops))
            guard label.hops < maxHops else { continue }
            for e in g.outEdges(of: label.node, after: label.arrival) where counts(e) {
                let w = Int(g.edgeTarget[e])
                if w == source { continue }
                examined += 1
                if examined > budget { return (found, true) }
                let width = min(label.width, g.amount(of: e).baseUnits)
                labels.append(Label(node: w, edge: e, parent: top.order, width: width, hops: label.hops + 1, arrival: g.edgeTime[e]))
                heap.insert(WidestFirst(width: width, hops: label.hops + 1, order: labels.count - 1))
            }
        }
        return (found, false)
    }

    /// An upper bound on how much of `source`'s outflow can have reached `target` along time-respecting paths: the
    /// maximum flow (edge amounts as capacities) over the edges that lie on some time-respecting path from `source`
    /// to `target` — those leaving a node after the earliest time taint can reach it, and arriving before the latest
    /// time the target can still be reached from there. Ignoring time beyond that makes it a relaxation, so the true
    /// time-respecting flow is at most this. The hop limit is not applied (it would only lower the bound).
    /// Dinic's algorithm (Dinitz 1970) with exact 128-bit capacities.
    /// - Complexity: O(V² E) worst case on the useful subgraph; O(E log E) to find it.
    public func maxFlowBound(from source: Int, to target: Int) -> Int128 {
        let g = graph
        guard source != target else { return 0 }
        // Earliest arrival from the source.
        var earliest = [Int64?](repeating: nil, count: g.nodeCount)
        earliest[source] = Int64.min
        var heap = BinaryHeap<TimedNode>()
        heap.insert(TimedNode(time: Int64.min, node: source))
        while let t = heap.popMin() {
            guard earliest[t.node] == t.time, t.node != target else { continue }
            for e in g.outEdges(of: t.node, after: t.time) where counts(e) {
                let w = Int(g.edgeTarget[e])
                if earliest[w].map({ g.edgeTime[e] < $0 }) ?? true { earliest[w] = g.edgeTime[e]; heap.insert(TimedNode(time: g.edgeTime[e], node: w)) }
            }
        }
        guard earliest[target] != nil else { return 0 }
        // Latest departure towards the target (times negated so the min-heap pops the latest first).
        var latest = [Int64?](repeating: nil, count: g.nodeCount)
        latest[target] = Int64.max
        heap.insert(TimedNode(time: Int64.min, node: target))
        while let t = heap.popMin() {
            let time = t.time == Int64.min ? Int64.max : -t.time
            guard latest[t.node] == time, t.node != source else { continue }
            for p in g.inEdgePositions(of: t.node) {
                let e = Int(g.inEdge[p])
                guard counts(e), g.edgeTime[e] < time else { continue }
                let u = Int(g.edgeSource[e])
                if latest[u].map({ g.edgeTime[e] > $0 }) ?? true { latest[u] = g.edgeTime[e]; heap.insert(TimedNode(time: -g.edgeTime[e], node: u)) }
            }
        }
        // The useful edges, as a flow network.
        var index: [Int: Int] = [:]
        func local(_ v: Int) -> Int {
            if let i = index[v] { return i }
            index[v] = index.count
            return index.count - 1
        }
        var network = MaxFlow()
        let s = local(source), t = local(target)
        for u in 0..<g.nodeCount {
            guard let eu = earliest[u], u != target else { continue }
            for e in g.outEdges(of: u) where counts(e) && g.edgeTime[e] > eu {
                let v = Int(g.edgeTarget[e])
                guard v != source, let lv = latest[v], g.edgeTime[e] < lv else { continue }
                network.addEdge(local(u), local(v), g.amount(of: e).baseUnits)
            }
        }
        return network.maximum(from: s, to: t)
    }
}

/// A partial path in a best-first search for wide paths: the widest first, then the one with fewer hops, then the
/// one found earlier (`order`, its label's index).
struct WidestFirst: Comparable {
    var width: Int128
    var hops: Int
    var order: Int
    static func < (a: WidestFirst, b: WidestFirst) -> Bool {
        a.width != b.width ? a.width > b.width : a.hops != b.hops ? a.hops < b.hops : a.order < b.order
    }
}

struct TimedNode: Comparable {
    var time: Int64
    var node: Int
    static func < (a: TimedNode, b: TimedNode) -> Bool { a.time != b.time ? a.time < b.time : a.node < b.node }
}
