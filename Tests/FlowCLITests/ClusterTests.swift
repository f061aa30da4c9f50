import FlowCore
import Foundation
import Testing
import TestSupport

/// `flowtrace cluster` end to end: constructed Bitcoin transactions (through the bitcoin-etl ingest) for each
/// rule, incremental runs, the deposit rule on account transfers, a real multi-input merge from mainnet blocks
/// 227835–227836 with its explanation, and what clusters change for labels and traces.
@Suite("clustering")
struct ClusterTests {
    /// A bitcoin-etl transaction line: outputs pay P2PKH (or P2WPKH) addresses made from small numbers.
    struct Tx {
        var id: Int
        var block: Int
        var coinbase = false
        var inputs: [(tx: Int, vout: Int)] = []
        var outputs: [(key: Int, sats: Int64)] = []
        var segwitKeys: Set<Int> = []
    }

    static func hash(_ n: Int) -> String { String(format: "%064x", n) }
    static func script(_ key: Int, segwit: Bool) -> [UInt8] {
        let h = [UInt8(key & 0xff), UInt8(key >> 8 & 0xff)] + [UInt8](repeating: 0x5a, count: 18)
        return segwit ? [0x00, 0x14] + h : [0x76, 0xa9, 0x14] + h + [0x88, 0xac]
    }
    static func address(_ key: Int, segwit: Bool = false) -> String { ScriptAddress(script: script(key, segwit: segwit), network: .mainnet).text }

    static func line(_ t: Tx) -> String {
        let inputs = t.inputs.enumerated().map { n, i in
            #"{"index": \#(n), "spent_transaction_hash": "\#(hash(i.tx))", "spent_output_index": \#(i.vout), "sequence": 4294967295}"#
        }.joined(separator: ", ")
        let outputs = t.outputs.enumerated().map { n, o in
            #"{"index": \#(n), "script_hex": "\#(Hex.encode(script(o.key, segwit: t.segwitKeys.contains(o.key))))", "value": \#(o.sats)}"#
        }.joined(separator: ", ")
        return #"{"type": "transaction", "hash": "\#(hash(t.id))", "size": 250, "version": 1, "lock_time": 0, "block_number": \#(t.block), "#
            + #""block_hash": "\#(hash(0xb000 + t.block))", "block_timestamp": \#(1_700_000_000 + t.block * 600), "index": \#(t.id % 1000), "#
            + #""is_coinbase": \#(t.coinbase), "inputs": [\#(inputs)], "outputs": [\#(outputs)]}"#
    }

    static func write(_ txs: [Tx], to url: URL) throws {
        try (txs.map(line).joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    }

    /// Keys 1…20 are funded by coinbase transactions 1…20 (10 BTC each; keys 1 and 2 twice).
    static let funding: [Tx] = (1...20).map { k in Tx(id: k, block: 1, coinbase: true, outputs: k <= 2 ? [(k, 1_000_000_000), (k, 1_000_000_000)] : [(k, 1_000_000_000)]) }
    static let spends: [Tx] = [
        // Multi-input: 1+2, then 2+4, so 1 and 4 are one cluster through two transactions.
        Tx(id: 101, block: 2, inputs: [(1, 0), (2, 0)], outputs: [(21, 300_000_000), (22, 1_699_990_000)]),
        Tx(id: 102, block: 2, inputs: [(2, 1), (4, 0)], outputs: [(23, 1_999_990_000)]),
        // An equal-output CoinJoin of 5, 6, 7: three 1-BTC outputs and two change outputs.
        Tx(id: 103, block: 2, inputs: [(5, 0), (6, 0), (7, 0)], outputs: [(24, 100_000_000), (25, 100_000_000), (26, 100_000_000), (27, 1_234_567_891), (28, 1_365_432_109)]),
        // A Whirlpool round of 8…12.
        Tx(id: 104, block: 2, inputs: [(8, 0), (9, 0), (10, 0), (11, 0), (12, 0)], outputs: (29...33).map { ($0, 1_000_000) }),
        // A payment of 2.5 BTC from 13 and 14 with one-time change 34 (and 35, a segwit output of a round value).
        Tx(id: 105, block: 2, inputs: [(13, 0), (14, 0)], outputs: [(33, 250_000_000), (34, 1_749_876_543)]),
    ]

    static func clusterJSON(_ db: String, _ extra: [String] = []) throws -> [String: Any] {
        let run = runCLI(["cluster", "--db", db, "--json"] + extra)
        #expect(run.exitCode == 0, "\(run.stderr)")
        return try jsonObject(run.stdout)
    }

    static func explain(_ a: String, _ b: String, _ db: String) throws -> [String: Any] {
        let run = runCLI(["cluster", "explain", a, b, "--db", db, "--json"])
        #expect(run.exitCode == 0, "\(run.stderr)")
        return try jsonObject(run.stdout)
    }

    static func steps(_ e: [String: Any]) -> [(from: String, to: String, heuristic: String, tx: String)] {
        (e["steps"] as? [[String: Any]] ?? []).map { ($0["from"] as? String ?? "", $0["to"] as? String ?? "", $0["heuristic"] as? String ?? "", $0["tx"] as? String ?? "") }
    }

    @Test func multiInputMergesWithEvidenceAndSkipsCoinJoins() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("c.sqlite").path
            let file = dir.appendingPathComponent("txs.json")
            try Self.write(Self.funding + Self.spends, to: file)
            #expect(runCLI(["ingest", "btc-etl", file.path, "--db", db, "--quiet"]).exitCode == 0)

            let summary = try Self.clusterJSON(db)
            #expect(summary["merges"] as? [String: Int] == ["multi-input": 3])
            #expect(summary["coinJoinsSkipped"] as? [String: Int] == ["equal-outputs": 1, "whirlpool": 1])
            #expect(summary["clusters"] as? Int == 2 && summary["clusteredAddresses"] as? Int == 5 && summary["transactionsWaiting"] as? Int == 0)

            // 1 and 4 share no transaction: the explanation is the chain 1 ~ 2 (tx 101), 2 ~ 4 (tx 102).
            let e = try Self.explain(Self.address(1), Self.address(4), db)
            #expect(e["sameCluster"] as? Bool == true && e["confidence"] as? Int == 90)
            let chain = Self.steps(e)
            #expect(chain.map(\.from) == [Self.address(1), Self.address(2)] && chain.map(\.to) == [Self.address(2), Self.address(4)])
            #expect(chain.map(\.tx) == [Self.hash(101), Self.hash(102)] && chain.allSatisfy { $0.heuristic == "multi-input" })
            // Reversed, the same merges in the other order.
            #expect(Self.steps(try Self.explain(Self.address(4), Self.address(1), db)).map(\.tx) == [Self.hash(102), Self.hash(101)])

            // The CoinJoin's and the Whirlpool round's inputs stay apart; so do the change output and the payer (change is opt-in).
            for (a, b) in [(5, 6), (6, 7), (8, 12), (13, 34), (1, 21)] {
                let apart = try Self.explain(Self.address(a), Self.address(b), db)
                #expect(apart["sameCluster"] as? Bool == false && Self.steps(apart).isEmpty, "\(a) ~ \(b)")
            }
            #expect(try Self.explain(Self.address(13), Self.address(14), db)["sameCluster"] as? Bool == true)

            // Running again reads nothing new and changes nothing.
            let again = try Self.clusterJSON(db)
            #expect(again["transactionsRead"] as? Int == 0 && (again["merges"] as? [String: Int])?.isEmpty == true)
            #expect(again["clusters"] as? Int == 2)

            // An address that is not in the store is a located error.
            #expect(runCLI(["cluster", "explain", Self.address(1), Self.address(999), "--db", db]).exitCode == 65)
        }
    }

    @Test func changeHeuristicIsOptInAndWeaker() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("c.sqlite").path
            let file = dir.appendingPathComponent("txs.json")
            var spends = Self.spends
            // A payment whose only non-round output is segwit while the inputs are P2PKH: no change found.
            spends.append(Tx(id: 106, block: 2, inputs: [(15, 0)], outputs: [(35, 300_000_000), (36, 699_987_654)], segwitKeys: [36]))
            // A payment whose non-round output was paid before (by transaction 101): not one-time change.
            spends.append(Tx(id: 107, block: 2, inputs: [(16, 0)], outputs: [(37, 300_000_000), (22, 699_987_654)]))
            try Self.write(Self.funding + spends, to: file)
            #expect(runCLI(["ingest", "btc-etl", file.path, "--db", db, "--quiet"]).exitCode == 0)
            _ = try Self.clusterJSON(db)
            #expect(try Self.explain(Self.address(14), Self.address(34), db)["sameCluster"] as? Bool == false)

            let withChange = try Self.clusterJSON(db, ["--heuristics", "multi-input,change"])
            #expect(withChange["merges"] as? [String: Int] == ["change": 1])
            let e = try Self.explain(Self.address(14), Self.address(34), db)
            #expect(Self.steps(e).map(\.heuristic) == ["multi-input", "change"] && Self.steps(e).last?.tx == Self.hash(105))
            // The chain is as strong as its weakest step.
            #expect(e["confidence"] as? Int == 40)
            for (a, b) in [(15, 36), (16, 22), (15, 35)] {
                #expect(try Self.explain(Self.address(a), Self.address(b, segwit: b == 36), db)["sameCluster"] as? Bool == false)
            }
            #expect(runCLI(["cluster", "--db", db, "--heuristics", "multi-input,fast"]).exitCode == 64)
        }
    }

    @Test func newBlocksExtendClustersAndWaitingInputsAreRechecked() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("c.sqlite").path
            let first = dir.appendingPathComponent("1.json"), second = dir.appendingPathComponent("2.json"), third = dir.appendingPathComponent("3.json")
            try Self.write(Self.funding + Self.spends, to: first)
            // Block 3: 17 joins 1's cluster; transaction 109 spends an output of transaction 200, which arrives later.
            try Self.write([Tx(id: 108, block: 3, inputs: [(17, 0), (1, 1)], outputs: [(40, 1_999_990_000)]),
                            Tx(id: 109, block: 3, inputs: [(18, 0), (200, 0)], outputs: [(41, 1_499_990_000)])], to: second)
            try Self.write([Tx(id: 200, block: 1, coinbase: true, outputs: [(42, 500_000_000)])], to: third)
            #expect(runCLI(["ingest", "btc-etl", first.path, "--db", db, "--quiet"]).exitCode == 0)
            _ = try Self.clusterJSON(db)

            #expect(runCLI(["ingest", "btc-etl", second.path, "--db", db, "--quiet"]).exitCode == 0)
            let run2 = try Self.clusterJSON(db)
            // Only the new transactions are read; 109 waits for the address of its second input.
            #expect(run2["transactionsRead"] as? Int == 2 && run2["transactionsWaiting"] as? Int == 1)
            #expect(run2["merges"] as? [String: Int] == ["multi-input": 1])
            // 17 is now one cluster with 1, 2 and 4: from 4 the chain runs back through 102 and 101, then 108.
            let e = try Self.explain(Self.address(4), Self.address(17), db)
            #expect(Self.steps(e).map(\.tx) == [Self.hash(102), Self.hash(101), Self.hash(108)])

            #expect(runCLI(["ingest", "btc-etl", third.path, "--db", db, "--quiet"]).exitCode == 0)
            let run3 = try Self.clusterJSON(db)
            #expect(run3["transactionsRead"] as? Int == 1 && run3["transactionsWaiting"] as? Int == 0)
            #expect(Self.steps(try Self.explain(Self.address(18), Self.address(42), db)).map(\.tx) == [Self.hash(109)])

            // Rebuilding from scratch gives the same clusters.
            let members = { (a: Int) throws -> [String] in
                try jsonObject(runCLI(["cluster", "show", Self.address(a), "--db", db, "--json"]).stdout)["members"] as? [String] ?? []
            }
            let before = try [1, 18].map(members)
            let rebuilt = try Self.clusterJSON(db, ["--rebuild"])
            #expect(rebuilt["merges"] as? [String: Int] == ["multi-input": 5] && rebuilt["transactionsWaiting"] as? Int == 0)
            #expect(try [1, 18].map(members) == before)
            #expect(before[0].count == 4 && before[1].count == 2)
        }
    }

    @Test func depositAddressesAreLabelledAndTheirSendersClustered() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("d.sqlite").path
            func a(_ n: Int) -> String { "0x" + String(format: "%040x", n) }
            let (exchange, other) = (a(0xe0), a(0xf0))
            let eth = "000000000000000000"
            // users 1, 2 -> deposit 0xd1 -> exchange; 0xd2 keeps 1 ETH; 0xd3 forwards too late; 0xd4 also pays someone else.
            let rows = [
                (a(1), a(0xd1), "5" + eth, 100, "0xa1"), (a(2), a(0xd1), "3" + eth, 150, "0xa2"), (a(0xd1), exchange, "7995" + "000000000000000", 200, "0xa3"),
                (a(3), a(0xd2), "5" + eth, 100, "0xb1"), (a(0xd2), exchange, "4" + eth, 300, "0xb2"),
                (a(4), a(0xd3), "2" + eth, 100, "0xc1"), (a(0xd3), exchange, "2" + eth, 5_100, "0xc2"),
                (a(5), a(0xd4), "1" + eth, 100, "0xe1"), (a(6), a(0xd4), "1" + eth, 100, "0xe2"), (a(0xd4), exchange, "1" + eth, 101, "0xe3"),
                (a(0xd4), other, "1" + eth, 102, "0xe4"),
            ]
            let csv = "from,to,amount,asset,timestamp,tx,decimals,chain,block\n"
                + rows.map { "\($0.0),\($0.1),\($0.2),ETH,\(1_700_000_000 + $0.3 * 12),\($0.4),18,ethereum,\($0.3)" }.joined(separator: "\n") + "\n"
            let file = dir.appendingPathComponent("t.csv")
            try csv.write(to: file, atomically: true, encoding: .utf8)
            #expect(runCLI(["ingest", "transfers-csv", file.path, "--db", db, "--quiet"]).exitCode == 0)
            #expect(runCLI(["labels", "add", exchange, "--category", "exchange", "--name", "Binance 14", "--db", db]).exitCode == 0)

            let summary = try Self.clusterJSON(db)
            #expect(summary["depositCandidates"] as? Int == 4 && summary["depositAddresses"] as? Int == 1)
            #expect(summary["merges"] as? [String: Int] == ["deposit": 1])

            let shown = try jsonObject(runCLI(["labels", "show", a(0xd1), "--db", db, "--json"]).stdout)
            let label = try #require((shown["labels"] as? [[String: Any]])?.first)
            #expect(label["category"] as? String == "exchange" && label["name"] as? String == "Binance 14 deposit address")
            #expect(label["source"] as? String == "flowtrace:deposit-heuristic" && label["confidence"] as? Int == 60)
            // The deposit address itself is not merged into anyone's cluster.
            #expect(shown["cluster"] is NSNull)

            let e = try Self.explain(a(1), a(2), db)
            let step = try #require((e["steps"] as? [[String: Any]])?.first)
            #expect(step["heuristic"] as? String == "deposit" && step["tx"] as? String == "0xa2" && step["depositAddress"] as? String == a(0xd1))
            #expect(e["confidence"] as? Int == 60)
            for (x, y) in [(5, 6)] { #expect(try Self.explain(a(x), a(y), db)["sameCluster"] as? Bool == false) }
            for d in [0xd2, 0xd3, 0xd4] {
                let labels = try jsonObject(runCLI(["labels", "show", a(d), "--db", db, "--json"]).stdout)["labels"] as? [Any]
                #expect(labels?.isEmpty == true, "\(a(d))")
            }

            // A user's cluster inherits nothing from the deposit address, but a trace from user 1 stops at it as an exchange.
            let trace = try jsonObject(runCLI(["trace", "--db", db, "--from", a(1), "--policy", "fifo", "--json"]).stdout)
            let sink = try #require((trace["sinks"] as? [[String: Any]])?.first)
            #expect(sink["address"] as? String == a(0xd1) && sink["reason"] as? String == "labelled" && sink["category"] as? String == "exchange")
        }
    }

    @Test func entitiesInheritClusterLabels() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("c.sqlite").path
            let file = dir.appendingPathComponent("txs.json")
            // 23 (paid by 102) later spends together with 19, which an exchange label names.
            try Self.write(Self.funding + Self.spends + [Tx(id: 110, block: 3, inputs: [(102, 0), (19, 0)], outputs: [(43, 2_999_980_000)])], to: file)
            #expect(runCLI(["ingest", "btc-etl", file.path, "--db", db, "--quiet"]).exitCode == 0)
            #expect(runCLI(["labels", "add", Self.address(19), "--category", "exchange", "--name", "Hot wallet", "--db", db]).exitCode == 0)
            _ = try Self.clusterJSON(db)

            let shown = try jsonObject(runCLI(["labels", "show", Self.address(23), "--db", db, "--json"]).stdout)
            #expect((shown["labels"] as? [Any])?.isEmpty == true)
            let cluster = try #require(shown["cluster"] as? [String: Any])
            #expect(cluster["size"] as? Int == 2 && cluster["categories"] as? [String] == ["exchange"])
            #expect((cluster["labels"] as? [[String: Any]])?.first?["address"] as? String == Self.address(19))

            // Forward from 4's coin: 102 pays 23. Without entities 23 is an unlabelled address whose coins move on;
            // with them it is the exchange's, so the trace stops there.
            let seed = "\(Self.hash(4)):0"
            let plain = try jsonObject(runCLI(["trace", "--db", db, "--from", seed, "--policy", "fifo", "--json"]).stdout)
            #expect((plain["sinks"] as? [[String: Any]])?.contains { $0["address"] as? String == Self.address(43) } == true)
            #expect(plain["entities"] == nil)
            let run = runCLI(["trace", "--db", db, "--from", seed, "--policy", "fifo", "--entities", "--json"])
            let entities = try jsonObject(run.stdout)
            let sinks = try #require(entities["sinks"] as? [[String: Any]])
            let at23 = try #require(sinks.first { $0["address"] as? String == Self.address(23) })
            #expect(at23["reason"] as? String == "labelled" && at23["category"] as? String == "exchange" && at23["label"] as? String == "Hot wallet")
            #expect(!sinks.contains { $0["address"] as? String == Self.address(43) })
            let byEntity = try #require(entities["entities"] as? [[String: Any]])
            let exchange = try #require(byEntity.first { $0["category"] as? String == "exchange" })
            #expect(exchange["isCluster"] as? Bool == true && exchange["size"] as? Int == 2 && exchange["entity"] as? String == Self.address(19))

            // export takes --entities too: 23 is a node with the cluster's label, and the graph ends there.
            func exportedNodes(_ extra: [String]) throws -> [String: [String: Any]] {
                let out = dir.appendingPathComponent("g\(extra.count).cyjs").path
                let run = runCLI(["export", "--db", db, "--from", seed, "--policy", "fifo", "--format", "cyjs", "--out", out] + extra)
                #expect(run.exitCode == 0, "\(run.stderr)")
                let cy = try jsonObject(String(contentsOfFile: out, encoding: .utf8))
                let nodes = (cy["elements"] as? [String: Any])?["nodes"] as? [[String: [String: Any]]] ?? []
                return Dictionary(uniqueKeysWithValues: nodes.compactMap { n in n["data"].map { ($0["id"] as? String ?? "", $0) } })
            }
            let withEntities = try exportedNodes(["--entities"]), without = try exportedNodes([])
            #expect(withEntities[Self.address(23)]?["category"] as? String == "exchange" && withEntities[Self.address(23)]?["label"] as? String == "Hot wallet")
            #expect(withEntities[Self.address(43)] == nil && without[Self.address(43)] != nil)
            #expect(without[Self.address(23)]?["category"] == nil)
        }
    }

    /// Mainnet blocks 227835 and 227836: SatoshiDice's 1dice… address spends with 1L4ETh… in one transaction and
    /// 1L4ETh… with 13HFqP… in another, so the clusterer joins 1dice… and 13HFqP… and explains it with both.
    @Test func realBlocksMultiInputMergeIsExplained() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("r.sqlite").path
            for block in ["227835", "227836"] {
                #expect(runCLI(["ingest", "btc-raw", Paths.shared("btc/raw-blocks/block-\(block).raw"), "--db", db, "--quiet"]).exitCode == 0)
            }
            let summary = try Self.clusterJSON(db)
            #expect((summary["merges"] as? [String: Int])?["multi-input"] ?? 0 > 0)
            let (dice, middle, other) = ("1dicegEArYHgbwQZhvr5G9Ah2s7SFuW1y", "1L4EThM6x3Rd2PjNbs1U136FpMq4Gmo3fJ", "13HFqPr9Ceh2aBvcjxNdUycHuFG7PReGH4")
            let e = try Self.explain(dice, other, db)
            #expect(e["sameCluster"] as? Bool == true)
            let chain = Self.steps(e)
            #expect(chain.map(\.from) == [dice, middle] && chain.map(\.to) == [middle, other])
            #expect(chain.map(\.tx) == ["30baa2a3fa58bf585585d40e94e67762496cf63e6cdebfd7dbbd4475b5ec3e35",
                                        "44c0d47683bfd19b52c8c027a16dc4db3c1c80d3bcbb6e27fef523c23a66c16e"])
            // The evidence holds: each transaction spends from both addresses of its step.
            for step in chain {
                let tx = try jsonObject(runCLI(["tx", step.tx, "--db", db, "--json"]).stdout)
                let inputs = Set((tx["inputs"] as? [[String: Any]] ?? []).compactMap { $0["address"] as? String })
                #expect(inputs.isSuperset(of: [step.from, step.to]), "\(step.tx): \(inputs)")
            }
        }
    }
}
