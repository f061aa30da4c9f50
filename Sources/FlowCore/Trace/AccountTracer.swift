/// Exact, time-respecting taint tracing over the account-model graph (Ethereum, generic transfers).
///
/// Every address keeps a time-ordered ledger of deposits and withdrawals. A withdrawal can only carry taint that
/// was deposited strictly earlier; at equal times withdrawals come before deposits. Per policy:
/// - poison: every withdrawal after the first tainted deposit is fully tainted.
/// - haircut: the address's balance B and tainted balance T are tracked from its first transfer; a withdrawal of w
///   carries ⌊T × w / B⌋ (all of T when w ≥ B). Funds withdrawn beyond the known balance are treated as clean.
/// - fifo / lifo: deposits queue up as lines of base units; a withdrawal takes from the oldest (fifo) or newest
///   (lifo) deposit, from the start of what is left of it, carrying exactly the tainted stretches it takes.
/// - tiho: taint leaves first: a withdrawal carries min(T, w); withdrawals at the same moment go largest first.
///
/// Backward tracing runs the same rules on the mirrored ledger (in-edges become withdrawals, out-edges deposits,
/// time reversed): "which earlier inflows does this outflow stand for".
///
/// Seeds: an address (its withdrawals in the window are fully tainted, hop 1 — with an amount limit only their
/// first units in time order), or transfers (the taint lands on the receiver — backward: the sender — at hop 0).
/// Taint arriving after the seeds stops at a stop-labelled address (`labelled`), below the dust threshold (`dust`),
/// at the hop limit (`hop-limit`), at a seed address or along a seed transfer (`seed`), or when the node budget is spent (`node-budget`);
/// what an address still holds at the end is `unspent`, or `time-window` when it moves only after the window.
/// An address's hop is the lowest hop of the tainted deposits applied so far (deposited strictly earlier); its
/// withdrawals are one hop further.
public struct AccountTracer {
    public let graph: FlowGraph
    public let policy: TracePolicy
    public let direction: TraceDirection
    public let limits: TraceLimits
    /// Only edges of this asset (snapshot asset id) are followed; nil: every edge.
    public let asset: UInt32?
    /// Whether taint stops at a node (dense node id).
    public let isStop: (Int) -> Bool
    public var recordsFlows = true
    /// With `recordsFlows`, keep only the largest this many flows (ties: the earlier recorded); nil keeps all.
    public var maxFlows: Int?

    public init(graph: FlowGraph, policy: TracePolicy, direction: TraceDirection, limits: TraceLimits, asset: UInt32?,
                isStop: @escaping (Int) -> Bool) {
        self.graph = graph; self.policy = policy; self.direction = direction; self.limits = limits; self.asset = asset; self.isStop = isStop
    }

    /// Traces from seed addresses (dense node ids) and seed transfers (edge indices); `amount` limits the taint to the
    /// first units of the seeds in the given order.
    /// - Complexity: O(L log L) where L is the total ledger length of the addresses the taint reaches.
    public func trace(seedNodes: [Int], seedEdges: [Int], amount: Int128? = nil) -> TraceOutcome {
        var run = AccountRun(tracer: self)
        defer { run.slotMemory.release(); run.edgeSlotMemory.release() }
        return run.run(seedNodes: seedNodes, seedEdges: seedEdges, limit: amount)
    }
}

/// One queued deposit of a FIFO/LIFO ledger: `value` units of which `used` are taken, with its tainted stretches.
private struct Piece {
    var value: Int128
    var used: Int128
    var intervals: IntervalList?
}

private struct Ledger {
    var node: Int
    var hop: Int
    var nextDeposit = 0
    var nextWithdrawal = 0
    var balance: Int128 = 0
    /// Taint held (haircut, tiho, fifo, lifo).
    var held: Int128 = 0
    var isPoisoned = false
    var received: Int128 = 0
    var forwarded = false
    var pieces: [Piece] = []
    var head = 0
    var scheduled = Int64.max
    var unapplied = 0
    var firstTime = Int64.max
}

private struct Event: Comparable {
    var key: Int64
    var node: Int
    static func < (a: Event, b: Event) -> Bool { a.key != b.key ? a.key < b.key : a.node < b.node }
}

private struct AccountRun {
    let t: AccountTracer
    let g: FlowGraph
    let forward: Bool
    let windowStart: Int64, windowEnd: Int64
    var outcome = TraceOutcome()
    var flows: FlowKeeper
    /// Each node's ledger index + 1 (0: no ledger yet), in lazily zeroed memory: a trace touches few nodes.
    let slotMemory: ZeroedMemory<Int32>
    var slot: UnsafeMutableBufferPointer<Int32> { slotMemory.buffer }
    var ledgers: [Ledger] = []
    var isSeed: Set<Int> = []
    var seedEdgeSet: Set<Int> = []
    /// Each delivered edge's index + 1 in `delivered` (0: none), in lazily zeroed memory: a hash table of ~10⁷
    /// delivered edges cost more than the replay itself.
    let edgeSlotMemory: ZeroedMemory<UInt32>
    var delivered: [(taint: Taint, hop: Int)] = []
    var heap = BinaryHeap<Event>()

    init(tracer: AccountTracer) {
        t = tracer; g = tracer.graph; forward = tracer.direction == .forward
        flows = FlowKeeper(limit: tracer.maxFlows)
        slotMemory = ZeroedMemory<Int32>(count: tracer.graph.nodeCount)
        precondition(tracer.graph.edgeCount < Int(UInt32.max), "more edges than a delivery slot can number")
        edgeSlotMemory = ZeroedMemory<UInt32>(count: tracer.graph.edgeCount)
        let since = tracer.limits.since ?? Int64.min + 1, until = tracer.limits.until ?? Int64.max
        windowStart = forward ? since : -until
        windowEnd = forward ? until : -since
    }

    // The mirrored ledger view.
    @inline(__always) func withdrawalCount(_ v: Int) -> Int { forward ? g.outEdges(of: v).count : g.inEdgePositions(of: v).count }
    @inline(__always) func depositCount(_ v: Int) -> Int { forward ? g.inEdgePositions(of: v).count : g.outEdges(of: v).count }
    @inline(__always) func withdrawal(_ v: Int, _ i: Int) -> Int {
        forward ? Int(g.outRow[v]) + i : Int(g.inEdge[Int(g.inRow[v + 1]) - 1 - i])
    }
    @inline(__always) func deposit(_ v: Int, _ i: Int) -> Int {
        forward ? Int(g.inEdge[Int(g.inRow[v]) + i]) : Int(g.outRow[v + 1]) - 1 - i
    }
    @inline(__always) func key(_ e: Int) -> Int64 { forward ? g.edgeTime[e] : -g.edgeTime[e] }
    @inline(__always) func far(_ e: Int) -> Int { Int(forward ? g.edgeTarget[e] : g.edgeSource[e]) }
    @inline(__always) func counts(_ e: Int) -> Bool { t.asset.map { g.edgeAsset[e] == $0 } ?? true }
    @inline(__always) func amount(_ e: Int) -> Int128 { Int128(g.edgeAmountHigh[e]) << 64 | Int128(g.edgeAmountLow[e]) }

    mutating func sink(_ v: Int, _ reason: SinkReason, _ amount: Int128, _ hop: Int, _ time: Int64) {
        outcome.sinks.append(TraceSink(location: .node(v), reason: reason, amount: amount, hop: hop, time: time))
    }

    mutating func run(seedNodes: [Int], seedEdges: [Int], limit: Int128?) -> TraceOutcome {
        var budget = limit
        func share(_ value: Int128) -> Int128 {
            guard let b = budget else { return value }
            let s = min(b, value)
            budget = b - s
            return s
        }
        isSeed = Set(seedNodes)
        // Seed transfers: every in-window withdrawal of a seed address (hop 1), then the given transfers (hop 0).
        var seeds: [(edge: Int, hop: Int)] = []
        var seenNodes = Set<Int>(), seenEdges = Set<Int>()
        for v in seedNodes where seenNodes.insert(v).inserted {
            for i in 0..<withdrawalCount(v) {
                let e = withdrawal(v, i)
                if seenEdges.insert(e).inserted { seeds.append((e, 1)) }
            }
        }
        for e in seedEdges where seenEdges.insert(e).inserted { seeds.append((e, 0)) }
        seedEdgeSet = Set(seeds.map(\.edge))
        for (e, hop) in seeds {
            guard counts(e), key(e) >= windowStart, key(e) <= windowEnd else { continue }
            let w = amount(e), s = share(w)
            guard s > 0 else { continue }
            outcome.seedAmount += t.policy == .poison ? w : s
            deliver(e, Taint.leading(s, of: w, policy: t.policy), hop: hop, seeding: true)
        }
        while let event = heap.popMin() {
            let s = Int(slot[event.node]) - 1
            guard ledgers[s].scheduled == event.key else { continue }
            process(s, at: event.key)
        }
        // What is still held at the end.
        for s in ledgers.indices {
            var l = takeLedger(s)
            var deliveries: [(Int, Taint, Int)] = []
            advance(&l, to: Int64.max, deliveries: &deliveries)
            ledgers[s] = l
            let left: Int128
            if t.policy == .poison { left = l.forwarded ? 0 : l.received } else { left = l.held }
            guard left > 0 else { continue }
            let movesLater = l.nextWithdrawal < withdrawalCount(l.node)
            sink(l.node, movesLater ? .timeWindow : .unspent, left, l.hop, l.firstTime)
        }
        outcome.flows = flows.flows
        return outcome
    }

    /// Taint `taint` leaving along edge `e` at `hop` arrives at the far end.
    mutating func deliver(_ e: Int, _ taint: Taint, hop: Int, seeding: Bool = false) {
        let v = far(e), time = g.edgeTime[e]
        let amount = taint.amount
        // The transfer carried it, whatever the receiver does with it (poison: the whole transfer is tainted).
        if t.recordsFlows { flows.offer(TraceFlow(via: .edge(e), amount: t.policy == .poison ? self.amount(e) : amount, hop: hop)) }
        // Into a seed address, or along a seed transfer: that value is traced in full already.
        if isSeed.contains(v) || (!seeding && seedEdgeSet.contains(e)) { sink(v, .seed, amount, hop, time); return }
        if hop > 0 {
            if t.isStop(v) { sink(v, .labelled, amount, hop, time); return }
            if amount < t.limits.minAmount { sink(v, .dust, amount, hop, time); return }
            if !t.limits.allowsHop(hop) { sink(v, .hopLimit, amount, hop, time); return }
        }
        var s = Int(slot[v]) - 1
        if s < 0 {
            if let maxNodes = t.limits.maxNodes, outcome.expanded >= maxNodes { sink(v, .nodeBudget, amount, hop, time); return }
            s = ledgers.count
            slot[v] = Int32(s + 1)
            ledgers.append(Ledger(node: v, hop: Int.max))
            outcome.expanded += 1
        }
        // Each transfer is delivered at most once: seeds are deduplicated and a withdrawal is replayed once.
        delivered.append((taint, hop))
        edgeSlotMemory.buffer[e] = UInt32(delivered.count)
        ledgers[s].unapplied += 1
        ledgers[s].firstTime = min(ledgers[s].firstTime, time)
        schedule(s, after: key(e))
    }

    /// Queues the ledger's first withdrawal strictly after `k` (inside the window).
    mutating func schedule(_ s: Int, after k: Int64) {
        let v = ledgers[s].node
        var lo = ledgers[s].nextWithdrawal, hi = withdrawalCount(v)
        while lo < hi { let mid = (lo + hi) / 2; if key(withdrawal(v, mid)) <= k { lo = mid + 1 } else { hi = mid } }
        while lo < withdrawalCount(v) && !counts(withdrawal(v, lo)) { lo += 1 }
        guard lo < withdrawalCount(v) else { return }
        let next = key(withdrawal(v, lo))
        guard next <= windowEnd, next < ledgers[s].scheduled else { return }
        ledgers[s].scheduled = next
        heap.insert(Event(key: next, node: v))
    }

    /// Moves ledger `s` out of the array (a placeholder stays) so that changing its deposit queue does not copy it:
    /// a copy still referenced from the array would make every withdrawal copy the whole queue (quadratic).
    mutating func takeLedger(_ s: Int) -> Ledger {
        var l = Ledger(node: ledgers[s].node, hop: ledgers[s].hop)
        swap(&l, &ledgers[s])
        return l
    }

    mutating func process(_ s: Int, at k: Int64) {
        var l = takeLedger(s)
        l.scheduled = Int64.max
        var deliveries: [(Int, Taint, Int)] = []
        advance(&l, to: k, deliveries: &deliveries)
        ledgers[s] = l
        for (e, taint, hop) in deliveries { deliver(e, taint, hop: hop) }
        if ledgers[s].held > 0 || ledgers[s].isPoisoned || ledgers[s].unapplied > 0 { schedule(s, after: k) }
    }

    /// Replays the ledger: deposits before `k`, withdrawals up to and including `k` (never past the window).
    func advance(_ l: inout Ledger, to k: Int64, deliveries: inout [(Int, Taint, Int)]) {
        let v = l.node
        let wCount = withdrawalCount(v), dCount = depositCount(v)
        while true {
            let w = l.nextWithdrawal < wCount ? withdrawal(v, l.nextWithdrawal) : -1
            let d = l.nextDeposit < dCount ? deposit(v, l.nextDeposit) : -1
            let kw = w >= 0 ? key(w) : Int64.max, kd = d >= 0 ? key(d) : Int64.max
            if w >= 0 && kw <= kd && kw <= k && kw <= windowEnd {
                func take(_ e: Int) {
                    guard counts(e) else { return }
                    let carried = withdraw(&l, amount(e))
                    if carried.amount > 0 {
                        l.forwarded = true
                        deliveries.append((e, carried, l.hop + 1))
                    }
                }
                guard t.policy == .tiho else { l.nextWithdrawal += 1; take(w); continue }
                // tiho: every withdrawal of this moment, largest first (equal amounts keep ledger order).
                var group = [w]
                var j = l.nextWithdrawal + 1
                while j < wCount && key(withdrawal(v, j)) == kw { group.append(withdrawal(v, j)); j += 1 }
                l.nextWithdrawal = j
                for i in group.indices.sorted(by: { a, b in
                    amount(group[a]) != amount(group[b]) ? amount(group[a]) > amount(group[b]) : a < b
                }) { take(group[i]) }
            } else if d >= 0 && kd < k && kd <= windowEnd {
                l.nextDeposit += 1
                guard counts(d) else { continue }
                let value = amount(d)
                let deliveredSlot = Int(edgeSlotMemory.buffer[d])
                let tainted = deliveredSlot == 0 ? nil : delivered[deliveredSlot - 1]
                if let tainted { l.unapplied -= 1; l.hop = min(l.hop, tainted.hop) }
                let taint = tainted?.taint
                l.balance += value
                switch t.policy {
                case .poison:
                    if taint != nil { l.isPoisoned = true; l.received += value }
                case .haircut, .tiho:
                    l.held += taint?.amount ?? 0
                case .fifo, .lifo:
                    l.held += taint?.amount ?? 0
                    l.pieces.append(Piece(value: value, used: 0, intervals: taint?.intervals))
                }
            } else {
                break
            }
        }
    }

    /// The taint one withdrawal of `w` carries, updating the ledger.
    func withdraw(_ l: inout Ledger, _ w: Int128) -> Taint {
        defer { l.balance = max(0, l.balance - w) }
        switch t.policy {
        case .poison:
            return Taint(amount: l.isPoisoned ? w : 0)
        case .haircut:
            guard l.held > 0 else { return Taint(amount: 0) }
            if w >= l.balance { let all = l.held; l.held = 0; return Taint(amount: all) }
            let carried = Allocation.mulDiv(l.held, w, l.balance)
            l.held -= carried
            return Taint(amount: carried)
        case .tiho:
            let carried = min(l.held, w)
            l.held -= carried
            return Taint(amount: carried)
        case .fifo, .lifo:
            var need = w
            var out = IntervalList()
            var position: Int128 = 0
            while need > 0 && l.head < l.pieces.count {
                let index = t.policy == .fifo ? l.head : l.pieces.count - 1
                var p = l.pieces[index]
                let take = min(need, p.value - p.used)
                if let iv = p.intervals { out.append(iv.slice(p.used, p.used + take), shiftedBy: position) }
                p.used += take; position += take; need -= take
                if p.used == p.value {
                    if t.policy == .fifo { l.head += 1 } else { l.pieces.removeLast() }
                } else {
                    l.pieces[index] = p
                }
            }
            if t.policy == .fifo && l.head > 64 && l.head * 2 > l.pieces.count { l.pieces.removeFirst(l.head); l.head = 0 }
            let carried = Taint(intervals: out)
            l.held -= carried.amount
            return carried
        }
    }
}
