import FlowCore
import Testing
import TestSupport

/// The optimised tracers against the reference ones on thousands of random small graphs (seeded, reproducible).
@Suite("Trace properties")
struct TracePropertyTests {
    static func randomLimits(_ r: inout SeededRandom, maxTime: Int64) -> TraceLimits {
        var l = TraceLimits()
        if r.chance(0.4) { l.maxHops = r.int(1...4) }
        if r.chance(0.2) { l.since = Int64(r.int(0...Int(maxTime / 2))) }
        if r.chance(0.25) { l.until = Int64(r.int(Int(maxTime / 2)...Int(maxTime))) }
        if r.chance(0.2) { l.minAmount = Int128(r.int(1...4)) }
        if r.chance(0.2) { l.maxNodes = r.int(0...4) }
        return l
    }

    /// The largest `k` flows (ties: the earlier), in recording order: what a tracer with `maxFlows = k` keeps.
    static func largest(_ flows: [TraceFlow], _ k: Int) -> [TraceFlow] {
        let chosen = flows.indices.sorted { flows[$0].amount != flows[$1].amount ? flows[$0].amount > flows[$1].amount : $0 < $1 }.prefix(k)
        return chosen.sorted().map { flows[$0] }
    }

    /// The nodes (outside `exclude`) where the recorded flows do not balance: taint arriving along flows must equal
    /// taint leaving along flows plus the sinks there (the flows are the subgraph the taint really used).
    static func unbalancedNodes(_ graph: FlowGraph, _ outcome: TraceOutcome, forward: Bool, exclude: Set<Int>) -> [Int] {
        var balance: [Int: Int128] = [:]
        for f in outcome.flows {
            guard case .edge(let e) = f.via else { return [-1] }
            let (near, far) = (Int(graph.edgeSource[e]), Int(graph.edgeTarget[e]))
            balance[forward ? far : near, default: 0] += f.amount
            balance[forward ? near : far, default: 0] -= f.amount
        }
        for s in outcome.sinks { if case .node(let v) = s.location { balance[v, default: 0] -= s.amount } }
        return balance.filter { $0.value != 0 && !exclude.contains($0.key) }.map(\.key).sorted()
    }

    struct AccountCase {
        var nodeCount: Int
        var edges: [EdgeSpec]
        var stops: Set<Int>
        var seedNodes: [Int]
        var seedTransfers: [Int64]
        var amount: Int128?
    }

    static func randomAccountCase(_ r: inout SeededRandom) -> AccountCase {
        let n = r.int(2...7)
        var edges: [EdgeSpec] = []
        for id in 0..<r.int(1...14) {
            let s = r.int(0...(n - 1))
            var t = r.int(0...(n - 1))
            if t == s && !r.chance(0.1) { t = (t + 1) % n }
            edges.append(EdgeSpec(source: s, target: t, time: Int64(r.int(1...8)), amount: Int128(r.int(1...12)), transferID: Int64(id + 1)))
        }
        var stops = Set<Int>()
        if r.chance(0.3) { stops.insert(r.int(0...(n - 1))) }
        var seedNodes: [Int] = [], seedTransfers: [Int64] = []
        if r.chance(0.5) { seedNodes.append(r.int(0...(n - 1))) } else { seedTransfers.append(Int64(r.int(1...edges.count))) }
        if r.chance(0.2) { seedTransfers.append(Int64(r.int(1...edges.count))) }
        return AccountCase(nodeCount: n, edges: edges, stops: stops, seedNodes: seedNodes, seedTransfers: seedTransfers,
                           amount: r.chance(0.25) ? Int128(r.int(1...15)) : nil)
    }

    @Test(arguments: 0..<8)
    func accountTracerMatchesTheReference(batch: Int) throws {
        for i in 0..<500 {
            var r = SeededRandom(seed: UInt64(batch * 1_000 + i))
            let c = Self.randomAccountCase(&r)
            let policy = TracePolicy.allCases[r.int(0...4)]
            let direction: TraceDirection = r.chance(0.5) ? .forward : .backward
            let limits = Self.randomLimits(&r, maxTime: 8)
            let graph = FlowGraph.build(nodeCount: c.nodeCount, edges: c.edges)
            let seedEdges = c.seedTransfers.compactMap { id in (0..<graph.edgeCount).first { graph.edgeTransferID[$0] == id } }
            let tracer = AccountTracer(graph: graph, policy: policy, direction: direction, limits: limits, asset: nil, isStop: { c.stops.contains($0) })
            let outcome = tracer.trace(seedNodes: c.seedNodes, seedEdges: seedEdges, amount: c.amount)
            let expected = ReferenceTrace.account(nodeCount: c.nodeCount, edges: c.edges, policy: policy, direction: direction, limits: limits,
                                                  stops: c.stops, seedNodes: c.seedNodes, seedTransfers: c.seedTransfers, amount: c.amount)
            let got = ReferenceTrace.Result(outcome)
            #expect(got == expected, "seed \(batch * 1_000 + i) \(policy) \(direction) \(limits)\n got \(got)\nwant \(expected)\n\(c.edges)")
            if policy != .poison { #expect(outcome.sinkTotal == outcome.seedAmount, "conservation, seed \(batch * 1_000 + i) \(policy) \(direction) \(limits)") }
            let again = tracer.trace(seedNodes: c.seedNodes, seedEdges: seedEdges, amount: c.amount)
            #expect(again.sinks == outcome.sinks && again.flows == outcome.flows, "deterministic")
            #expect(outcome.flows.allSatisfy { $0.amount > 0 })
            if policy != .poison {
                let forward = direction == .forward
                let exclude = Set(c.seedNodes + seedEdges.map { Int(forward ? graph.edgeSource[$0] : graph.edgeTarget[$0]) })
                let unbalanced = Self.unbalancedNodes(graph, outcome, forward: forward, exclude: exclude)
                #expect(unbalanced.isEmpty, "flows balance, seed \(batch * 1_000 + i) \(policy) \(direction): \(unbalanced)")
            }
            var limited = tracer
            limited.maxFlows = r.int(0...4)
            #expect(limited.trace(seedNodes: c.seedNodes, seedEdges: seedEdges, amount: c.amount).flows == Self.largest(outcome.flows, limited.maxFlows!))
            if got != expected { return }
        }
    }

    static func randomUTXOCase(_ r: inout SeededRandom) -> (txs: [TransactionSpec], seeds: [(tx: Int, vout: Int)]) {
        var txs: [TransactionSpec] = []
        var unspent: [(tx: Int, vout: Int)] = []
        var time: Int64 = 1
        for _ in 0..<r.int(1...3) {
            let outs = (0..<r.int(1...2)).map { _ in (Int64(r.int(1...20)), Int64(r.int(1...6))) }
            for k in outs.indices { unspent.append((txs.count, k)) }
            txs.append(TransactionSpec(inputs: [], outputs: outs, time: time))
            time += Int64(r.int(0...1))
        }
        for _ in 0..<r.int(1...9) where !unspent.isEmpty {
            var inputs: [(tx: Int, vout: Int)?] = []
            var stated: [Int64] = []
            var total: Int64 = 0
            for _ in 0..<r.int(1...3) where !unspent.isEmpty {
                let u = unspent.remove(at: r.int(0...(unspent.count - 1)))
                inputs.append(u); stated.append(-1); total += txs[u.tx].outputs[u.vout].value
            }
            if r.chance(0.1) { inputs.append(nil); let v = r.chance(0.5) ? Int64(r.int(1...5)) : -1; stated.append(v); total += max(0, v) }
            var outs: [(value: Int64, address: Int64)] = []
            var left = total
            for k in 0..<r.int(1...3) where left > 0 {
                let v = k == 2 || r.chance(0.3) ? left : Int64(r.int(1...Int(left)))
                outs.append((v, Int64(r.int(1...6)))); left -= v
            }
            if outs.isEmpty { outs.append((0, 1)) }
            if r.chance(0.6), let last = outs.indices.last, left > 0 { outs[last].value += left - (r.chance(0.5) ? min(left, 2) : 0) }
            for k in outs.indices { unspent.append((txs.count, k)) }
            txs.append(TransactionSpec(inputs: inputs, statedInputValues: stated, outputs: outs, time: time))
            time += Int64(r.int(0...2))
        }
        var seeds: [(tx: Int, vout: Int)] = []
        for _ in 0..<r.int(1...2) {
            let t = r.int(0...(txs.count - 1))
            seeds.append((t, r.int(0...(txs[t].outputs.count - 1))))
        }
        return (txs, seeds)
    }

    @Test(arguments: 0..<8)
    func utxoTracerMatchesTheReference(batch: Int) throws {
        for i in 0..<500 {
            var r = SeededRandom(seed: UInt64(100_000 + batch * 1_000 + i))
            let (txs, seeds) = Self.randomUTXOCase(&r)
            let policy = TracePolicy.allCases[r.int(0...4)]
            let direction: TraceDirection = r.chance(0.5) ? .forward : .backward
            let limits = Self.randomLimits(&r, maxTime: 12)
            var stops = Set<Int64>()
            if r.chance(0.3) { stops.insert(Int64(r.int(1...6))) }
            let amount: Int128? = r.chance(0.25) ? Int128(r.int(1...25)) : nil
            let graph = UTXOGraph.build(txs)
            #expect(graph.validate() == nil)
            var seedOutputs: [Int] = []
            var seen = Set<Int>()
            var seedPairs: [(tx: Int, vout: Int)] = []
            for s in seeds where seen.insert(Int(graph.txOutRow[s.tx]) + s.vout).inserted {
                seedOutputs.append(Int(graph.txOutRow[s.tx]) + s.vout); seedPairs.append(s)
            }
            let tracer = UTXOTracer(graph: graph, policy: policy, direction: direction, limits: limits, isStop: { stops.contains($0) })
            let outcome = tracer.trace(seedOutputs: seedOutputs, amount: amount)
            let expected = ReferenceTrace.utxo(txs, policy: policy, direction: direction, limits: limits, stops: stops, seedOutputs: seedPairs, amount: amount)
            let got = ReferenceTrace.Result(outcome)
            #expect(got == expected, "seed \(100_000 + batch * 1_000 + i) \(policy) \(direction) \(limits)\n got \(got)\nwant \(expected)\n\(txs)")
            if policy != .poison { #expect(outcome.sinkTotal == outcome.seedAmount, "conservation, seed \(100_000 + batch * 1_000 + i)") }
            var limited = tracer
            limited.maxFlows = r.int(0...4)
            #expect(limited.trace(seedOutputs: seedOutputs, amount: amount).flows == Self.largest(outcome.flows, limited.maxFlows!))
            if got != expected { return }
        }
    }

    @Test(arguments: 0..<4)
    func staticTracerMatchesTheReference(batch: Int) throws {
        for i in 0..<500 {
            var r = SeededRandom(seed: 200_000 + UInt64(batch * 1_000 + i))
            let c = Self.randomAccountCase(&r)
            let policy: TracePolicy = r.chance(0.5) ? .poison : .haircut
            var limits = Self.randomLimits(&r, maxTime: 8)
            limits.maxHops = r.int(1...5)
            if i % 4 == 1 { limits.since = nil; limits.until = nil }
            let graph = FlowGraph.build(nodeCount: c.nodeCount, edges: c.edges)
            let seeds = c.seedNodes + [r.int(0...(c.nodeCount - 1))]
            var tracer = StaticTracer(graph: graph, policy: policy, limits: limits, asset: nil, isStop: { c.stops.contains($0) })
            // Without filters the 64-bit fast path runs; both must match the reference, with or without flows.
            tracer.recordsFlows = i % 2 == 0
            // Workers split each round; the result must not depend on how many.
            tracer.threads = i % 3 + 1
            let outcome = tracer.trace(seedNodes: seeds, amount: c.amount)
            let expected = ReferenceTrace.staticRounds(nodeCount: c.nodeCount, edges: c.edges, policy: policy, limits: limits, stops: c.stops,
                                                       seedNodes: seeds, amount: c.amount)
            let got = ReferenceTrace.Result(outcome)
            #expect(got == expected, "seed \(200_000 + batch * 1_000 + i) \(policy) \(limits)\n got \(got)\nwant \(expected)")
            if policy == .haircut { #expect(outcome.sinkTotal == outcome.seedAmount) }
            if tracer.recordsFlows {
                #expect(outcome.flows.allSatisfy { $0.amount > 0 })
                if policy == .haircut {
                    let unbalanced = Self.unbalancedNodes(graph, outcome, forward: true, exclude: Set(seeds))
                    #expect(unbalanced.isEmpty, "flows balance, seed \(200_000 + batch * 1_000 + i): \(unbalanced)")
                }
                var limited = tracer
                limited.maxFlows = r.int(0...4)
                #expect(limited.trace(seedNodes: seeds, amount: c.amount).flows == Self.largest(outcome.flows, limited.maxFlows!))
            }
            // Reach: every node holding taint at some round is within maxHops of a seed, and every reached node is.
            var reacher = StaticTracer(graph: graph, policy: .poison, limits: limits, asset: nil, isStop: { c.stops.contains($0) })
            let reachedAlone = reacher.reach(seedNodes: seeds)
            reacher.threads = 2
            #expect(reacher.reach(seedNodes: seeds) == reachedAlone)
            let reached = Set(reachedAlone)
            for s in outcome.sinks { if case .node(let v) = s.location { #expect(reached.contains(v)) } }
            if got != expected { return }
        }
    }

    /// Amounts near 2⁶⁴ on the 64-bit fast split: quotients above 2⁶³ and floating-point estimates many units off
    /// must still give the exact split (they once sent the correction into ~2⁶² unit steps).
    @Test func staticFastSplitIsExactNearTwoToThe64() {
        // 10¹⁹ > 2⁶³, where a double's unit in the last place is 2,048; products stay within the reference's Int128.
        let big: Int128 = 10_000_000_000_000_000_000
        let edges = [
            EdgeSpec(source: 0, target: 1, time: 1, amount: big, transferID: 1),
            EdgeSpec(source: 1, target: 2, time: 2, amount: big - 3, transferID: 2),
            EdgeSpec(source: 1, target: 3, time: 3, amount: 1, transferID: 3),
            EdgeSpec(source: 1, target: 4, time: 4, amount: 2, transferID: 4),
            EdgeSpec(source: 2, target: 5, time: 5, amount: 9_999_999_999_999_997_953, transferID: 5),
            EdgeSpec(source: 2, target: 6, time: 6, amount: 4_093, transferID: 6),
        ]
        let graph = FlowGraph.build(nodeCount: 7, edges: edges)
        var limits = TraceLimits()
        limits.maxHops = 4
        let outcome = StaticTracer(graph: graph, policy: .haircut, limits: limits, asset: nil, isStop: { _ in false }).trace(seedNodes: [0])
        let expected = ReferenceTrace.staticRounds(nodeCount: 7, edges: edges, policy: .haircut, limits: limits, stops: [], seedNodes: [0], amount: nil)
        #expect(ReferenceTrace.Result(outcome) == expected)
        #expect(outcome.sinkTotal == big)
    }

    /// Top-K bottleneck paths against enumerating every time-respecting walk; the max-flow bound against them.
    @Test func pathFinderMatchesBruteForce() {
        for i in 0..<1_500 {
            var r = SeededRandom(seed: 300_000 + UInt64(i))
            let c = Self.randomAccountCase(&r)
            let graph = FlowGraph.build(nodeCount: c.nodeCount, edges: c.edges)
            let (a, b) = (r.int(0...(c.nodeCount - 1)), r.int(0...(c.nodeCount - 1)))
            guard a != b else { continue }
            let k = r.int(1...4)
            var limits = TraceLimits()
            limits.maxHops = r.int(1...5)
            let finder = PathFinder(graph: graph, asset: nil, limits: limits)
            let (paths, truncated) = finder.topPaths(from: a, to: b, k: k)
            #expect(!truncated)
            // Every walk: strictly later edges, at most maxHops, never back to a, ending at the first arrival at b.
            var walks: [(Int128, Int)] = []
            func walk(_ v: Int, _ after: Int64, _ width: Int128, _ hops: Int) {
                if v == b && hops > 0 { walks.append((width, hops)); return }
                guard hops < limits.maxHops! else { return }
                for e in graph.outEdges(of: v) where graph.edgeTime[e] > after && Int(graph.edgeTarget[e]) != a {
                    walk(Int(graph.edgeTarget[e]), graph.edgeTime[e], min(width, graph.amount(of: e).baseUnits), hops + 1)
                }
            }
            walk(a, Int64.min, Int128.max, 0)
            walks.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
            let want = walks.prefix(k).map { [$0.0, Int128($0.1)] }
            let got = paths.map { [$0.bottleneck, Int128($0.edges.count)] }
            #expect(got == Array(want), "seed \(300_000 + i)")
            for p in paths {
                for (x, y) in zip(p.edges, p.edges.dropFirst()) {
                    #expect(graph.edgeTarget[x] == graph.edgeSource[y] && graph.edgeTime[x] < graph.edgeTime[y])
                }
            }
            let bound = finder.maxFlowBound(from: a, to: b)
            let outflow = graph.outEdges(of: a).reduce(Int128(0)) { $0 + graph.amount(of: $1).baseUnits }
            #expect(bound <= outflow)
            #expect(bound >= (walks.first?.0 ?? 0), "the widest path alone fits under the bound")
            if got != Array(want) { return }
        }
    }

    /// UTXO paths against enumerating every output chain; the flow bound between the widest path and the seeds' value.
    @Test func utxoPathFinderMatchesBruteForce() {
        for i in 0..<1_500 {
            var r = SeededRandom(seed: 400_000 + UInt64(i))
            let (txs, _) = Self.randomUTXOCase(&r)
            let graph = UTXOGraph.build(txs)
            let (a, b) = (Int64(r.int(1...6)), Int64(r.int(1...6)))
            guard a != b else { continue }
            let sources = (0..<graph.outputCount).filter { graph.outAddress[$0] == a }
            let k = r.int(1...4)
            var limits = TraceLimits()
            limits.maxHops = r.int(1...5)
            let finder = UTXOPathFinder(graph: graph, limits: limits)
            let (paths, truncated) = finder.topPaths(from: sources, toAddress: b, k: k)
            #expect(!truncated)
            var walks: [(Int128, Int)] = []
            func walk(_ o: Int, _ width: Int128, _ hops: Int) {
                if hops > 0 && graph.outAddress[o] == b { walks.append((width, hops)); return }
                guard hops < limits.maxHops!, graph.outSpender[o] != UTXOGraph.noIndex else { return }
                let tx = Int(graph.inTx[Int(graph.outSpender[o])])
                for p in graph.outputs(of: tx) where graph.outValue[p] > 0 { walk(p, min(width, Int128(graph.outValue[p])), hops + 1) }
            }
            for o in sources { walk(o, Int128(graph.outValue[o]), 0) }
            walks.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
            let want = walks.prefix(k).map { [$0.0, Int128($0.1)] }
            let got = paths.map { [$0.bottleneck, Int128($0.outputs.count - 1)] }
            #expect(got == Array(want), "seed \(400_000 + i)")
            let bound = finder.maxFlowBound(from: sources, toAddress: b)
            #expect(bound >= (walks.first?.0 ?? 0), "seed \(400_000 + i): the widest path fits under the bound")
            #expect(bound <= sources.reduce(Int128(0)) { $0 + Int128(graph.outValue[$1]) })
            if got != Array(want) { return }
        }
    }

    @Test func maxFlowBoundRespectsTime() {
        // 0 → 1 (10 at t2), 1 → 2 (7 at t3), 0 → 2 (4 at t1), 1 → 2 (9 at t1, before anything reaches 1).
        let graph = FlowGraph.build(nodeCount: 3, edges: [
            EdgeSpec(source: 0, target: 1, time: 2, amount: 10, transferID: 1), EdgeSpec(source: 1, target: 2, time: 3, amount: 7, transferID: 2),
            EdgeSpec(source: 0, target: 2, time: 1, amount: 4, transferID: 3), EdgeSpec(source: 1, target: 2, time: 1, amount: 9, transferID: 4),
        ])
        let finder = PathFinder(graph: graph, asset: nil, limits: TraceLimits())
        #expect(finder.maxFlowBound(from: 0, to: 2) == 11)
        #expect(finder.topPaths(from: 0, to: 2, k: 5).paths.map(\.bottleneck) == [7, 4])
    }

    @Test func fifoOnInputsABEqualsLIFOOnBA() {
        var r = SeededRandom(seed: 7)
        for _ in 0..<2_000 {
            let inputs: [(value: Int128, taint: Taint)] = (0..<r.int(1...4)).map { _ in
                let v = Int128(r.int(0...30))
                var iv = IntervalList()
                var p: Int128 = 0
                while p < v { let len = Int128(r.int(1...5)); if r.chance(0.5) { iv.append(p, min(v, p + len)) }; p += len }
                return (v, Taint(intervals: iv))
            }
            let total = inputs.reduce(Int128(0)) { $0 + $1.value }
            var outputs: [Int128] = []
            var left = total
            while left > 0 && outputs.count < 3 { let o = Int128(r.int(0...Int(left))); outputs.append(o); left -= o }
            let fee = left
            let fifo = TransactionTaint.forward(policy: .fifo, inputs: inputs, outputs: outputs, fee: fee)
            let lifo = TransactionTaint.forward(policy: .lifo, inputs: inputs.reversed(), outputs: outputs, fee: fee)
            #expect(fifo == lifo)
            #expect(fifo.reduce(Int128(0)) { $0 + $1.amount } == inputs.reduce(Int128(0)) { $0 + $1.taint.amount })
        }
    }

    @Test func largestRemaindersConserveAndFavourTheLargestRemainders() {
        #expect(Allocation.largestRemainders(total: 10, weights: [1, 1, 1]) == [4, 3, 3])
        #expect(Allocation.largestRemainders(total: 2, weights: [1, 2, 3]) == [0, 1, 1])
        var r = SeededRandom(seed: 11)
        for _ in 0..<2_000 {
            let weights = (0..<r.int(1...6)).map { _ in Int128(r.int(0...1_000)) }
            let total = Int128(r.int(0...10_000))
            let shares = Allocation.largestRemainders(total: total, weights: weights)
            #expect(shares.reduce(0, +) == total)
        }
        // Wei-sized amounts: the 256-bit intermediate keeps the split exact.
        let big: Int128 = 4_836_260_000_000_000_000_000_000
        let shares = Allocation.largestRemainders(total: big, weights: [big / 3, big / 3, big - 2 * (big / 3)])
        #expect(shares.reduce(0, +) == big)
        #expect(Allocation.mulDiv(big, big - 1, big) == big - 1)
    }
}

/// A graph large enough for the kernels' huge-page scratch memory and real work splitting: every path (1 or 2
/// workers, the 64-bit fast split or the exact 128-bit one) must give the same sinks.
@Suite("Static kernels at size")
struct StaticKernelSizeTests {
    /// The precomputed out totals the static split reads: a row's sum, or the marker when an amount or the sum needs
    /// more than 64 bits (the split then sums the row exactly itself).
    @Test func outTotalsAreRowSumsOrMarkedBeyond64Bits() {
        let max64 = Int128(UInt64.max)
        let graph = FlowGraph.build(nodeCount: 5, edges: [
            EdgeSpec(source: 0, target: 1, time: 1, amount: 5, transferID: 1),
            EdgeSpec(source: 0, target: 2, time: 2, amount: 7, transferID: 2),
            EdgeSpec(source: 1, target: 2, time: 3, amount: max64 - 1, transferID: 3),
            EdgeSpec(source: 1, target: 3, time: 4, amount: 1, transferID: 4),
            EdgeSpec(source: 2, target: 3, time: 5, amount: max64 + 1, transferID: 5),
            EdgeSpec(source: 4, target: 0, time: 6, amount: max64 / 2 + 1, transferID: 6),
            EdgeSpec(source: 4, target: 1, time: 7, amount: max64 / 2 + 1, transferID: 7),
        ])
        #expect(graph.validate() == nil)
        // Node 1's sum is exactly 2⁶⁴ − 1, the marker itself: marked too, never mistaken for a total; node 2 has an
        // amount beyond 64 bits, node 4 two amounts whose sum is; node 3 sends nothing.
        #expect(Array(graph.nodeOutTotal64) == [12, FlowGraph.noOutTotal64, FlowGraph.noOutTotal64, 0, FlowGraph.noOutTotal64])
    }

    @Test func workersAndSplitPathsAgreeOnALargeGraph() {
        var r = SeededRandom(seed: 99)
        let n = 270_000
        var edges: [EdgeSpec] = []
        for i in 0..<300_000 {
            let s = r.chance(0.3) ? r.int(0...99) : r.int(0...(n - 1))
            var t = r.int(0...(n - 1))
            if t == s { t = (t + 1) % n }
            edges.append(EdgeSpec(source: s, target: t, time: Int64(i), amount: Int128(r.int(1...1_000_000)), transferID: Int64(i)))
        }
        let graph = FlowGraph.build(nodeCount: n, edges: edges)
        var limits = TraceLimits()
        limits.maxHops = 3
        let seeds = Array(0..<20)
        // A window that admits every edge still forces the exact 128-bit split.
        func run(threads: Int, flows: Bool, exact: Bool = false, maxFlows: Int? = nil) -> TraceOutcome {
            var l = limits
            if exact { l.since = Int64.min }
            var t = StaticTracer(graph: graph, policy: .haircut, limits: l, asset: nil, isStop: { $0 == 7 })
            t.threads = threads
            t.recordsFlows = flows
            t.maxFlows = maxFlows
            let o = t.trace(seedNodes: seeds)
            #expect(o.sinkTotal == o.seedAmount)
            return o
        }
        let exact = run(threads: 1, flows: true, exact: true)
        let reference = exact.mergedSinks()
        #expect(reference.count > 1_000)
        #expect(exact.flows.count > 10_000)
        #expect(TracePropertyTests.unbalancedNodes(graph, exact, forward: true, exclude: Set(seeds)).isEmpty)
        #expect(run(threads: 1, flows: false).mergedSinks() == reference)
        #expect(run(threads: 2, flows: false).mergedSinks() == reference)
        #expect(run(threads: 2, flows: false, exact: true).mergedSinks() == reference)
        let fast = run(threads: 2, flows: true)
        #expect(fast.mergedSinks() == reference)
        #expect(fast.flows == exact.flows)
        for k in [1, 100, 5_000] {
            let top = TracePropertyTests.largest(exact.flows, k)
            #expect(run(threads: 2, flows: true, maxFlows: k).flows == top)
            #expect(run(threads: 1, flows: true, exact: true, maxFlows: k).flows == top)
        }
        var reach = StaticTracer(graph: graph, policy: .poison, limits: limits, asset: nil, isStop: { $0 == 7 })
        let alone = reach.reach(seedNodes: seeds)
        reach.threads = 2
        #expect(reach.reach(seedNodes: seeds) == alone)
    }
}
