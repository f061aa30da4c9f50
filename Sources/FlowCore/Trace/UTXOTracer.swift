/// Exact taint tracing over the UTXO transaction graph, at transaction level.
///
/// Taint sits on outputs. Forward, a tainted output's spending transaction receives it through that input and
/// passes it to its outputs and fee by ``TransactionTaint/forward(policy:inputs:outputs:fee:)``; backward, taint on
/// outputs goes to the transaction's inputs and on to the outputs they spent. Transactions are expanded in
/// topological order (forward: ascending ``UTXOGraph/txRank``, backward: descending), each once, after everything
/// that can taint it has arrived — so a transaction sees all its tainted inputs together.
///
/// Stops, checked in this order on every tainted output reached after the seeds: a seed output (`seed`: its value
/// is traced in full already), a stop-labelled address
/// (`labelled`); forward, an unspent output (`unspent`); taint below the dust threshold (`dust`); the hop limit
/// (`hop-limit`); a spending (forward) or creating (backward) transaction outside the time window (`time-window`);
/// the node budget (`node-budget`). Taint put on the fee is its own sink (`fee`); backward, coinbase outputs
/// (`coinbase`) and inputs whose spent output is not stored (`unresolved`) end it.
/// A transaction's hop is one more than the lowest hop of the taint entering it.
public struct UTXOTracer {
    public let graph: UTXOGraph
    public let policy: TracePolicy
    public let direction: TraceDirection
    public let limits: TraceLimits
    /// Whether taint stops at an address (by store address id).
    public let isStop: (Int64) -> Bool
    public var recordsFlows = true
    /// With `recordsFlows`, keep only the largest this many flows (ties: the earlier recorded); nil keeps all.
    public var maxFlows: Int?

    public init(graph: UTXOGraph, policy: TracePolicy, direction: TraceDirection, limits: TraceLimits, isStop: @escaping (Int64) -> Bool) {
        self.graph = graph; self.policy = policy; self.direction = direction; self.limits = limits; self.isStop = isStop
    }

    private struct Arrival { var position: Int; var taint: Taint; var hop: Int }

    /// Traces from the seed outputs (in the given order; with `amount`, only the first `amount` units of them, in
    /// that order, are tainted).
    /// - Complexity: O(T log T + work of the policy) for T transactions reached.
    public func trace(seedOutputs: [Int], amount: Int128? = nil) -> TraceOutcome {
        var outcome = TraceOutcome()
        var flows = FlowKeeper(limit: maxFlows)
        var pending: [Int: [Arrival]] = [:]
        var heap = BinaryHeap<UInt64>()
        let forward = direction == .forward
        let g = graph
        let seeds = Set(seedOutputs)

        func sink(_ location: TraceLocation, _ reason: SinkReason, _ amount: Int128, _ hop: Int, _ time: Int64) {
            outcome.sinks.append(TraceSink(location: location, reason: reason, amount: amount, hop: hop, time: time))
        }
        func enqueue(_ tx: Int, _ arrival: Arrival) {
            if pending[tx] == nil {
                let rank = UInt64(g.txRank[tx])
                heap.insert((forward ? rank : UInt64(UInt32.max) - rank) << 32 | UInt64(tx))
            }
            pending[tx, default: []].append(arrival)
        }
        /// Taint `taint` standing on output `o` at `hop`, arrived at `time`.
        func reach(output o: Int, taint: Taint, hop: Int, time: Int64) {
            let value = Int128(g.outValue[o])
            let amount = policy == .poison ? value : taint.amount
            guard amount > 0 else { return }
            let here = TraceLocation.output(o)
            if hop > 0 && seeds.contains(o) { sink(here, .seed, amount, hop, time); return }
            if hop > 0 && isStop(g.outAddress[o]) { sink(here, .labelled, amount, hop, time); return }
            if forward {
                let spender = g.outSpender[o]
                guard spender != UTXOGraph.noIndex else { sink(here, .unspent, amount, hop, time); return }
                if hop > 0 && amount < limits.minAmount { sink(here, .dust, amount, hop, time); return }
                if hop > 0 && !limits.allowsHop(hop) { sink(here, .hopLimit, amount, hop, time); return }
                let tx = Int(g.inTx[Int(spender)])
                guard limits.contains(time: g.txTime[tx]) else { sink(here, .timeWindow, amount, hop, time); return }
                enqueue(tx, Arrival(position: Int(spender), taint: taint, hop: hop))
            } else {
                if hop > 0 && amount < limits.minAmount { sink(here, .dust, amount, hop, time); return }
                if hop > 0 && !limits.allowsHop(hop) { sink(here, .hopLimit, amount, hop, time); return }
                let tx = g.tx(ofOutput: o)
                guard limits.contains(time: g.txTime[tx]) else { sink(here, .timeWindow, amount, hop, time); return }
                if g.isCoinbase(tx) { sink(here, .coinbase, amount, hop, g.txTime[tx]); return }
                enqueue(tx, Arrival(position: o, taint: taint, hop: hop))
            }
        }

        // Seeds.
        var budget = amount
        for o in seedOutputs {
            let value = Int128(g.outValue[o])
            var share = value
            if let b = budget { share = min(b, value); budget = b - share }
            guard share > 0 else { continue }
            outcome.seedAmount += policy == .poison ? value : share
            let tx = g.tx(ofOutput: o)
            reach(output: o, taint: Taint.leading(share, of: value, policy: policy), hop: 0, time: g.txTime[tx])
        }

        while let key = heap.popMin() {
            let tx = Int(key & 0xffff_ffff)
            guard let arrivals = pending.removeValue(forKey: tx) else { continue }
            let time = g.txTime[tx]
            if let maxNodes = limits.maxNodes, outcome.expanded >= maxNodes {
                for a in arrivals {
                    let o = forward ? Int(g.inPrevOutput[a.position]) : a.position
                    sink(.output(o), .nodeBudget, policy == .poison ? Int128(g.outValue[o]) : a.taint.amount, a.hop, time)
                }
                continue
            }
            outcome.expanded += 1
            let hop = arrivals.map(\.hop).min().map { $0 + 1 } ?? 1
            let ins = g.inputs(of: tx), outs = g.outputs(of: tx)
            if forward {
                var inputs: [(value: Int128, taint: Taint)] = ins.map { (Int128(g.value(ofInput: $0) ?? 0), Taint.none) }
                for a in arrivals {
                    let k = a.position - ins.lowerBound
                    inputs[k].taint = merge(inputs[k].taint, a.taint)
                    if recordsFlows { flows.offer(TraceFlow(via: .input(a.position), amount: policy == .poison ? inputs[k].value : a.taint.amount, hop: hop)) }
                }
                let outputs = outs.map { Int128(g.outValue[$0]) }
                let fee = max(0, inputs.reduce(0) { $0 + $1.value } - outputs.reduce(0, +))
                let result = TransactionTaint.forward(policy: policy, inputs: inputs, outputs: outputs, fee: fee)
                for (k, o) in outs.enumerated() where result[k].amount > 0 {
                    if recordsFlows { flows.offer(TraceFlow(via: .output(o), amount: result[k].amount, hop: hop)) }
                    reach(output: o, taint: result[k], hop: hop, time: time)
                }
                if let feeTaint = result.last, feeTaint.amount > 0 { sink(.fee(tx: tx), .fee, feeTaint.amount, hop, time) }
            } else {
                var outputs: [(value: Int128, taint: Taint)] = outs.map { (Int128(g.outValue[$0]), Taint.none) }
                for a in arrivals {
                    let k = a.position - outs.lowerBound
                    outputs[k].taint = merge(outputs[k].taint, a.taint)
                    if recordsFlows { flows.offer(TraceFlow(via: .output(a.position), amount: policy == .poison ? outputs[k].value : a.taint.amount, hop: hop)) }
                }
                let inputs = ins.map { Int128(g.value(ofInput: $0) ?? 0) }
                let (result, unexplained) = TransactionTaint.backward(policy: policy, outputs: outputs, inputs: inputs)
                if unexplained > 0 { sink(.input(ins.lowerBound), .unresolved, unexplained, hop, time) }
                for (k, i) in ins.enumerated() where result[k].amount > 0 {
                    if recordsFlows { flows.offer(TraceFlow(via: .input(i), amount: result[k].amount, hop: hop)) }
                    let prev = g.inPrevOutput[i]
                    if prev == UTXOGraph.noIndex { sink(.input(i), .unresolved, result[k].amount, hop, time); continue }
                    reach(output: Int(prev), taint: result[k], hop: hop, time: g.txTime[g.tx(ofOutput: Int(prev))])
                }
            }
        }
        outcome.flows = flows.flows
        return outcome
    }

    /// Two arrivals on the same value (only when seeds repeat an output): amounts add, stretches unite.
    private func merge(_ a: Taint, _ b: Taint) -> Taint {
        if a.amount == 0 { return b }
        if b.amount == 0 { return a }
        guard let x = a.intervals, let y = b.intervals else { return Taint(amount: a.amount + b.amount) }
        var bounds: [(Int128, Int128)] = []
        var i = 0
        while i < x.bounds.count { bounds.append((x.bounds[i], x.bounds[i + 1])); i += 2 }
        i = 0
        while i < y.bounds.count { bounds.append((y.bounds[i], y.bounds[i + 1])); i += 2 }
        bounds.sort { $0.0 < $1.0 }
        var out = IntervalList()
        var current: (Int128, Int128)?
        for b in bounds {
            if let c = current, b.0 <= c.1 { current = (c.0, max(c.1, b.1)) } else {
                if let c = current { out.append(c.0, c.1) }
                current = b
            }
        }
        if let c = current { out.append(c.0, c.1) }
        return Taint(intervals: out)
    }
}
