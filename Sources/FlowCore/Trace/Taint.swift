/// The taint on one value (an output, a deposit, a transfer): an amount, and for FIFO/LIFO where on the value's
/// line of base units it sits.
public struct Taint: Equatable, Sendable {
    public var amount: Int128
    /// FIFO/LIFO only: the tainted stretches of `0 ..< value`; their total is ``amount``.
    public var intervals: IntervalList?

    public init(amount: Int128) { self.amount = amount; self.intervals = nil }
    public init(intervals: IntervalList) { self.amount = intervals.total; self.intervals = intervals }

    /// The first `amount` units of a value of `value` units, in the representation `policy` needs.
    public static func leading(_ amount: Int128, of value: Int128, policy: TracePolicy) -> Taint {
        let a = min(amount, value)
        switch policy {
        case .fifo, .lifo: return Taint(intervals: .full(a))
        case .poison, .haircut, .tiho: return Taint(amount: a)
        }
    }

    static let none = Taint(amount: 0)
}

/// How one UTXO transaction moves taint between its inputs and its outputs, by policy.
public enum TransactionTaint {
    /// Forward: the taint on the inputs, to the outputs and then the fee (the last element of the result).
    ///
    /// - poison: every output (and the fee) fully tainted when any input is.
    /// - haircut: the total input taint split over outputs and fee by value, ``Allocation/largestRemainders(total:weights:)``.
    /// - fifo: inputs laid end to end in input order, outputs cut from that line in output order, fee last.
    /// - lifo: the same with the inputs in reverse order.
    /// - tiho: the total input taint fills outputs in descending value (ties: lower index), the fee last.
    /// - Parameters:
    ///   - inputs: each input's value and taint, in input order (value 0 for an input whose value is unknown).
    ///   - outputs: output values in output order.
    ///   - fee: the fee (inputs − outputs, at least 0).
    /// - Complexity: O((inputs + outputs) log outputs + intervals).
    public static func forward(policy: TracePolicy, inputs: [(value: Int128, taint: Taint)], outputs: [Int128], fee: Int128) -> [Taint] {
        let sinks = outputs + [fee]
        let total = inputs.reduce(Int128(0)) { $0 + $1.taint.amount }
        var result = [Taint](repeating: .none, count: sinks.count)
        guard total > 0 else { return result }
        switch policy {
        case .poison:
            for (i, v) in sinks.enumerated() { result[i] = Taint(amount: v) }
        case .haircut:
            for (i, share) in Allocation.largestRemainders(total: total, weights: sinks).enumerated() { result[i] = Taint(amount: share) }
        case .tiho:
            result = fillDescending(total: total, capacities: outputs).map { Taint(amount: $0) } + [Taint(amount: 0)]
            let placed = result.reduce(Int128(0)) { $0 + $1.amount }
            result[outputs.count] = Taint(amount: total - placed)
        case .fifo, .lifo:
            var line = IntervalList()
            var offset: Int128 = 0
            for input in (policy == .fifo ? Array(inputs) : inputs.reversed()) {
                if let iv = input.taint.intervals { line.append(iv, shiftedBy: offset) }
                offset += input.value
            }
            var start: Int128 = 0
            for (i, v) in sinks.enumerated() {
                let end = i == sinks.count - 1 ? Int128.max : start + v  // the fee takes whatever the outputs do not
                result[i] = Taint(intervals: line.slice(start, end))
                start = end
            }
        }
        return result
    }

    /// Backward: the taint on the outputs (its total, or for FIFO/LIFO its stretches), to the inputs.
    ///
    /// The mirror of ``forward(policy:inputs:outputs:fee:)``: haircut splits by input value, TIHO fills the largest
    /// inputs first, FIFO/LIFO map output stretches back onto the same line of inputs (reversed for LIFO), poison
    /// taints every input fully. Taint that falls where no input value is known is returned as `unexplained`.
    public static func backward(policy: TracePolicy, outputs: [(value: Int128, taint: Taint)], inputs: [Int128])
        -> (inputs: [Taint], unexplained: Int128)
    {
        let total = outputs.reduce(Int128(0)) { $0 + $1.taint.amount }
        var result = [Taint](repeating: .none, count: inputs.count)
        guard total > 0 else { return (result, 0) }
        guard inputs.contains(where: { $0 > 0 }) else { return (result, policy == .poison ? 0 : total) }
        switch policy {
        case .poison:
            for (i, v) in inputs.enumerated() { result[i] = Taint(amount: v) }
            return (result, 0)
        case .haircut:
            for (i, share) in Allocation.largestRemainders(total: total, weights: inputs).enumerated() { result[i] = Taint(amount: share) }
            return (result, 0)
        case .tiho:
            let shares = fillDescending(total: total, capacities: inputs)
            for (i, s) in shares.enumerated() { result[i] = Taint(amount: s) }
            return (result, total - shares.reduce(0, +))
        case .fifo, .lifo:
            var line = IntervalList()
            var offset: Int128 = 0
            for o in outputs {
                if let iv = o.taint.intervals { line.append(iv, shiftedBy: offset) }
                offset += o.value
            }
            let order = policy == .fifo ? Array(inputs.indices) : inputs.indices.reversed()
            var start: Int128 = 0
            var placed: Int128 = 0
            for i in order {
                let piece = line.slice(start, start + inputs[i])
                result[i] = Taint(intervals: piece)
                placed += piece.total
                start += inputs[i]
            }
            return (result, total - placed)
        }
    }

    /// Fills capacities in descending order (ties: lower index) with `total`; returns what each got.
    static func fillDescending(total: Int128, capacities: [Int128]) -> [Int128] {
        var left = total
        var got = [Int128](repeating: 0, count: capacities.count)
        for i in capacities.indices.sorted(by: { capacities[$0] != capacities[$1] ? capacities[$0] > capacities[$1] : $0 < $1 }) {
            let take = min(left, capacities[i])
            got[i] = take
            left -= take
            if left == 0 { break }
        }
        return got
    }
}

