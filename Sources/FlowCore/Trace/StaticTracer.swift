import CPrefetch
import Dispatch

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
    /// With `recordsFlows`, keep only the largest this many flows (ties: the earlier hop, then edge); nil keeps all.
    public var maxFlows: Int?
    /// Worker threads for the rounds and the reach (results do not depend on it).
    public var threads = 1

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
    ///
    /// Each round walks the nodes holding taint in ascending id order, straight from a bitmap (sequential access
    /// to the CSR rows); the split uses 64-bit arithmetic with a floating-point quotient estimate corrected exactly
    /// when amounts allow, and exact 128-bit arithmetic otherwise — the results are the same.
    /// - Complexity: O(Σ out-degree of the nodes holding taint per round), at most `maxHops` rounds.
    public func trace(seedNodes: [Int], amount limit: Int128? = nil) -> TraceOutcome {
        precondition(limits.maxHops != nil, "static tracing needs a hop limit")
        var budget = limit
        var seeds: [(Int, Int128)] = []
        var seen = Set<Int>()
        var total: Int128 = 0
        for v in seedNodes where seen.insert(v).inserted {
            let out = outTotal(v)
            var share = out
            if let b = budget { share = min(b, out); budget = b - share }
            guard share > 0 else { continue }
            seeds.append((v, share))
            total += share
        }
        // Haircut conserves taint, so no node holds more than the seeds did; poison copies edge amounts and may.
        return policy == .haircut && total <= Int128(UInt64.max) ? run(seeds, UInt64.self) : run(seeds, UInt128.self)
    }

    private func run<H: FixedWidthInteger & UnsignedInteger>(_ seeds: [(Int, Int128)], _: H.Type) -> TraceOutcome {
        var outcome = TraceOutcome()
        var flows = FlowKeeper(limit: maxFlows)
        let g = graph
        let n = g.nodeCount, words = (n + 63) / 64
        // The node budget depends on the order nodes are expanded in: one worker then.
        let workers = limits.maxNodes == nil ? max(1, threads) : 1
        // Scatter targets in huge-page backed zeroed memory; rounds swap views, so all is released at the end.
        var releases: [() -> Void] = []
        func zeroed<T>(_ count: Int, _: T.Type) -> UnsafeMutableBufferPointer<T> {
            let m = ZeroedMemory<T>(count: count)
            releases.append(m.release)
            return m.buffer
        }
        defer { for r in releases { r() } }
        var held = zeroed(n, H.self), bits = zeroed(words, UInt64.self)
        let expanded = zeroed(words, UInt64.self)
        // Each worker scatters into its own arrays; they are summed into worker 0's after every round.
        var nexts = (0..<workers).map { _ in zeroed(n, H.self) }
        var nextBits = (0..<workers).map { _ in zeroed(words, UInt64.self) }
        var pending = 0
        for (v, share) in seeds {
            outcome.seedAmount += share
            held[v] = H(share)
            bits[v >> 6] |= 1 << UInt64(v & 63)
            pending += 1
        }
        var hop = 0
        while pending > 0 {
            let ranges = workers == 1 ? [0..<words] : balancedRanges(bits: bits, words: words, parts: workers, atHopLimit: !limits.allowsHop(hop))
            var results = [RoundResult](repeating: RoundResult(flowLimit: maxFlows), count: ranges.count)
            let round = hop, expandedBefore = outcome.expanded
            let (heldNow, bitsNow) = (held, bits)
            // Every node of the frontier ends at most one sink this round, so the round's sinks fit after the earlier
            // ones in one new allocation: each worker writes its own into a slot sized by its part of the frontier
            // (most sinks come in the last round, and are written once, where they stay — not appended and copied).
            var slots = [0]
            for r in ranges { slots.append(slots[slots.count - 1] + r.reduce(0) { $0 + bitsNow[$1].nonzeroBitCount }) }
            let earlier = outcome.sinks
            outcome.sinks = [TraceSink](unsafeUninitializedCapacity: earlier.count + slots[ranges.count]) { buffer, initialized in
                let base = buffer.baseAddress!
                earlier.withUnsafeBufferPointer { if let e = $0.baseAddress { base.initialize(from: e, count: $0.count) } }
                let out = base + earlier.count
                results.withUnsafeMutableBufferPointer { results in
                    if ranges.count == 1 {
                        var state = RoundState<H>(held: heldNow, bits: bitsNow, next: nexts[0], nextBits: nextBits[0])
                        results[0] = processRound(ranges[0], hop: round, state: &state, sinks: out, expanded: expanded, expandedBefore: expandedBefore)
                    } else {
                        let (nextsNow, nextBitsNow) = (nexts, nextBits)
                        parallelFor(ranges.count) { t in
                            var state = RoundState<H>(held: heldNow, bits: bitsNow, next: nextsNow[t], nextBits: nextBitsNow[t])
                            results[t] = processRound(ranges[t], hop: round, state: &state, sinks: out + slots[t], expanded: expanded,
                                                      expandedBefore: expandedBefore)
                        }
                    }
                }
                // Close the gaps the expanded nodes left, keeping the workers' (ascending node) order.
                var end = results[0].sinks
                for t in 1..<max(1, results.count) {
                    if slots[t] != end { (out + end).moveInitialize(from: out + slots[t], count: results[t].sinks) }
                    end += results[t].sinks
                }
                initialized = earlier.count + end
            }
            // Sum the other workers' arrivals into worker 0's arrays and count the next frontier, the words split
            // among the workers (each word's nodes by one of them, so the sums do not depend on the split).
            let (nextsNow, nextBitsNow) = (nexts, nextBits)
            var counted = [Int](repeating: 0, count: workers)
            counted.withUnsafeMutableBufferPointer { counted in
                parallelFor(workers) { part in
                    var count = 0
                    for word in (words * part / workers)..<(words * (part + 1) / workers) {
                        for t in 1..<workers where nextBitsNow[t][word] != 0 {
                            var w = nextBitsNow[t][word]
                            nextBitsNow[0][word] |= w
                            nextBitsNow[t][word] = 0
                            while w != 0 {
                                let v = word << 6 | w.trailingZeroBitCount
                                w &= w &- 1
                                nextsNow[0][v] &+= nextsNow[t][v]
                                nextsNow[t][v] = 0
                            }
                        }
                        count += nextBitsNow[0][word].nonzeroBitCount
                    }
                    counted[part] = count
                }
            }
            pending = counted.reduce(0, +)
            for r in results {
                // Workers cover ascending node ranges, so this offers flows in (hop, edge) order.
                for f in r.flows.flows { flows.offer(f) }
                outcome.expanded += r.expanded
            }
            // This round's (now empty) arrays take the next round's arrivals.
            let (oldHeld, oldBits) = (held, bits)
            held = nexts[0]; bits = nextBits[0]
            nexts[0] = oldHeld; nextBits[0] = oldBits
            hop += 1
        }
        outcome.flows = flows.flows
        return outcome
    }

    /// What one worker found in one round.
    private struct RoundResult {
        /// How many sinks the worker wrote.
        var sinks = 0
        var flows: FlowKeeper
        var expanded = 0
        init(flowLimit: Int?) { flows = FlowKeeper(limit: flowLimit) }
    }

    /// Splits the words of a frontier bitmap into `parts` ranges of about equal work: out-degree plus one per node
    /// for a small frontier; for a large one (or at the hop limit, where no edge is read) the node count alone —
    /// over thousands of nodes the degrees even out, and summing them first costs a serial random access per node.
    private func balancedRanges(bits: UnsafeMutableBufferPointer<UInt64>, words: Int, parts: Int, atHopLimit: Bool = false) -> [Range<Int>] {
        let g = graph
        var weight = [Int](repeating: 0, count: words)
        var total = 0
        for word in 0..<words { weight[word] = bits[word].nonzeroBitCount; total += weight[word] }
        if total <= Self.degreeBalancedFrontier && !atHopLimit {
            total = 0
            for word in 0..<words where bits[word] != 0 {
                var w = bits[word]
                var sum = 0
                while w != 0 {
                    let v = word << 6 | w.trailingZeroBitCount
                    w &= w &- 1
                    sum += 1 + Int(g.outRow[v + 1] - g.outRow[v])
                }
                weight[word] = sum
                total += sum
            }
        }
        var ranges: [Range<Int>] = []
        var start = 0, running = 0
        for word in 0..<words {
            running += weight[word]
            if ranges.count < parts - 1 && running * parts >= total * (ranges.count + 1) {
                ranges.append(start..<(word + 1)); start = word + 1
            }
        }
        ranges.append(start..<words)
        return ranges
    }

    /// Frontiers up to this many nodes are split by out-degree, larger ones by node count.
    static let degreeBalancedFrontier = 4_096

    /// One worker's share of a round: the nodes holding taint in `range` (bitmap words), in id order.
    private func processRound<H>(_ range: Range<Int>, hop: Int, state: inout RoundState<H>, sinks: UnsafeMutablePointer<TraceSink>,
                                 expanded: UnsafeMutableBufferPointer<UInt64>, expandedBefore: Int) -> RoundResult
    {
        let g = graph
        var result = RoundResult(flowLimit: maxFlows)
        var remainders: [(Int128, Int)] = []
        var shares: [(Int, Int128)] = []
        var keys: [UInt128] = []
        var scratch = SplitScratch()
        // Without filters, 64-bit amounts take the division-light path (same results).
        let fastPath = asset == nil && limits.since == nil && limits.until == nil
        for word in range where state.bits[word] != 0 {
            var bits = state.bits[word]
            state.bits[word] = 0
            while bits != 0 {
                let v = word << 6 | bits.trailingZeroBitCount
                bits &= bits &- 1
                let x = Int128(state.held[v])
                state.held[v] = 0
                func stop(_ reason: SinkReason) {
                    (sinks + result.sinks).initialize(to: TraceSink(location: .node(v), reason: reason, amount: x, hop: hop, time: Int64.max))
                    result.sinks += 1
                }
                if hop > 0 && isStop(v) { stop(.labelled); continue }
                if hop > 0 && x < limits.minAmount { stop(.dust); continue }
                if !limits.allowsHop(hop) {
                    // At the limit only whether anything leaves matters (hop-limit, or unspent): the first edge
                    // with an amount answers it, no need to sum the row.
                    let known = fastPath ? g.nodeOutTotal64[v] : FlowGraph.noOutTotal64
                    let leaves = known != FlowGraph.noOutTotal64 ? known > 0
                        : g.outEdges(of: v).contains { counts($0) && (g.edgeAmountLow[$0] != 0 || g.edgeAmountHigh[$0] > 0) }
                    stop(leaves ? .hopLimit : .unspent)
                    continue
                }
                let total64 = fastPath && policy == .haircut && x <= Int128(UInt64.max) ? outTotal64(v) : nil
                let total = total64.map { Int128($0) } ?? outTotal(v)
                if total == 0 { stop(.unspent); continue }
                if expanded[v >> 6] & (1 << UInt64(v & 63)) == 0 {
                    // (With a node budget there is one worker, so this count is the global one.)
                    if let maxNodes = limits.maxNodes, expandedBefore + result.expanded >= maxNodes { stop(.nodeBudget); continue }
                    expanded[v >> 6] |= 1 << UInt64(v & 63)
                    result.expanded += 1
                }
                if let total64 {
                    splitFast(UInt64(x), total: total64, node: v, hop: hop, state: &state, keys: &keys, scratch: &scratch, flows: &result.flows)
                    continue
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
                // The units left (fewer than the remainders: their sum is `left` × total, each below total) go to
                // the largest remainders, ties to the earlier edge: picked by selection, not by sorting the row.
                let left = Int(x - given)
                if policy == .haircut && left > 0 {
                    if left < remainders.count {
                        Self.selectFirst(&remainders, count: left) { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
                    }
                    for (_, k) in remainders.prefix(left) { shares[k].1 += 1 }
                }
                for (e, share) in shares where share > 0 {
                    state.arrive(Int(g.edgeTarget[e]), H(truncatingIfNeeded: share))
                    if recordsFlows { result.flows.offer(TraceFlow(via: .edge(e), amount: share, hop: hop + 1)) }
                }
            }
        }
        return result
    }

    /// The taint of this round and of the next, each an amount per node plus a bitmap of the nodes holding some.
    /// `H` is UInt64 when the seeds' total fits it (taint is conserved, so no node ever holds more), halving the
    /// memory the scattered additions touch; UInt128 otherwise.
    private struct RoundState<H: FixedWidthInteger & UnsignedInteger> {
        var held: UnsafeMutableBufferPointer<H>
        var bits: UnsafeMutableBufferPointer<UInt64>
        var next: UnsafeMutableBufferPointer<H>
        var nextBits: UnsafeMutableBufferPointer<UInt64>

        @inline(__always) mutating func arrive(_ w: Int, _ amount: H) {
            next[w] &+= amount
            let bit: UInt64 = 1 << UInt64(w & 63)
            nextBits[w >> 6] |= bit
        }

        @inline(__always) func prefetch(_ w: Int) {
            if let base = next.baseAddress { flowtrace_prefetch_write(base + w) }
        }

        mutating func swapRounds() { swap(&held, &next); swap(&bits, &nextBits) }
    }

    /// A node's out-edge total when every amount and the sum fit 64 bits (precomputed by the snapshot).
    @inline(__always) private func outTotal64(_ v: Int) -> UInt64? {
        let total = graph.nodeOutTotal64[v]
        return total == FlowGraph.noOutTotal64 ? nil : total
    }

    /// The largest-remainder split of `x` over `v`'s out-edges in 64-bit arithmetic: each quotient ⌊x × a / total⌋
    /// (at most x) is estimated in floating point and corrected exactly against the 128-bit product, then one unit
    /// each goes to the largest remainders, ties to the earlier edge, picked by selection rather than sorting.
    /// The shares are settled first and scattered afterwards, one addition per edge (a remainder unit is not a second
    /// random access); flows are offered in edge order, only those that could make the kept set.
    @inline(__always)
    private func splitFast<H>(_ x: UInt64, total: UInt64, node v: Int, hop: Int, state: inout RoundState<H>, keys: inout [UInt128],
                              scratch: inout SplitScratch, flows: inout FlowKeeper)
    {
        let g = graph
        let lo = Int(g.outRow[v]), hi = Int(g.outRow[v + 1])
        keys.removeAll(keepingCapacity: true)
        scratch.shares.removeAll(keepingCapacity: true)
        var given: UInt64 = 0
        let scale = Double(x) / Double(total)
        let t = UInt128(total)
        for e in lo..<hi {
            let a = g.edgeAmountLow[e]
            let (ph, pl) = x.multipliedFullWidth(by: a)
            let product = UInt128(ph) << 64 | UInt128(pl)
            // The estimate is at most x (a ≤ total) and off by at most a few units per 2⁵³ of q; a larger miss
            // (only possible near 2⁶⁴) is corrected by one exact division instead of unit steps. Converting a
            // non-negative Double truncates, which is the floor.
            let estimate = Double(a) * scale
            var q = estimate >= Double(x) ? x : UInt64(estimate)
            let (qh, ql) = q.multipliedFullWidth(by: total)
            var qt = UInt128(qh) << 64 | UInt128(ql)
            if qt > product {
                var steps = 0
                while qt > product && steps < 8 { q -= 1; qt -= t; steps += 1 }
                if qt > product { let k = (qt - product + t - 1) / t; q -= UInt64(k); qt -= k * t }
            }
            var r = product - qt
            if r >= t {
                var steps = 0
                while r >= t && steps < 8 { q += 1; r -= t; steps += 1 }
                if r >= t { let k = r / t; q += UInt64(k); r -= k * t }
            }
            given &+= q
            if r > 0 { keys.append(r << 32 | UInt128(UInt32.max - UInt32(e - lo))) }
            scratch.shares.append(q)
        }
        let left = Int(x - given)
        if left > 0 {
            if left < keys.count { Self.selectFirst(&keys, count: left, by: >) }
            for k in 0..<left { scratch.shares[Int(UInt32.max - UInt32(truncatingIfNeeded: keys[k]))] += 1 }
        }
        // The additions land at random nodes: ask for their cache lines a few edges ahead, so the misses overlap
        // instead of stalling one after another.
        let ahead = 12
        for e in lo..<min(hi, lo + ahead) { state.prefetch(Int(g.edgeTarget[e])) }
        scratch.shares.withUnsafeBufferPointer { shares in
            for e in lo..<hi {
                if e + ahead < hi { state.prefetch(Int(g.edgeTarget[e + ahead])) }
                let share = shares[e - lo]
                guard share > 0 else { continue }
                state.arrive(Int(g.edgeTarget[e]), H(share))
                if recordsFlows && flows.mightKeep(Int128(share)) { flows.offer(TraceFlow(via: .edge(e), amount: Int128(share), hop: hop + 1)) }
            }
        }
    }

    /// Per-worker scratch space for ``splitFast(_:total:node:hop:state:keys:scratch:flows:)``: one row's shares.
    private struct SplitScratch {
        var shares: [UInt64] = []
    }

    /// Reorders `items` so that its first `count` elements are the first `count` in the strict order `before`
    /// (Hoare's selection, FIND, 1961): the largest remainders of a split, without sorting the row.
    @inline(__always)
    static func selectFirst<T>(_ items: inout [T], count: Int, by before: (T, T) -> Bool) {
        items.withUnsafeMutableBufferPointer { a in
            var lo = 0, hi = a.count - 1
            let k = count - 1
            while lo < hi {
                let mid = lo + (hi - lo) / 2
                // Median of three as the pivot.
                var (x, y, z) = (a[lo], a[mid], a[hi])
                if before(y, x) { swap(&x, &y) }
                if before(z, y) { swap(&y, &z); if before(y, x) { swap(&x, &y) } }
                let pivot = y
                var i = lo, j = hi
                while i <= j {
                    while before(a[i], pivot) { i += 1 }
                    while before(pivot, a[j]) { j -= 1 }
                    if i <= j { a.swapAt(i, j); i += 1; j -= 1 }
                }
                if k <= j { hi = j } else if k >= i { lo = i } else { break }
            }
        }
    }

    /// The nodes within `maxHops` out-edges of the seeds (the seeds included), ascending — poison's reach, without
    /// amounts. Breadth-first over the CSR arrays.
    /// - Complexity: O(nodes + edges reached).
    public func reach(seedNodes: [Int]) -> [Int] {
        let g = graph
        let maxHops = limits.maxHops ?? Int.max
        let unfiltered = asset == nil && limits.since == nil && limits.until == nil
        let words = (g.nodeCount + 63) / 64
        let workers = max(1, threads)
        // visited and the frontier are shared and only read during a level; each worker marks what it finds in its
        // own bitmap, and the bitmaps are merged between levels — so the result does not depend on the workers.
        var visited = [UInt64](repeating: 0, count: words), frontier = [UInt64](repeating: 0, count: words)
        let found = (0..<workers).map { _ in
            let b = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: max(words, 1))
            b.initialize(repeating: 0)
            return b
        }
        defer { for b in found { b.deallocate() } }
        var pending = 0
        for v in seedNodes where visited[v >> 6] & (1 << UInt64(v & 63)) == 0 {
            visited[v >> 6] |= 1 << UInt64(v & 63)
            frontier[v >> 6] |= 1 << UInt64(v & 63)
            pending += 1
        }
        let targets = g.edgeTarget, rows = g.outRow
        var hop = 0
        while pending > 0 && hop < maxHops {
            let level = hop
            visited.withUnsafeMutableBufferPointer { visited in
                frontier.withUnsafeMutableBufferPointer { frontier in
                    let ranges = workers == 1 ? [0..<words] : balancedRanges(bits: frontier, words: words, parts: workers)
                    let outputs = found
                    parallelFor(ranges.count) { t in
                        let mine = outputs[t]
                        for word in ranges[t] where frontier[word] != 0 {
                            var bits = frontier[word]
                            while bits != 0 {
                                let v = word << 6 | bits.trailingZeroBitCount
                                bits &= bits &- 1
                                if level > 0 && isStop(v) { continue }
                                for e in Int(rows[v])..<Int(rows[v + 1]) {
                                    if !unfiltered && !counts(e) { continue }
                                    let w = Int(targets[e])
                                    let bit: UInt64 = 1 << UInt64(w & 63)
                                    if visited[w >> 6] & bit == 0 { mine[w >> 6] |= bit }
                                }
                            }
                        }
                    }
                    pending = 0
                    for word in 0..<words {
                        var merged: UInt64 = 0
                        for t in 0..<workers { merged |= outputs[t][word]; outputs[t][word] = 0 }
                        merged &= ~visited[word]
                        frontier[word] = merged
                        visited[word] |= merged
                        pending += merged.nonzeroBitCount
                    }
                }
            }
            hop += 1
        }
        // Ascending, straight from the bitmap.
        var reached: [Int] = []
        for (i, word) in visited.enumerated() where word != 0 {
            var w = word
            while w != 0 { reached.append(i << 6 | w.trailingZeroBitCount); w &= w &- 1 }
        }
        return reached
    }
}
