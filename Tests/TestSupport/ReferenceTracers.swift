import FlowCore

/// Slow, obviously correct tracers that the optimised ones are checked against (after the GAP benchmark suite's
/// verifiers). They share the documented semantics, not code: values are modelled as literal lists of coins (one
/// Bool per base unit: tainted or not) for FIFO/LIFO, every ledger is replayed in a global time loop, and the
/// remainder rule is written out again. Use small amounts.
public enum ReferenceTrace {
    /// A trace result in comparable form: (location, reason) → (amount, lowest hop).
    public struct Result: Equatable, CustomStringConvertible {
        public var seedAmount: Int128 = 0
        public var sinks: [String: (amount: Int128, hop: Int)] = [:]
        public var expanded = 0

        public static func == (a: Result, b: Result) -> Bool {
            a.seedAmount == b.seedAmount && a.expanded == b.expanded && a.sinks.count == b.sinks.count
                && a.sinks.allSatisfy { k, v in b.sinks[k].map { $0.amount == v.amount && $0.hop == v.hop } ?? false }
        }

        public var description: String {
            "seed \(seedAmount), expanded \(expanded): " + sinks.keys.sorted().map { "\($0)=\(sinks[$0]!.amount)@\(sinks[$0]!.hop)" }.joined(separator: " ")
        }

        mutating func add(_ key: String, _ amount: Int128, _ hop: Int) {
            if let old = sinks[key] { sinks[key] = (old.amount + amount, min(old.hop, hop)) } else { sinks[key] = (amount, hop) }
        }

        /// The optimised tracer's outcome in the same form.
        public init(_ outcome: TraceOutcome) {
            seedAmount = outcome.seedAmount
            expanded = outcome.expanded
            for s in outcome.sinks { add(Self.key(s.location, s.reason), s.amount, s.hop) }
        }

        public init() {}

        static func key(_ l: TraceLocation, _ r: SinkReason) -> String {
            switch l {
            case .node(let v): return "node\(v)/\(r.rawValue)"
            case .output(let o): return "out\(o)/\(r.rawValue)"
            case .input(let i): return "in\(i)/\(r.rawValue)"
            case .fee(let t): return "fee\(t)/\(r.rawValue)"
            }
        }
    }

    /// The largest-remainder split, written out: floor shares, then one unit each to the largest remainders.
    static func split(_ total: Int128, _ weights: [Int128]) -> [Int128] {
        let sum = weights.reduce(0, +)
        if total == 0 || weights.isEmpty { return weights.map { _ in 0 } }
        if sum == 0 { return weights.indices.map { $0 == weights.count - 1 ? total : 0 } }
        var shares = weights.map { total * $0 / sum }
        let order = weights.indices.sorted { a, b in
            let ra = total * weights[a] % sum, rb = total * weights[b] % sum
            return ra != rb ? ra > rb : a < b
        }
        var left = total - shares.reduce(0, +)
        for i in order where left > 0 && total * weights[i] % sum > 0 { shares[i] += 1; left -= 1 }
        shares[shares.count - 1] += left
        return shares
    }

    /// A value's taint as literal coins.
    struct Coins {
        var coins: [Bool]
        var amount: Int128 { Int128(coins.lazy.filter { $0 }.count) }
    }

    // MARK: - Account model

    /// Forward (or, by mirroring the graph, backward) account-model trace by a global replay of every ledger.
    public static func account(nodeCount: Int, edges: [EdgeSpec], policy: TracePolicy, direction: TraceDirection,
                               limits: TraceLimits, stops: Set<Int>, seedNodes: [Int], seedTransfers: [Int64], amount: Int128?) -> Result {
        if direction == .backward {
            let mirrored = edges.map { EdgeSpec(source: $0.target, target: $0.source, time: -$0.time, amount: $0.amount,
                                                asset: $0.asset, transferID: -$0.transferID) }
            var l = limits
            l.since = limits.until.map { -$0 }; l.until = limits.since.map { -$0 }
            return account(nodeCount: nodeCount, edges: mirrored, policy: policy, direction: .forward, limits: l, stops: stops,
                           seedNodes: seedNodes, seedTransfers: seedTransfers.map { -$0 }, amount: amount)
        }
        struct Node {
            var active = false, poisoned = false, forwarded = false
            var balance: Int128 = 0, held: Int128 = 0, received: Int128 = 0
            var deposits: [(coins: [Bool], used: Int)] = []
            var hop = Int.max
        }
        var nodes = [Node](repeating: Node(), count: nodeCount)
        var result = Result()
        let outs = (0..<nodeCount).map { v in edges.indices.filter { edges[$0].source == v }.sorted { (edges[$0].time, edges[$0].transferID) < (edges[$1].time, edges[$1].transferID) } }
        let inWindow = { (t: Int64) in (limits.since.map { t >= $0 } ?? true) && (limits.until.map { t <= $0 } ?? true) }
        var registered: [Int: (coins: Coins, amount: Int128, hop: Int)] = [:]
        let seeds = Set(seedNodes)
        var seedEdges = Set<Int>()

        func deliver(_ e: Int, _ coins: Coins, _ amount: Int128, _ hop: Int, seeding: Bool = false) {
            let v = edges[e].target
            func stop(_ r: SinkReason) { result.add(Result.key(.node(v), r), amount, hop) }
            if seeds.contains(v) || (!seeding && seedEdges.contains(e)) { stop(.seed); return }
            if hop > 0 {
                if stops.contains(v) { stop(.labelled); return }
                if amount < limits.minAmount { stop(.dust); return }
                if let m = limits.maxHops, hop >= m { stop(.hopLimit); return }
            }
            if !nodes[v].active {
                if let m = limits.maxNodes, result.expanded >= m { stop(.nodeBudget); return }
                nodes[v].active = true
                result.expanded += 1
            }
            registered[e] = (coins, amount, hop)
        }

        // Seeds.
        var budget = amount
        var seedList: [(Int, Int)] = []
        var seen = Set<Int>()
        for v in seedNodes { for e in outs[v] where seen.insert(e).inserted { seedList.append((e, 1)) } }
        for id in seedTransfers { if let e = edges.indices.first(where: { edges[$0].transferID == id }), seen.insert(e).inserted { seedList.append((e, 0)) } }
        seedEdges = Set(seedList.map(\.0))
        for (e, hop) in seedList where inWindow(edges[e].time) {
            let w = edges[e].amount
            let s = budget.map { min($0, w) } ?? w
            if let b = budget { budget = b - s }
            guard s > 0 else { continue }
            result.seedAmount += policy == .poison ? w : s
            let coins = Coins(coins: (0..<Int(w)).map { $0 < Int(s) })
            deliver(e, coins, s, hop, seeding: true)
        }

        // The global replay: at each moment, every node's withdrawals (from deposits strictly earlier), then deposits.
        let times = Set(edges.map(\.time)).sorted()
        for now in times {
            if let until = limits.until, now > until { break }
            for v in 0..<nodeCount {
                var group = outs[v].filter { edges[$0].time == now }
                if policy == .tiho {
                    let ledgerOrder = group
                    group.sort { edges[$0].amount != edges[$1].amount ? edges[$0].amount > edges[$1].amount
                        : ledgerOrder.firstIndex(of: $0)! < ledgerOrder.firstIndex(of: $1)! }
                }
                for e in group {
                    let w = edges[e].amount
                    var carried = Coins(coins: [])
                    var carriedAmount: Int128 = 0
                    switch policy {
                    case .poison:
                        carriedAmount = nodes[v].poisoned ? w : 0
                    case .haircut:
                        if nodes[v].held > 0 {
                            if w >= nodes[v].balance { carriedAmount = nodes[v].held } else { carriedAmount = nodes[v].held * w / nodes[v].balance }
                        }
                        nodes[v].held -= carriedAmount
                    case .tiho:
                        carriedAmount = min(nodes[v].held, w)
                        nodes[v].held -= carriedAmount
                    case .fifo, .lifo:
                        var need = Int(w)
                        while need > 0, let k = (policy == .fifo ? nodes[v].deposits.indices.first { nodes[v].deposits[$0].used < nodes[v].deposits[$0].coins.count }
                                                 : nodes[v].deposits.indices.last { nodes[v].deposits[$0].used < nodes[v].deposits[$0].coins.count }) {
                            let d = nodes[v].deposits[k]
                            let take = min(need, d.coins.count - d.used)
                            carried.coins += d.coins[d.used..<(d.used + take)]
                            nodes[v].deposits[k].used += take
                            need -= take
                        }
                        carried.coins += [Bool](repeating: false, count: need)
                        carriedAmount = carried.amount
                        nodes[v].held -= carriedAmount
                    }
                    nodes[v].balance = max(0, nodes[v].balance - w)
                    if carriedAmount > 0 {
                        nodes[v].forwarded = true
                        deliver(e, carried, carriedAmount, nodes[v].hop + 1)
                    }
                }
            }
            for e in edges.indices.filter({ edges[$0].time == now }).sorted(by: { edges[$0].transferID < edges[$1].transferID }) {
                let v = edges[e].target
                let w = edges[e].amount
                let taint = registered[e]
                if let taint { nodes[v].hop = min(nodes[v].hop, taint.hop) }
                nodes[v].balance += w
                switch policy {
                case .poison:
                    if taint != nil { nodes[v].poisoned = true; nodes[v].received += w }
                case .haircut, .tiho:
                    nodes[v].held += taint?.amount ?? 0
                case .fifo, .lifo:
                    nodes[v].held += taint?.amount ?? 0
                    nodes[v].deposits.append((taint?.coins.coins ?? [Bool](repeating: false, count: Int(w)), 0))
                }
            }
        }
        for v in 0..<nodeCount where nodes[v].active {
            let left = policy == .poison ? (nodes[v].forwarded ? 0 : nodes[v].received) : nodes[v].held
            guard left > 0 else { continue }
            let later = limits.until.map { until in outs[v].contains { edges[$0].time > until } } ?? false
            result.add(Result.key(.node(v), later ? .timeWindow : .unspent), left, nodes[v].hop)
        }
        return result
    }

    // MARK: - UTXO model

    /// Forward or backward UTXO trace, transaction by transaction in index (topological) order.
    public static func utxo(_ txs: [TransactionSpec], policy: TracePolicy, direction: TraceDirection, limits: TraceLimits,
                            stops: Set<Int64>, seedOutputs: [(tx: Int, vout: Int)], amount: Int128?) -> Result {
        var result = Result()
        var firstOutput: [Int] = []
        var n = 0
        for t in txs { firstOutput.append(n); n += t.outputs.count }
        var firstInput: [Int] = []
        var m = 0
        for t in txs { firstInput.append(m); m += t.inputs.count }
        func outputIndex(_ tx: Int, _ vout: Int) -> Int { firstOutput[tx] + vout }
        var spender: [String: (tx: Int, vin: Int)] = [:]
        for (ti, t) in txs.enumerated() {
            for (k, i) in t.inputs.enumerated() { if let i { spender["\(i.tx):\(i.vout)"] = (ti, k) } }
        }
        func inputValue(_ tx: Int, _ k: Int) -> Int128 {
            if let i = txs[tx].inputs[k] { return Int128(txs[i.tx].outputs[i.vout].value) }
            return max(0, Int128(txs[tx].statedInputValues[k]))
        }
        let inWindow = { (t: Int64) in (limits.since.map { t >= $0 } ?? true) && (limits.until.map { t <= $0 } ?? true) }
        // Pending taint per transaction: forward per input position, backward per output position.
        var pending: [Int: [(position: Int, coins: Coins, amount: Int128, hop: Int)]] = [:]
        let forward = direction == .forward
        let seedSet = Set(seedOutputs.map { outputIndex($0.tx, $0.vout) })

        func reach(_ tx: Int, _ vout: Int, _ coins: Coins, _ taintAmount: Int128, _ hop: Int) {
            let value = Int128(txs[tx].outputs[vout].value)
            let amount = policy == .poison ? value : taintAmount
            guard amount > 0 else { return }
            let here = Result.key(.output(outputIndex(tx, vout)), .unspent).dropLast("unspent".count)
            func stop(_ r: SinkReason) { result.add(here + r.rawValue, amount, hop) }
            if hop > 0 && seedSet.contains(outputIndex(tx, vout)) { stop(.seed); return }
            if hop > 0 && stops.contains(txs[tx].outputs[vout].address) { stop(.labelled); return }
            if forward {
                guard let s = spender["\(tx):\(vout)"] else { stop(.unspent); return }
                if hop > 0 && amount < limits.minAmount { stop(.dust); return }
                if hop > 0, let m = limits.maxHops, hop >= m { stop(.hopLimit); return }
                guard inWindow(txs[s.tx].time) else { stop(.timeWindow); return }
                pending[s.tx, default: []].append((s.vin, coins, taintAmount, hop))
            } else {
                if hop > 0 && amount < limits.minAmount { stop(.dust); return }
                if hop > 0, let m = limits.maxHops, hop >= m { stop(.hopLimit); return }
                guard inWindow(txs[tx].time) else { stop(.timeWindow); return }
                if txs[tx].inputs.isEmpty { stop(.coinbase); return }
                pending[tx, default: []].append((vout, coins, taintAmount, hop))
            }
        }

        var budget = amount
        for (tx, vout) in seedOutputs {
            let value = Int128(txs[tx].outputs[vout].value)
            let s = budget.map { min($0, value) } ?? value
            if let b = budget { budget = b - s }
            guard s > 0 else { continue }
            result.seedAmount += policy == .poison ? value : s
            reach(tx, vout, Coins(coins: (0..<Int(value)).map { $0 < Int(s) }), s, 0)
        }

        for tx in (forward ? Array(txs.indices) : txs.indices.reversed()) {
            guard let arrivals = pending.removeValue(forKey: tx) else { continue }
            let t = txs[tx]
            if let maxNodes = limits.maxNodes, result.expanded >= maxNodes {
                for a in arrivals {
                    let o: Int
                    if forward, let prev = t.inputs[a.position] { o = outputIndex(prev.tx, prev.vout) } else { o = outputIndex(tx, a.position) }
                    let amount = policy == .poison ? Int128(forward ? inputValue(tx, a.position) : Int128(t.outputs[a.position].value)) : a.amount
                    result.add(Result.key(.output(o), .nodeBudget), amount, a.hop)
                }
                continue
            }
            result.expanded += 1
            let hop = arrivals.map(\.hop).min()! + 1
            let inValues = t.inputs.indices.map { inputValue(tx, $0) }
            let outValues = t.outputs.map { Int128($0.value) }
            if forward {
                var inCoins = inValues.map { Coins(coins: [Bool](repeating: false, count: Int($0))) }
                var inTaint = [Int128](repeating: 0, count: t.inputs.count)
                for a in arrivals { inCoins[a.position] = a.coins; inTaint[a.position] += a.amount }
                let fee = max(0, inValues.reduce(0, +) - outValues.reduce(0, +))
                let totalTaint = inTaint.reduce(0, +)
                var outTaint: [(Coins, Int128)] = []
                switch policy {
                case .poison:
                    outTaint = (outValues + [fee]).map { (Coins(coins: []), $0) }
                case .haircut:
                    outTaint = split(totalTaint, outValues + [fee]).map { (Coins(coins: []), $0) }
                case .tiho:
                    var left = totalTaint
                    var got = [Int128](repeating: 0, count: outValues.count + 1)
                    for k in outValues.indices.sorted(by: { outValues[$0] != outValues[$1] ? outValues[$0] > outValues[$1] : $0 < $1 }) {
                        got[k] = min(left, outValues[k]); left -= got[k]
                    }
                    got[outValues.count] = left
                    outTaint = got.map { (Coins(coins: []), $0) }
                case .fifo, .lifo:
                    let ordered = policy == .fifo ? inCoins : inCoins.reversed()
                    let line = ordered.flatMap(\.coins)
                    var start = 0
                    for v in outValues {
                        let piece = Array(line[min(start, line.count)..<min(start + Int(v), line.count)])
                        let c = Coins(coins: piece + [Bool](repeating: false, count: Int(v) - piece.count))
                        outTaint.append((c, c.amount)); start += Int(v)
                    }
                    let rest = Coins(coins: Array(line[min(start, line.count)...]))
                    outTaint.append((rest, rest.amount))
                }
                for k in outValues.indices where outTaint[k].1 > 0 { reach(tx, k, outTaint[k].0, outTaint[k].1, hop) }
                if outTaint[outValues.count].1 > 0 { result.add(Result.key(.fee(tx: tx), .fee), outTaint[outValues.count].1, hop) }
            } else {
                var outCoins = outValues.map { Coins(coins: [Bool](repeating: false, count: Int($0))) }
                var total: Int128 = 0
                for a in arrivals { outCoins[a.position] = a.coins; total += a.amount }
                var inTaint: [(Coins, Int128)] = inValues.map { _ in (Coins(coins: []), 0) }
                var unexplained: Int128 = 0
                if !inValues.contains(where: { $0 > 0 }) {
                    unexplained = policy == .poison ? 0 : total
                } else {
                    switch policy {
                    case .poison: inTaint = inValues.map { (Coins(coins: []), $0) }
                    case .haircut: inTaint = split(total, inValues).map { (Coins(coins: []), $0) }
                    case .tiho:
                        var left = total
                        for k in inValues.indices.sorted(by: { inValues[$0] != inValues[$1] ? inValues[$0] > inValues[$1] : $0 < $1 }) {
                            let take = min(left, inValues[k]); inTaint[k] = (Coins(coins: []), take); left -= take
                        }
                        unexplained = left
                    case .fifo, .lifo:
                        let line = outCoins.flatMap(\.coins)
                        var start = 0
                        for k in (policy == .fifo ? Array(inValues.indices) : inValues.indices.reversed()) {
                            let piece = Array(line[min(start, line.count)..<min(start + Int(inValues[k]), line.count)])
                            let c = Coins(coins: piece + [Bool](repeating: false, count: Int(inValues[k]) - piece.count))
                            inTaint[k] = (c, c.amount); start += Int(inValues[k])
                        }
                        unexplained = Coins(coins: Array(line[min(start, line.count)...])).amount
                    }
                }
                if unexplained > 0 { result.add(Result.key(.input(firstInput[tx]), .unresolved), unexplained, hop) }
                for k in t.inputs.indices where inTaint[k].1 > 0 {
                    guard let prev = t.inputs[k] else { result.add(Result.key(.input(firstInput[tx] + k), .unresolved), inTaint[k].1, hop); continue }
                    reach(prev.tx, prev.vout, inTaint[k].0, inTaint[k].1, hop)
                }
            }
        }
        return result
    }

    // MARK: - Static rounds

    /// Static (time-ignoring) poison or haircut: synchronous rounds over dictionaries.
    public static func staticRounds(nodeCount: Int, edges: [EdgeSpec], policy: TracePolicy, limits: TraceLimits, stops: Set<Int>,
                                    seedNodes: [Int], amount: Int128?) -> Result {
        var result = Result()
        let inWindow = { (t: Int64) in (limits.since.map { t >= $0 } ?? true) && (limits.until.map { t <= $0 } ?? true) }
        let outs = (0..<nodeCount).map { v in
            edges.filter { $0.source == v && inWindow($0.time) }.sorted { ($0.time, $0.transferID) < ($1.time, $1.transferID) }
        }
        var holding: [Int: Int128] = [:]
        var budget = amount
        for v in seedNodes where holding[v] == nil {
            let total = outs[v].reduce(Int128(0)) { $0 + $1.amount }
            let s = budget.map { min($0, total) } ?? total
            if let b = budget { budget = b - s }
            if s > 0 { holding[v] = s; result.seedAmount += s }
        }
        var expanded = Set<Int>()
        var hop = 0
        while !holding.isEmpty {
            var next: [Int: Int128] = [:]
            for v in holding.keys.sorted() {
                let x = holding[v]!
                func stop(_ r: SinkReason) { result.add(Result.key(.node(v), r), x, hop) }
                if hop > 0 && stops.contains(v) { stop(.labelled); continue }
                if hop > 0 && x < limits.minAmount { stop(.dust); continue }
                let weights = outs[v].map(\.amount)
                if weights.reduce(0, +) == 0 { stop(.unspent); continue }
                if let m = limits.maxHops, hop >= m { stop(.hopLimit); continue }
                if !expanded.contains(v) {
                    if let m = limits.maxNodes, expanded.count >= m { stop(.nodeBudget); continue }
                    expanded.insert(v)
                }
                let shares = policy == .poison ? weights : split(x, weights)
                for (e, share) in zip(outs[v], shares) where share > 0 { next[e.target, default: 0] += share }
            }
            holding = next
            hop += 1
        }
        result.expanded = expanded.count
        return result
    }
}
