import FlowCore
import Testing

/// The clustering rules on hand-made transactions: CoinJoin shapes that must not merge, the change rule, the
/// deposit rule, and the forest that records why addresses were merged.
@Suite("cluster rules")
struct ClusterRuleTests {
    typealias Out = ClusterTransaction.Output

    static func tx(_ inputs: [Int64?], _ outputs: [Int64], types: ScriptType = .p2pkh, outputAddressesFrom first: Int64 = 100) -> ClusterTransaction {
        ClusterTransaction(isCoinbase: false, inputAddresses: inputs, inputScriptTypes: inputs.map { $0 == nil ? nil : types },
                           outputs: outputs.enumerated().map { Out(valueSats: $1, address: first + Int64($0), scriptType: types) })
    }

    @Test func blockSciEqualOutputCoinJoin() {
        // Three participants: three outputs of 0.1 BTC, two change outputs; (5 + 1) / 2 = 3.
        #expect(CoinJoinDetector.pattern(of: Self.tx([1, 2, 3], [10_000_000, 10_000_000, 10_000_000, 4_123_456, 7_654_321])) == .equalOutputs)
        // The same shape paying protocol dust is not a CoinJoin.
        #expect(CoinJoinDetector.pattern(of: Self.tx([1, 2, 3], [546, 546, 546, 4_123_456, 7_654_321])) == nil)
        // Fewer distinct input addresses than participants: one wallet paying three equal amounts.
        #expect(CoinJoinDetector.pattern(of: Self.tx([1, 1, 2], [10_000_000, 10_000_000, 10_000_000, 4_123_456, 7_654_321])) == nil)
        // Ties go to the lowest value: 100 occurs twice, not participants (3) times.
        #expect(CoinJoinDetector.pattern(of: Self.tx([1, 2, 3], [100, 100, 200, 200, 300])) == nil)
        // An unknown input might be another participant: the rule leans to CoinJoin.
        #expect(CoinJoinDetector.pattern(of: Self.tx([1, nil, 2], [10_000_000, 10_000_000, 10_000_000, 4_123_456, 7_654_321])) == .equalOutputs)
        // Two inputs, two outputs: an ordinary payment.
        #expect(CoinJoinDetector.pattern(of: Self.tx([1, 2], [10_000_000, 10_000_000])) == nil)
        // Coinbase transactions are never CoinJoins.
        var coinbase = Self.tx([1, 2, 3], [10_000_000, 10_000_000, 10_000_000, 1, 2])
        coinbase.isCoinbase = true
        #expect(CoinJoinDetector.pattern(of: coinbase) == nil)
    }

    @Test func whirlpoolAndWasabiRounds() {
        // Whirlpool: 5 in, 5 out of the 0.01 BTC pool, two inputs from one address (so no equal-denomination match).
        #expect(CoinJoinDetector.pattern(of: Self.tx([1, 1, 2, 3, 4], Array(repeating: 1_000_000, count: 5))) == .whirlpool)
        // Not a pool denomination: not Whirlpool.
        #expect(CoinJoinDetector.pattern(of: Self.tx([1, 1, 2, 3, 4], Array(repeating: 1_234_567, count: 5))) == nil)
        // Wasabi 1.x: 12 outputs of ~0.1 BTC, 13 change outputs and the coordinator fee, 30 inputs (26 outputs: 13
        // participants by the equal-output rule, which the 12 equal outputs do not match).
        let wasabi = Array(repeating: Int64(10_012_345), count: 12) + (0..<13).map { 1_000_000 + Int64($0) * 7_919 } + [3_456_789]
        #expect(CoinJoinDetector.pattern(of: Self.tx((1...30).map { Int64($0) }, wasabi)) == .equalDenomination)
        // Wasabi 2.0: many denominations, most outputs sharing their value with another.
        let pairs: [Int64] = (0..<30).map { (i: Int) -> Int64 in Int64(5_000 + (i / 2) * 1_000) }
        let singles: [Int64] = (0..<10).map { (i: Int) -> Int64 in 77_777 + Int64(i) * 13 }
        let ww2 = pairs + singles
        #expect(CoinJoinDetector.pattern(of: Self.tx((1...40).map { Int64($0) }, ww2)) == .multiDenomination)
        // A consolidation: many inputs, one output.
        #expect(CoinJoinDetector.pattern(of: Self.tx((1...40).map { Int64($0) }, [123_456_789])) == nil)
    }

    @Test func oneTimeChange() {
        let pay = Self.tx([1, 2], [250_000_000, 1_749_876_543])
        #expect(ChangeDetector.changeOutput(of: pay) { _ in true } == 1)
        // The candidate was paid before: not one-time change.
        #expect(ChangeDetector.changeOutput(of: pay) { _ in false } == nil)
        // Two candidates (neither value round): ambiguous.
        #expect(ChangeDetector.changeOutput(of: Self.tx([1, 2], [250_000_001, 1_749_876_543])) { _ in true } == nil)
        // The only non-round output has another script type than the inputs.
        var mixed = pay
        mixed.outputs[1].scriptType = .p2wpkh
        #expect(ChangeDetector.changeOutput(of: mixed) { _ in true } == nil)
        // An output back to an input address is the change already: nothing new to learn.
        var back = pay
        back.outputs[0].address = 2
        #expect(ChangeDetector.changeOutput(of: back) { _ in true } == nil)
        // Inputs of different types, or an unknown input: no rule.
        var types = pay
        types.inputScriptTypes = [.p2pkh, .p2wpkh]
        #expect(ChangeDetector.changeOutput(of: types) { _ in true } == nil)
        #expect(ChangeDetector.changeOutput(of: Self.tx([1, nil], [250_000_000, 1_749_876_543])) { _ in true } == nil)
        // One output: no change.
        #expect(ChangeDetector.changeOutput(of: Self.tx([1, 2], [1_749_876_543])) { _ in true } == nil)
    }

    @Test func depositRule() {
        let eth: Int128 = 1_000_000_000_000_000_000
        let exchange: Int64 = 900
        func inflow(_ block: Int64, _ from: Int64, _ amount: Int128, _ tx: String) -> LedgerEntry {
            LedgerEntry(block: block, isOutflow: false, counterparty: from, amount: amount, isFee: false, tx: tx)
        }
        func outflow(_ block: Int64, _ to: Int64, _ amount: Int128, fee: Bool = false) -> LedgerEntry {
            LedgerEntry(block: block, isOutflow: true, counterparty: to, amount: amount, isFee: fee, tx: "out\(block)")
        }
        let rule = DepositRule()
        let isExchange: (Int64) -> Bool = { $0 == exchange }
        let isSender: (Int64) -> Bool = { $0 != 0 }
        // Two users pay in 5 and 3 ETH; 7.995 ETH goes on to the exchange 50 blocks later, 0.000 42 ETH of gas.
        let deposit = [inflow(100, 1, 5 * eth, "a1"), inflow(150, 2, 3 * eth, "a2"), inflow(160, 1, eth / 1000, "a3"),
                       outflow(200, exchange, 7_995 * eth / 1000), outflow(200, 0, 420_000_000_000_000, fee: true)]
        let found = rule.evaluate(deposit, isExchange: isExchange, isSender: isSender)
        #expect(found?.exchanges == [exchange])
        #expect(found?.senders.map(\.address) == [1, 2] && found?.senders.map(\.tx) == ["a1", "a2"])
        // Keeps 1 ETH: not a forwarder.
        #expect(rule.evaluate([inflow(100, 1, 5 * eth, "b"), outflow(300, exchange, 4 * eth)], isExchange: isExchange, isSender: isSender) == nil)
        // Forwards 3,201 blocks after the receipt: outside the window.
        #expect(rule.evaluate([inflow(100, 1, 2 * eth, "c"), outflow(3_301, exchange, 2 * eth)], isExchange: isExchange, isSender: isSender) == nil)
        #expect(rule.evaluate([inflow(100, 1, 2 * eth, "c"), outflow(3_300, exchange, 2 * eth)], isExchange: isExchange, isSender: isSender) != nil)
        // Also pays someone else.
        #expect(rule.evaluate([inflow(100, 1, 2 * eth, "d"), outflow(101, exchange, eth), outflow(102, 5, eth)],
                              isExchange: isExchange, isSender: isSender) == nil)
        // Sends before anything arrived.
        #expect(rule.evaluate([outflow(99, exchange, eth), inflow(100, 1, eth, "e")], isExchange: isExchange, isSender: isSender) == nil)
        // Block rewards (a pseudo-address) are not a user.
        #expect(rule.evaluate([inflow(100, 0, eth, "r"), outflow(101, exchange, eth)], isExchange: isExchange, isSender: isSender)?.senders.isEmpty == true)
    }

    @Test func forestRecordsOnlyMergesThatJoinClusters() {
        var forest = ClusterForest()
        let joined = [forest.union(7, 3, heuristic: .multiInput, chain: "bitcoin", tx: .transactionHash("t1")),
                      forest.union(3, 9, heuristic: .change, chain: "bitcoin", tx: .transactionHash("t2")),
                      forest.union(9, 7, heuristic: .multiInput, chain: "bitcoin", tx: .transactionHash("t3"))]
        #expect(joined == [true, true, false])
        #expect(forest.merges.map(\.tx) == [.transactionHash("t1"), .transactionHash("t2")])
        // The representative is the smallest id, whatever the order of unions.
        let roots = [forest.find(9), forest.find(7), forest.find(4)]
        #expect(roots == [3, 3, 4])
        let clusters = forest.assignments().map(\.cluster)
        #expect(clusters == [3, 3, 3])

        // Existing clusters {3, 7, 9} and {1, 5}: joining them moves everyone to 1.
        let existing: [(address: Int64, cluster: Int64)] = [(3, 3), (7, 3), (9, 3), (1, 1), (5, 1)]
        var later = ClusterForest(assignments: existing)
        let joinedLater = later.union(9, 5, heuristic: .multiInput, chain: "bitcoin", tx: .transactionHash("t4"))
        #expect(joinedLater)
        let after = Set(later.assignments().map(\.cluster))
        #expect(after == [1])
        #expect(later.merges.count == 1)
    }
}
