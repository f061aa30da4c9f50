/// Owns heap-allocated arrays behind a graph built in memory (tests, benchmarks, small stores).
final class ArrayStorage {
    private var blocks: [UnsafeMutableRawPointer] = []

    func buffer<T>(_ values: [T]) -> UnsafeBufferPointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: max(1, values.count))
        _ = UnsafeMutableBufferPointer(start: p, count: values.count).initialize(from: values)
        blocks.append(UnsafeMutableRawPointer(p))
        return UnsafeBufferPointer(start: p, count: values.count)
    }

    deinit { for b in blocks { b.deallocate() } }
}

/// One transfer of an in-memory account graph.
public struct EdgeSpec: Sendable, Equatable {
    public var source: Int
    public var target: Int
    public var time: Int64
    public var amount: Int128
    public var asset: UInt32
    /// The evidence id (orders edges with equal times).
    public var transferID: Int64

    public init(source: Int, target: Int, time: Int64, amount: Int128, asset: UInt32 = 0, transferID: Int64) {
        self.source = source; self.target = target; self.time = time; self.amount = amount; self.asset = asset; self.transferID = transferID
    }
}

extension FlowGraph {
    /// Builds the CSR graph of `edges` over nodes `0 ..< nodeCount` in memory (node i has address id i).
    /// - Complexity: O(E log E).
    public static func build(nodeCount: Int, edges: [EdgeSpec]) -> FlowGraph {
        let order = edges.indices.sorted { a, b in
            let x = edges[a], y = edges[b]
            return (x.source, x.time, x.transferID) < (y.source, y.time, y.transferID)
        }
        let sorted = order.map { edges[$0] }
        var outRow = [UInt64](repeating: 0, count: nodeCount + 1), inRow = [UInt64](repeating: 0, count: nodeCount + 1)
        for e in sorted { outRow[e.source + 1] += 1; inRow[e.target + 1] += 1 }
        for v in 0..<nodeCount { outRow[v + 1] += outRow[v]; inRow[v + 1] += inRow[v] }
        let inEdge = sorted.indices.sorted { a, b in
            let x = sorted[a], y = sorted[b]
            return (x.target, x.time, x.transferID, a) < (y.target, y.time, y.transferID, b)
        }.map { UInt32($0) }
        let s = ArrayStorage()
        let lows = sorted.map { UInt64(truncatingIfNeeded: $0.amount) }, highs = sorted.map { Int64(truncatingIfNeeded: $0.amount >> 64) }
        return FlowGraph(
            nodeCount: nodeCount, edgeCount: sorted.count, nodeAddressID: s.buffer((0..<nodeCount).map { Int64($0) }),
            outRow: s.buffer(outRow), edgeTarget: s.buffer(sorted.map { UInt32($0.target) }),
            edgeSource: s.buffer(sorted.map { UInt32($0.source) }), edgeTime: s.buffer(sorted.map(\.time)),
            edgeAmountLow: s.buffer(lows), edgeAmountHigh: s.buffer(highs),
            edgeAsset: s.buffer(sorted.map(\.asset)), edgeTransferID: s.buffer(sorted.map(\.transferID)),
            inRow: s.buffer(inRow), inEdge: s.buffer(inEdge),
            nodeOutTotal64: s.buffer(FlowGraph.outTotals64(outRow: outRow, lows: lows, highs: highs)), owner: s)
    }
}

/// One transaction of an in-memory UTXO graph.
public struct TransactionSpec: Sendable, Equatable {
    /// Each input spends (transaction index, vout), or an output that is not in the graph (nil) with a stated value.
    public var inputs: [(tx: Int, vout: Int)?]
    /// Values stated for inputs whose output is not in the graph (-1: unknown).
    public var statedInputValues: [Int64]
    public var outputs: [(value: Int64, address: Int64)]
    public var time: Int64

    public init(inputs: [(tx: Int, vout: Int)?], statedInputValues: [Int64]? = nil, outputs: [(value: Int64, address: Int64)], time: Int64) {
        self.inputs = inputs; self.outputs = outputs; self.time = time
        self.statedInputValues = statedInputValues ?? Array(repeating: -1, count: inputs.count)
    }

    public static func == (a: TransactionSpec, b: TransactionSpec) -> Bool {
        a.inputs.map { $0.map { [$0.tx, $0.vout] } } == b.inputs.map { $0.map { [$0.tx, $0.vout] } }
            && a.statedInputValues == b.statedInputValues && a.time == b.time
            && a.outputs.map { [$0.value, $0.address] } == b.outputs.map { [$0.value, $0.address] }
    }
}

extension UTXOGraph {
    /// Builds the graph of `transactions`, given in topological order (the index is the rank and the store id).
    /// - Complexity: O(transactions + inputs + outputs).
    public static func build(_ transactions: [TransactionSpec]) -> UTXOGraph {
        var outRow: [UInt64] = [0], inRow: [UInt64] = [0]
        var outValue: [Int64] = [], outAddress: [Int64] = []
        for t in transactions {
            for o in t.outputs { outValue.append(o.value); outAddress.append(o.address) }
            outRow.append(UInt64(outValue.count))
        }
        var outSpender = [UInt32](repeating: UTXOGraph.noIndex, count: outValue.count)
        var inPrev: [UInt32] = [], inValue: [Int64] = [], inAddress: [Int64] = [], inTx: [UInt32] = []
        for (ti, t) in transactions.enumerated() {
            for (k, input) in t.inputs.enumerated() {
                if let input {
                    let o = Int(outRow[input.tx]) + input.vout
                    outSpender[o] = UInt32(inPrev.count)
                    inPrev.append(UInt32(o)); inValue.append(outValue[o]); inAddress.append(outAddress[o])
                } else {
                    inPrev.append(UTXOGraph.noIndex); inValue.append(t.statedInputValues[k]); inAddress.append(0)
                }
                inTx.append(UInt32(ti))
            }
            inRow.append(UInt64(inPrev.count))
        }
        let s = ArrayStorage()
        return UTXOGraph(
            txStoreID: s.buffer(transactions.indices.map { Int64($0) }), txRank: s.buffer(transactions.indices.map { UInt32($0) }),
            txTime: s.buffer(transactions.map(\.time)), txOutRow: s.buffer(outRow), txInRow: s.buffer(inRow),
            outValue: s.buffer(outValue), outAddress: s.buffer(outAddress), outSpender: s.buffer(outSpender),
            inPrevOutput: s.buffer(inPrev), inValue: s.buffer(inValue), inAddress: s.buffer(inAddress), inTx: s.buffer(inTx), owner: s)
    }
}
