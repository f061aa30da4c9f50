import FlowCore
import Testing

/// The worked example of the README: one transaction, inputs 4.0 BTC clean then 6.0 BTC stolen, outputs 1.9, 5.0
/// and 3.0 BTC, fee 0.1 BTC; and its account-model analogue.
@Suite("Worked example")
struct WorkedExampleTests {
    static let btc: Int128 = 100_000_000
    static let values: [Int128] = [190_000_000, 500_000_000, 300_000_000]

    /// Taint per o0/o1/o2/fee for inputs `inputs` (value, fully stolen?).
    func perOutput(_ policy: TracePolicy, inputs: [(Int128, Bool)]) -> [Int128] {
        TransactionTaint.forward(
            policy: policy, inputs: inputs.map { ($0.0, Taint.leading($0.1 ? $0.0 : 0, of: $0.0, policy: policy)) },
            outputs: Self.values, fee: 10_000_000
        ).map(\.amount)
    }

    @Test(arguments: [
        (TracePolicy.poison, [Int128(190_000_000), 500_000_000, 300_000_000, 10_000_000]),
        (.haircut, [114_000_000, 300_000_000, 180_000_000, 6_000_000]),
        (.fifo, [0, 290_000_000, 300_000_000, 10_000_000]),
        (.lifo, [190_000_000, 410_000_000, 0, 0]),
        (.tiho, [0, 500_000_000, 100_000_000, 0]),
    ])
    func transactionLevel(policy: TracePolicy, expected: [Int128]) {
        #expect(perOutput(policy, inputs: [(4 * Self.btc, false), (6 * Self.btc, true)]) == expected)
    }

    @Test func swappingTheInputsExchangesFIFOAndLIFO() {
        let swapped: [(Int128, Bool)] = [(6 * Self.btc, true), (4 * Self.btc, false)]
        let straight: [(Int128, Bool)] = [(4 * Self.btc, false), (6 * Self.btc, true)]
        #expect(perOutput(.fifo, inputs: swapped) == perOutput(.lifo, inputs: straight))
        #expect(perOutput(.lifo, inputs: swapped) == perOutput(.fifo, inputs: straight))
        #expect(perOutput(.fifo, inputs: swapped) == [190_000_000, 410_000_000, 0, 0])
    }

    /// The same transaction as a graph: a coinbase funding the clean 4 BTC (address 1), one funding the stolen 6 BTC
    /// (address 2), the mixing transaction paying addresses 10, 11, 12, traced forward from the stolen output.
    @Test(arguments: TracePolicy.allCases)
    func throughTheUTXOTracer(policy: TracePolicy) throws {
        let graph = UTXOGraph.build([
            TransactionSpec(inputs: [], outputs: [(400_000_000, 1)], time: 1),
            TransactionSpec(inputs: [], outputs: [(600_000_000, 2)], time: 2),
            TransactionSpec(inputs: [(0, 0), (1, 0)], outputs: [(190_000_000, 10), (500_000_000, 11), (300_000_000, 12)], time: 3),
        ])
        #expect(graph.validate() == nil)
        let outcome = UTXOTracer(graph: graph, policy: policy, direction: .forward, limits: TraceLimits(), isStop: { _ in false })
            .trace(seedOutputs: [1])
        var perOutput = [Int128](repeating: 0, count: 4)
        for s in outcome.mergedSinks() {
            switch s.location {
            case .output(let o): #expect(s.reason == .unspent); perOutput[o - 2] += s.amount
            case .fee(let tx): #expect(tx == 2 && s.reason == .fee); perOutput[3] += s.amount
            default: Issue.record("unexpected sink \(s)")
            }
        }
        #expect(perOutput == self.perOutput(policy, inputs: [(4 * Self.btc, false), (6 * Self.btc, true)]))
        #expect(outcome.seedAmount == 6 * Self.btc)
        if policy != .poison { #expect(outcome.sinkTotal == outcome.seedAmount) }
    }

    /// Deposits 4 ETH clean (t1) then 6 ETH stolen (t2) into address 0, which sends 1.9 (t3), 5.0 (t4), 3.0 (t5).
    func accountExample(_ policy: TracePolicy, stolenAt: Int64 = 2) -> (sent: [Int128], left: Int128) {
        let eth: Int128 = 1_000_000_000_000_000_000
        let graph = FlowGraph.build(nodeCount: 6, edges: [
            EdgeSpec(source: 1, target: 0, time: 1, amount: 4 * eth, transferID: 1),
            EdgeSpec(source: 2, target: 0, time: stolenAt, amount: 6 * eth, transferID: 2),
            EdgeSpec(source: 0, target: 3, time: 3, amount: 19 * eth / 10, transferID: 3),
            EdgeSpec(source: 0, target: 4, time: 4, amount: 5 * eth, transferID: 4),
            EdgeSpec(source: 0, target: 5, time: 5, amount: 3 * eth, transferID: 5),
        ])
        let stolen = try! #require((0..<graph.edgeCount).first { graph.edgeTransferID[$0] == 2 })
        let outcome = AccountTracer(graph: graph, policy: policy, direction: .forward, limits: TraceLimits(), asset: nil, isStop: { _ in false })
            .trace(seedNodes: [], seedEdges: [stolen])
        var sent = [Int128](repeating: 0, count: 3)
        var left: Int128 = 0
        for s in outcome.mergedSinks() {
            guard case .node(let v) = s.location else { continue }
            if v == 0 { left += s.amount } else { sent[v - 3] += s.amount }
        }
        if policy != .poison { #expect(outcome.sinkTotal == outcome.seedAmount) }
        return (sent, left)
    }

    @Test func accountAnalogue() {
        let milli: Int128 = 1_000_000_000_000_000
        #expect(accountExample(.fifo).sent == [0, 2_900 * milli, 3_000 * milli])
        #expect(accountExample(.fifo).left == 100 * milli)
        #expect(accountExample(.lifo).sent == [1_900 * milli, 4_100 * milli, 0])
        #expect(accountExample(.lifo).left == 0)
        // Haircut: 6/10 of 1.9, then 4.86/8.1 of 5.0, then 1.86/3.1 of 3.0; 0.06 stays.
        #expect(accountExample(.haircut).sent == [1_140 * milli, 3_000 * milli, 1_800 * milli])
        #expect(accountExample(.haircut).left == 60 * milli)
        #expect(accountExample(.poison).sent == [1_900 * milli, 5_000 * milli, 3_000 * milli])
        #expect(accountExample(.tiho).sent == [1_900 * milli, 4_100 * milli, 0])
    }

    @Test(arguments: TracePolicy.allCases)
    func aStolenDepositAfterASendNeverTaintsIt(policy: TracePolicy) {
        // The stolen 6 ETH now arrives at t4.5 → between the 5.0 (t4) and 3.0 (t5) sends: only the last can carry it.
        let late = accountExample(policy, stolenAt: 4)  // equal time: withdrawals first, so t4's send is still clean
        #expect(late.sent[0] == 0 && late.sent[1] == 0)
    }

    /// An address seed taints its own outflows in full (hop 1); what its receivers do with it follows the policy.
    @Test(arguments: [TracePolicy.fifo, .haircut, .lifo, .tiho])
    func anAddressSeedTracesItsOutflows(policy: TracePolicy) {
        // 0 (thief) → 1: 5 at t1, 0 → 2: 2 at t2; 1 → 3: 3 at t3; 4 → 1: 5 at t0 (clean, earlier).
        let graph = FlowGraph.build(nodeCount: 5, edges: [
            EdgeSpec(source: 0, target: 1, time: 1, amount: 5, transferID: 1),
            EdgeSpec(source: 0, target: 2, time: 2, amount: 2, transferID: 2),
            EdgeSpec(source: 1, target: 3, time: 3, amount: 3, transferID: 3),
            EdgeSpec(source: 4, target: 1, time: 0, amount: 5, transferID: 4),
        ])
        let outcome = AccountTracer(graph: graph, policy: policy, direction: .forward, limits: TraceLimits(), asset: nil, isStop: { _ in false })
            .trace(seedNodes: [0], seedEdges: [])
        #expect(outcome.seedAmount == 7)
        #expect(outcome.sinkTotal == 7)
        var at: [Int: Int128] = [:]
        for s in outcome.mergedSinks() { if case .node(let v) = s.location { at[v, default: 0] += s.amount; #expect(s.reason == .unspent) } }
        // Node 1 holds 5 clean (t0) + 5 stolen (t1) and sends 3 at t3.
        let expected: [TracePolicy: [Int: Int128]] = [
            .fifo: [1: 5, 2: 2], .lifo: [1: 2, 2: 2, 3: 3], .tiho: [1: 2, 2: 2, 3: 3], .haircut: [1: 4, 2: 2, 3: 1],
        ]
        #expect(at == expected[policy])
    }
}
