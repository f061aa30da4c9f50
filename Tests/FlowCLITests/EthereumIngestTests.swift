import FlowCore
import FlowIngest
import FlowStore
import Foundation
import Testing
import TestSupport

/// `flowtrace ingest eth-etl` / `eth-rpc-json` into the store, the transfers derived from them, and tracing them.
@Suite("Ethereum ingest", .serialized)
struct EthereumIngestTests {
    static let stream = Paths.shared("eth/ethereum-etl/test_stream/blocks_17173049_17173050")

    /// Every derived transfer, as comparable text rows.
    static func transfers(_ db: String) throws -> [String] {
        let store = try Store(path: db, readOnly: true)
        return try store.db.prepare("""
            SELECT t.kind, t.tx, t.log_index, f.address, r.address, t.amount, t.time, t.block, s.symbol FROM transfers t
            JOIN addresses f ON f.id = t.from_id JOIN addresses r ON r.id = t.to_id JOIN assets s ON s.id = t.asset_id
            """).rows { s in (0..<9).map { s.isNull($0) ? "null" : s.text($0) }.joined(separator: "|") }.sorted()
    }

    static func count(_ db: String, _ sql: String) throws -> Int64 {
        try Store(path: db, readOnly: true).db.scalarInt(sql) ?? -1
    }

    /// What the ETL export itself says: successful transactions with value, and ERC-20 Transfer logs with value.
    static func expectedCounts() throws -> (native: Int, fees: Int, tokens: Int) {
        var native = 0, fees = 0, tokens = 0
        try JSONFile.forEachLine(path: "\(stream)/expected_transactions.json") { v, _ in
            fees += 1
            if v["receipt_status"]?.numberText == "1" && v["value"]?.numberText != "0" { native += 1 }
        }
        try JSONFile.forEachLine(path: "\(stream)/expected_logs.json") { v, _ in
            let topics = v["topics"]?.arrayValue ?? []
            let data = v["data"]?.stringValue ?? ""
            if topics.count == 3, topics[0].stringValue == transferEventTopic, data.count == 66,
               data.dropFirst(2).contains(where: { $0 != "0" }) { tokens += 1 }
        }
        return (native, fees, tokens)
    }

    @Test func etlExportsDeriveTransfersInAnyOrderAndIdempotently() throws {
        try withTemporaryDirectory { dir in
            let a = dir.appendingPathComponent("a.sqlite").path, b = dir.appendingPathComponent("b.sqlite").path
            let files = ["blocks", "transactions", "logs"].map { "\(Self.stream)/expected_\($0).json" }
            let first = runCLI(["ingest", "eth-etl"] + files + ["--db", a])
            #expect(first.exitCode == 0, "\(first.stderr)")
            let expected = try Self.expectedCounts()
            #expect(try Self.count(a, "SELECT count(*) FROM transfers WHERE kind = 'native'") == Int64(expected.native))
            #expect(try Self.count(a, "SELECT count(*) FROM transfers WHERE kind = 'fee'") == Int64(expected.fees))
            #expect(try Self.count(a, "SELECT count(*) FROM transfers WHERE kind = 'token'") == Int64(expected.tokens))
            #expect(try Self.count(a, "SELECT count(*) FROM transfers WHERE kind = 'withdrawal'") == 32)
            #expect(expected.native > 50 && expected.tokens > 200)
            let dump = try Self.transfers(a)
            // Reverse order, with the decoded token transfers too, in small batches: the same transfers.
            let reversed = runCLI(["ingest", "eth-etl", "\(Self.stream)/expected_token_transfers.json"] + files.reversed() + ["--db", b, "--batch-rows", "50"])
            #expect(reversed.exitCode == 0, "\(reversed.stderr)")
            #expect(try Self.transfers(b) == dump)
            // Nothing changes on a re-run, even of a file not yet logged as complete in that store.
            let again = runCLI(["ingest", "eth-etl", "\(Self.stream)/expected_token_transfers.json", "--db", a])
            #expect(again.exitCode == 0)
            #expect(try Self.transfers(a) == dump)
        }
    }

    @Test func tracesFromIngestedEthereumData() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("t.sqlite").path
            let files = ["blocks", "transactions", "logs"].map { "\(Self.stream)/expected_\($0).json" }
            #expect(runCLI(["ingest", "eth-etl"] + files + ["--db", db]).exitCode == 0)
            // A router in block 17173049 forwards WETH it received; trace from it with FIFO and haircut.
            for policy in ["fifo", "haircut"] {
                let run = runCLI(["trace", "--db", db, "--from", "0x6b75d8af000000e20b7a7ddf000ba900b4009a80",
                                  "--asset", "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2", "--policy", policy, "--json"])
                #expect(run.exitCode == 0, "\(run.stderr)")
                let json = try JSONParser.parse(Array(run.stdout.utf8))
                #expect(json["seedAmount"]?.stringValue == "12517102677139652608")
                #expect(json["sinkTotal"]?.stringValue == "12517102677139652608")
                let sinks = json["sinks"]?.arrayValue ?? []
                #expect(Set(sinks.compactMap { $0["address"]?.stringValue }) == ["0x7054b0f980a7eb5b3a6b3446f3c947d80162775c", "0x0f23d49bc92ec52ff591d091b3e16c937034496e"])
            }
        }
    }

    @Test func parityTracesGiveInternalTransfersAndRewardsOnceTheBlockIsKnown() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("p.sqlite").path
            let reply = Paths.shared("eth/ethereum-etl/test_export_traces_job/block_with_suicide/web3_response.trace_block_0xf7105.json")
            let run = runCLI(["ingest", "eth-rpc-json", reply, "--db", db])
            #expect(run.exitCode == 0, "\(run.stderr)")
            #expect(run.stderr.contains("no timestamp yet"))
            #expect(try Self.count(db, "SELECT count(*) FROM transfers") == 0)
            // The block's time arrives (a minimal blocks export): the transfers follow.
            let blocks = dir.appendingPathComponent("blocks.csv")
            try "number,hash,parent_hash,timestamp\n1011973,,,1457000000\n".write(to: blocks, atomically: true, encoding: .utf8)
            #expect(runCLI(["ingest", "eth-etl", blocks.path, "--db", db]).exitCode == 0)
            #expect(try Self.transfers(db) == [
                "internal|0x91acb43c5f141c393a189e091c190c9ffb20e4e8a502e4cc3087be9587bdbc89|-10|0x474faa5018639791952fae334e2911700ac7fe9b|"
                    + "0x83973747eec131bf9a08ac64fb1a518e891bdf4b|50000000000000000|1457000000|1011973|ETH",
                "reward|reward_1011973_0|0|ethereum:block-reward|0x738db714c08b8a32a29e0e68af00215079aa9c5c|5000000000000000000|1457000000|1011973|ETH",
            ])
        }
    }

    @Test func badRepliesAreLocatedAndStoreNothing() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("bad.sqlite").path
            let good = Paths.shared("eth/ethereum-etl/test_export_receipts_job/receipts_with_logs/web3_response.eth_getTransactionReceipt_0x04cbcb236043d8fb7839e07bbc7f5eed692fb2ca55d897f1101eac3e3ad4fab8.json")
            let text = try String(contentsOfFile: good, encoding: .utf8)
            func attempt(_ name: String, _ content: String, expecting message: String) throws {
                try expectRefusedInput("eth-rpc-json", name: name, content: content, message: message, in: dir, db: db)
                for table in ["eth_transactions", "eth_token_transfers", "transfers"] {
                    #expect(try Self.count(db, "SELECT count(*) FROM \(table)") == 0, "\(name) left rows in \(table)")
                }
            }
            try attempt("truncated.json", String(text.prefix(text.count / 2)), expecting: "line")
            try attempt("error.json", #"{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"header not found"}}"#, expecting: "header not found")
            try attempt("type.json", text.replacingOccurrences(of: #""gasUsed": "0x"#, with: #""gasUsed": true, "x": "0x"#), expecting: "result.gasUsed")
            try attempt("missing.json", text.replacingOccurrences(of: #""blockNumber""#, with: #""blockNumbr""#), expecting: "blockNumber")
            try attempt("address.json", text.replacingOccurrences(of: "0xf4eced2f682ce333f96f2d8966c613ded8fc95dd", with: "0xF4eced2f682ce333f96f2d8966c613ded8fc95dd"),
                        expecting: "not an Ethereum address")
            // A token amount beyond what the store holds: reported, never truncated.
            let huge = "0x" + String(repeating: "f", count: 64)
            try attempt("overflow.json", text.replacingOccurrences(of: "0x00000000000000000000000000000000000000000000000000000000000186a0", with: huge),
                        expecting: "beyond the 2^127")
            // The good reply then ingests.
            #expect(runCLI(["ingest", "eth-rpc-json", good, "--db", db]).exitCode == 0)
            #expect(try Self.count(db, "SELECT count(*) FROM eth_token_transfers") == 1)
        }
    }

    /// Per-address, per-asset totals computed independently from the ETL export itself: successful transactions'
    /// values, every transaction's fee, withdrawals, and non-zero three-topic Transfer logs.
    static func expectedLedger() throws -> [String: [String: (received: UInt256, sent: UInt256)]] {
        var ledger: [String: [String: (received: UInt256, sent: UInt256)]] = [:]
        func move(_ from: String?, _ to: String?, _ asset: String, _ amount: UInt256) {
            guard !amount.isZero else { return }
            if let from { let e = ledger[from]?[asset] ?? (.zero, .zero); ledger[from, default: [:]][asset] = (e.received, UInt256.adding(e.sent, amount)!) }
            if let to { let e = ledger[to]?[asset] ?? (.zero, .zero); ledger[to, default: [:]][asset] = (UInt256.adding(e.received, amount)!, e.sent) }
        }
        try JSONFile.forEachLine(path: "\(stream)/expected_transactions.json") { v, _ in
            let from = v["from_address"]?.stringValue
            let to = v["to_address"]?.stringValue ?? v["receipt_contract_address"]?.stringValue
            if v["receipt_status"]?.numberText == "1" { move(from, to, "ETH", UInt256(decimal: v["value"]!.numberText!)!) }
            let price = Int128(v["receipt_effective_gas_price"]?.numberText ?? v["gas_price"]!.numberText!)!
            let fee = Int128(v["receipt_gas_used"]!.numberText!)! * price
            move(from, "ethereum:fees", "ETH", UInt256(exactly: fee)!)
        }
        try JSONFile.forEachLine(path: "\(stream)/expected_blocks.json") { v, _ in
            for w in v["withdrawals"]?.arrayValue ?? [] {
                move("ethereum:withdrawals", w["address"]!.stringValue!, "ETH", UInt256(exactly: Int128(w["amount"]!.numberText!)! * 1_000_000_000)!)
            }
        }
        try JSONFile.forEachLine(path: "\(stream)/expected_logs.json") { v, _ in
            let topics = (v["topics"]?.arrayValue ?? []).compactMap(\.stringValue)
            let data = v["data"]?.stringValue ?? ""
            guard topics.count == 3, topics[0] == transferEventTopic, data.count == 66 else { return }
            move("0x" + topics[1].suffix(40), "0x" + topics[2].suffix(40), v["address"]!.stringValue!, UInt256(hexQuantity: data)!)
        }
        return ledger
    }

    /// `flowtrace address` per asset, for every address of blocks 17173049–17173050, equals the ledger computed
    /// straight from the export; token metadata from a token list gives symbols and decimals.
    @Test func addressShowsPerAssetTotalsThatReconcileWithTheExport() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("a.sqlite").path
            let files = ["blocks", "transactions", "logs"].map { "\(Self.stream)/expected_\($0).json" }
            #expect(runCLI(["ingest", "eth-etl"] + files + ["--db", db]).exitCode == 0)
            let ledger = try Self.expectedLedger()
            #expect(ledger.count > 400)
            let store = try Store(path: db, readOnly: true)
            var checked = 0
            for (address, assets) in ledger {
                let h = try #require(try store.addressHistory(address), "\(address) missing")
                #expect(h.received == nil && h.transactions.isEmpty, "\(address) has no UTXO activity")
                var got: [String: (String, String, String)] = [:]
                for a in h.assets { got[a.asset] = (a.received, a.sent, a.balance) }
                var want: [String: (String, String, String)] = [:]
                for (asset, e) in assets { want[asset] = (e.received.description, e.sent.description, UInt256.signedDifference(e.received, e.sent)) }
                #expect(got.mapValues { "\($0)" } == want.mapValues { "\($0)" }, "\(address)")
                checked += 1
            }
            #expect(checked == ledger.count)

            // Before token metadata, a token's decimals are unknown and its amounts raw.
            let weth = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
            let router = "0x6b75d8af000000e20b7a7ddf000ba900b4009a80"
            func assets(_ address: String) throws -> [String: JSONValue] {
                let run = runCLI(["address", address, "--db", db, "--json"])
                #expect(run.exitCode == 0, "\(run.stderr)")
                var out: [String: JSONValue] = [:]
                for a in try JSONParser.parse(Array(run.stdout.utf8))["assets"]?.arrayValue ?? [] { out[a["asset"]!.stringValue!] = a }
                return out
            }
            let before = try assets(router)
            #expect(before[weth]?["decimals"] == .null && before[weth]?["units"]?.stringValue == "raw units, decimals unknown")
            #expect(before[weth]?["balanceDecimal"] == .null)
            #expect(before["ETH"]?["decimals"]?.numberText == "18" && before["ETH"]?["symbol"]?.stringValue == "ETH")

            let list = runCLI(["ingest", "token-list", Paths.fixture("eth/tokenlist.json"), "--db", db])
            #expect(list.exitCode == 0, "\(list.stderr)")
            #expect(list.stderr.contains("1 entries for other chains skipped"))
            let after = try assets(router)
            let w = try #require(after[weth])
            #expect(w["symbol"]?.stringValue == "WETH" && w["decimals"]?.numberText == "18" && w["units"]?.stringValue == "base units")
            let e = try #require(ledger[router]?[weth])
            #expect(w["received"]?.stringValue == e.received.description)
            #expect(w["receivedDecimal"]?.stringValue == Amount.formatted(baseUnits: e.received.description, decimals: 18))
            #expect(w["balanceDecimal"]?.stringValue == "0.286727021633994752")
            // Mixed case with a valid checksum finds the address; a bad checksum is refused.
            let checksummed = EthAddress.checksummed(router)
            #expect(checksummed != router)
            #expect(runCLI(["address", checksummed, "--db", db, "--json"]).exitCode == 0)
            let letter = try #require(checksummed.dropFirst(2).firstIndex { $0.isLetter })
            var typo = checksummed
            typo.replaceSubrange(letter...letter, with: checksummed[letter].isUppercase ? checksummed[letter].lowercased() : checksummed[letter].uppercased())
            let refused = runCLI(["address", typo, "--db", db, "--json"])
            #expect(refused.exitCode == 65 && refused.stderr.contains("EIP-55"), "\(refused.stderr)")
            let text = runCLI(["address", router, "--db", db])
            #expect(text.stdout.contains("WETH (0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2)") && text.stdout.contains("raw units (decimals unknown)"))
        }
    }

    @Test func tokenMetadataFromETLExportsAndBadTokenLists() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("t.sqlite").path
            let tokens = Paths.shared("eth/ethereum-etl/test_stream/blocks_2112234_2112234/expected_tokens.json")
            #expect(runCLI(["ingest", "eth-etl", tokens, "--db", db]).exitCode == 0)
            let store = try Store(path: db, readOnly: true)
            #expect(try store.db.scalarInt("SELECT decimals FROM token_metadata WHERE address = '0xdbdacfc9eb9d42559ac1efbdb40460c728139e6a'") == 0)
            #expect(try store.db.scalarInt("SELECT count(*) FROM token_metadata WHERE symbol IS NULL") == 1)

            let good = try String(contentsOfFile: Paths.fixture("eth/tokenlist.json"), encoding: .utf8)
            let cases = [
                ("checksum", good.replacingOccurrences(of: "0xdAC17F958D2ee523a2206206994597C13D831ec7", with: "0xdAC17F958D2ee523a2206206994597C13D831Ec7"), "tokens[1].address"),
                ("decimals", good.replacingOccurrences(of: #""symbol": "USDC", "decimals": 6}"#, with: #""symbol": "USDC", "decimals": "6"}"#), "tokens[2].decimals"),
                ("shape", #"[{"chainId": 1}]"#, "a token list is a JSON object"),
                ("truncated", String(good.prefix(300)), "line"),
                // Contradicts the decimals the ETL export stated for this token.
                ("conflict", #"{"tokens": [{"chainId": 1, "address": "0xdbdacfc9eb9d42559ac1efbdb40460c728139e6a", "symbol": "X", "decimals": 8}]}"#, "has 0 decimals in the store"),
            ]
            for (name, content, message) in cases {
                try expectRefusedInput("token-list", name: "\(name).json", content: content, message: message, in: dir, db: db)
                #expect(try store.db.scalarInt("SELECT count(*) FROM token_metadata") == 1, "\(name) stored something")
            }
        }
    }

    /// Records stored by an ingest stopped before it derived their transfers are listed as pending: trace, path,
    /// compile and address refuse the store until any Ethereum ingest (even one without files) derives them.
    @Test func pendingDerivationIsRefusedUntilDerived() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("p.sqlite").path, reference = dir.appendingPathComponent("r.sqlite").path
            let files = ["blocks", "transactions", "logs"].map { "\(Self.stream)/expected_\($0).json" }
            #expect(runCLI(["ingest", "eth-etl"] + files + ["--db", reference]).exitCode == 0)
            // What a run killed between storing and deriving leaves: records committed, blocks pending.
            do {
                let store = try Store(path: db)
                let writer = try EthWriter(store: store, source: SourceDescription(path: "killed", sha256: nil, format: "eth-etl",
                                                                                 chain: .named("ethereum"), bytes: nil), deferDerivation: true)
                for f in files { try EthETLReader.read(path: f) { try writer.add([$0]) } }
                try writer.commit()
                #expect(try EthWriter.pendingBlocks(store: store) == 2)
                #expect(try store.db.scalarInt("SELECT count(*) FROM transfers") == 0)
            }
            let router = "0x6b75d8af000000e20b7a7ddf000ba900b4009a80"
            for args in [["trace", "--db", db, "--from", router], ["compile", "--db", db], ["address", router, "--db", db]] {
                let refused = runCLI(args)
                #expect(refused.exitCode == 65, "\(args[0]): \(refused.stderr)")
                #expect(refused.stderr.contains("2 Ethereum blocks") && refused.stderr.contains("ingest eth-etl --db"), "\(refused.stderr)")
            }
            let derive = runCLI(["ingest", "eth-etl", "--db", db])
            #expect(derive.exitCode == 0, "\(derive.stderr)")
            #expect(try EthWriter.pendingBlocks(store: Store(path: db, readOnly: true)) == 0)
            #expect(try Self.transfers(db) == Self.transfers(reference))
            let traced = runCLI(["trace", "--db", db, "--from", router, "--asset", "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2", "--json"])
            #expect(traced.exitCode == 0, "\(traced.stderr)")
        }
    }

    /// A failing file stops the run, but the files committed before it still get their transfers.
    @Test func filesBeforeABadOneAreDerived() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("b.sqlite").path
            let bad = dir.appendingPathComponent("bad.json")
            try #"{"type": "transaction", "hash": "0x01"}"#.write(to: bad, atomically: true, encoding: .utf8)
            let files = ["blocks", "transactions"].map { "\(Self.stream)/expected_\($0).json" }
            let run = runCLI(["ingest", "eth-etl"] + files + [bad.path, "--db", db])
            #expect(run.exitCode == 65, "\(run.stderr)")
            #expect(run.stderr.contains("bad.json"))
            #expect(try EthWriter.pendingBlocks(store: Store(path: db, readOnly: true)) == 0)
            #expect(try Self.count(db, "SELECT count(*) FROM transfers WHERE kind = 'native'") == Int64(try Self.expectedCounts().native))
        }
    }

    /// Another transaction at a stored transaction's position (block, index) is a contradiction, reported.
    @Test func aDifferentTransactionAtAStoredPositionIsRefused() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("c.sqlite").path
            let csv = dir.appendingPathComponent("tx.csv")
            let header = "hash,nonce,block_hash,block_number,transaction_index,from_address,to_address,value,gas,gas_price\n"
            let a = "0x" + String(repeating: "a", count: 64), b = "0x" + String(repeating: "b", count: 64)
            let from = "0x" + String(repeating: "1", count: 40), to = "0x" + String(repeating: "2", count: 40)
            try (header + "\(a),0,,100,0,\(from),\(to),5,21000,1\n").write(to: csv, atomically: true, encoding: .utf8)
            #expect(runCLI(["ingest", "eth-etl", csv.path, "--db", db]).exitCode == 0)
            let other = dir.appendingPathComponent("other.csv")
            try (header + "\(b),0,,100,0,\(from),\(to),5,21000,1\n").write(to: other, atomically: true, encoding: .utf8)
            let run = runCLI(["ingest", "eth-etl", other.path, "--db", db])
            #expect(run.exitCode == 65, "\(run.stderr)")
            #expect(run.stderr.contains("other.csv") && run.stderr.contains("block 100 transaction 0 belongs to another transaction"), "\(run.stderr)")
            #expect(try Self.count(db, "SELECT count(*) FROM eth_transactions WHERE hash = '\(a)'") == 1)

            // Receipts are held to the same: one of another transaction at a stored transaction's position, and a
            // transaction where another one's receipt is stored, are refused, and store nothing.
            let receiptHeader = "transaction_hash,transaction_index,block_hash,block_number,cumulative_gas_used,gas_used,contract_address,root,status,effective_gas_price\n"
            let c = "0x" + String(repeating: "c", count: 64)
            let receipts = dir.appendingPathComponent("receipts.csv"), ok = dir.appendingPathComponent("ok.csv"), late = dir.appendingPathComponent("late.csv")
            try (receiptHeader + "\(b),0,,100,21000,21000,,,1,1\n").write(to: receipts, atomically: true, encoding: .utf8)
            try (receiptHeader + "\(c),0,,101,21000,21000,,,1,1\n").write(to: ok, atomically: true, encoding: .utf8)
            try (header + "\(b),0,,101,0,\(from),\(to),5,21000,1\n").write(to: late, atomically: true, encoding: .utf8)
            for (file, block) in [(receipts, 100), (late, 101)] {
                if file == late { #expect(runCLI(["ingest", "eth-etl", ok.path, "--db", db]).exitCode == 0) }
                let refused = runCLI(["ingest", "eth-etl", file.path, "--db", db])
                #expect(refused.exitCode == 65)
                #expect(refused.stderr.contains(file.lastPathComponent)
                        && refused.stderr.contains("block \(block) transaction 0 belongs to another transaction than \(b)"), "\(refused.stderr)")
            }
            #expect(try Self.count(db, "SELECT count(*) FROM eth_transactions WHERE hash = '\(b)'") == 0)
            #expect(try Self.count(db, "SELECT count(*) FROM eth_transactions WHERE hash = '\(c)'") == 1)
        }
    }

    /// Transactions and token transfers are written many rows per statement: a row meeting another transaction's
    /// row at its position, in the same file or stored before, is still reported at its own line, the first one
    /// when there are several, and before a later row's own fault; a file repeating a row stores it once.
    @Test func rowsWrittenTogetherAreRefusedAtTheirOwnLine() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("r.sqlite").path
            let header = "hash,nonce,block_hash,block_number,transaction_index,from_address,to_address,value,gas,gas_price,block_timestamp\n"
            let tokenHeader = "token_address,from_address,to_address,value,transaction_hash,log_index,block_number,block_timestamp\n"
            func hash(_ n: Int) -> String { "0x" + String(String(n, radix: 16).reversed()).padding(toLength: 64, withPad: "7", startingAt: 0) }
            let from = "0x" + String(repeating: "1", count: 40), to = "0x" + String(repeating: "2", count: 40)
            let token = "0x" + String(repeating: "3", count: 40)
            func tx(_ n: Int, at index: Int, block: Int = 200) -> String { "\(hash(n)),0,,\(block),\(index),\(from),\(to),5,21000,1,1700000000\n" }
            func transfer(_ n: Int, log: Int, block: Int = 200) -> String { "\(token),\(from),\(to),7,\(hash(n)),\(log),\(block),1700000000\n" }
            func write(_ name: String, _ text: String) throws -> String {
                let url = dir.appendingPathComponent(name)
                try text.write(to: url, atomically: true, encoding: .utf8)
                return url.path
            }
            let rows = (0..<150).map { tx($0, at: $0) }
            // Line 2 is row 0: the conflict at line 152 (position 5, another hash) comes after 150 good rows.
            let cases: [(file: String, text: String, line: Int, message: String)] = [
                ("late.csv", header + rows.joined() + tx(999, at: 5), 152, "block 200 transaction 5 belongs to another transaction than \(hash(999))"),
                ("two.csv", header + rows.joined() + tx(998, at: 7) + tx(999, at: 5), 152, "block 200 transaction 7 belongs to another transaction than \(hash(998))"),
                ("then-bad.csv", header + rows.joined() + tx(999, at: 5) + "\(hash(1000)),0,,200,,\(from),\(to),5,21000,1,1700000000\n", 152,
                 "block 200 transaction 5 belongs to another transaction than \(hash(999))"),
                ("tokens.csv", tokenHeader + (0..<100).map { transfer($0, log: $0) }.joined() + transfer(999, log: 64), 102,
                 "block 200 log 64 belongs to another transaction than \(hash(999))"),
            ]
            for c in cases {
                let run = runCLI(["ingest", "eth-etl", try write(c.file, c.text), "--db", db])
                #expect(run.exitCode == 65, "\(c.file): \(run.stderr)")
                #expect(run.stderr.contains("\(c.file):\(c.line): \(c.message)"), "\(c.file): \(run.stderr)")
                #expect(try Self.count(db, "SELECT count(*) FROM eth_transactions") + Self.count(db, "SELECT count(*) FROM eth_token_transfers") == 0)
            }
            // Transactions read with their receipts (packed, written together): the conflict at its transaction's line.
            let receiptHeader = "transaction_hash,transaction_index,block_number,cumulative_gas_used,gas_used,status\n"
            func receipt(_ n: Int, at index: Int) -> String { "\(hash(n)),\(index),200,21000,21000,1\n" }
            let pair = runCLI(["ingest", "eth-etl", try write("pair-tx.csv", header + rows.joined() + tx(999, at: 5)),
                               try write("pair-rx.csv", receiptHeader + (0..<150).map { receipt($0, at: $0) }.joined() + receipt(999, at: 5)),
                               "--db", db])
            #expect(pair.exitCode == 65, "\(pair.stderr)")
            #expect(pair.stderr.contains("pair-tx.csv:152: block 200 transaction 5 belongs to another transaction than \(hash(999))"), "\(pair.stderr)")
            #expect(try Self.count(db, "SELECT count(*) FROM eth_transactions") == 0)
            // Stored first, then met again by a later file: refused at that file's line.
            #expect(runCLI(["ingest", "eth-etl", try write("ok.csv", header + rows.joined() + rows[3]), "--db", db]).exitCode == 0)
            #expect(try Self.count(db, "SELECT count(*) FROM eth_transactions") == 150)
            let again = runCLI(["ingest", "eth-etl", try write("again.csv", header + tx(150, at: 150) + tx(997, at: 149)), "--db", db])
            #expect(again.exitCode == 65)
            #expect(again.stderr.contains("again.csv:3: block 200 transaction 149 belongs to another transaction than \(hash(997))"), "\(again.stderr)")
            #expect(try Self.count(db, "SELECT count(*) FROM eth_transactions") == 150)
        }
    }

    /// A version-4 store (Ethereum rows keyed by hash, transfers unique on (chain, tx, log_index)) upgrades to
    /// version 5 with every row kept.
    @Test func aVersion4StoreUpgradesKeepingItsRows() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("v4.sqlite").path
            let files = ["blocks", "transactions", "logs"].map { "\(Self.stream)/expected_\($0).json" }
            #expect(runCLI(["ingest", "eth-etl"] + files + ["--db", db]).exitCode == 0)
            #expect(runCLI(["labels", "add", "0x722122df12d4e14e13ac3b6895a86e84145b6967", "--category", "mixer", "--name", "Tornado",
                            "--confidence", "90", "--db", db]).exitCode == 0)
            let before = try EthNodeTests.dump(db)
            let raw = try Database(path: db)
            try raw.execute("""
                CREATE TABLE t4(id INTEGER PRIMARY KEY, chain TEXT NOT NULL, asset_id INTEGER NOT NULL, from_id INTEGER NOT NULL,
                    to_id INTEGER NOT NULL, amount NOT NULL, time INTEGER NOT NULL, tx TEXT NOT NULL, block INTEGER,
                    log_index INTEGER NOT NULL, source_id INTEGER, kind TEXT, UNIQUE (chain, tx, log_index));
                INSERT INTO t4 SELECT * FROM transfers; DROP TABLE transfers; ALTER TABLE t4 RENAME TO transfers;
                CREATE INDEX transfers_derived ON transfers(chain, block) WHERE kind IS NOT NULL;
                CREATE TABLE x4(chain TEXT NOT NULL, hash TEXT NOT NULL, block INTEGER, tx_index INTEGER, from_address TEXT,
                    to_address TEXT, value, gas INTEGER, gas_price, has_receipt INTEGER NOT NULL DEFAULT 0, status INTEGER,
                    gas_used INTEGER, effective_gas_price, contract_address TEXT, PRIMARY KEY (chain, hash)) WITHOUT ROWID;
                INSERT INTO x4 SELECT chain, hash, block, tx_index, from_address, to_address, value, gas, gas_price, has_receipt, status,
                    gas_used, effective_gas_price, contract_address FROM eth_transactions;
                DROP TABLE eth_transactions; ALTER TABLE x4 RENAME TO eth_transactions;
                CREATE TABLE k4(chain TEXT NOT NULL, tx_hash TEXT NOT NULL, log_index INTEGER NOT NULL, block INTEGER NOT NULL,
                    token TEXT NOT NULL, from_address TEXT NOT NULL, to_address TEXT NOT NULL, value NOT NULL, fungible INTEGER NOT NULL,
                    PRIMARY KEY (chain, tx_hash, log_index)) WITHOUT ROWID;
                INSERT INTO k4 SELECT chain, tx_hash, log_index, block, token, from_address, to_address, value, fungible FROM eth_token_transfers;
                DROP TABLE eth_token_transfers; ALTER TABLE k4 RENAME TO eth_token_transfers;
                DROP TABLE eth_pending; DROP TABLE eth_explorer_transfers; DROP TABLE eth_derived; DROP TABLE label_actors;
                DROP TABLE cluster_members; DROP TABLE cluster_merges; DROP TABLE cluster_progress; DROP TABLE cluster_pending;
                CREATE TABLE l4(id INTEGER PRIMARY KEY, address TEXT NOT NULL, category TEXT NOT NULL, name TEXT NOT NULL,
                    source TEXT NOT NULL, confidence INTEGER, original_category TEXT NOT NULL, source_id INTEGER,
                    UNIQUE (address, category, name, source));
                INSERT INTO l4 SELECT id, address, category, name, source, confidence, original_category, source_id FROM labels;
                DROP TABLE labels; ALTER TABLE l4 RENAME TO labels;
                UPDATE meta SET value = '4' WHERE key = 'schema_version';
                """)
            #expect(runCLI(["stats", "--db", db]).exitCode == 74)
            #expect(runCLI(["ingest", "eth-etl", "--db", db]).exitCode == 0)
            #expect(try Store(path: db, readOnly: true).db.scalarInt("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'") == Int64(Store.schemaVersion))
            #expect(try EthNodeTests.dump(db) == before)
            #expect(before.filter { $0.hasPrefix("transfer:") }.count > 700)
            #expect(try Store(path: db, readOnly: true).labels(of: "0x722122df12d4e14e13ac3b6895a86e84145b6967").map(\.confidence) == [90])
            // Version 6 finds a block's derived transfers by their id range: re-deriving both blocks replaces them.
            #expect(try Self.count(db, "SELECT count(*) FROM eth_derived") == 2)
            #expect(runCLI(["ingest", "eth-etl", "\(Self.stream)/expected_transactions.json", "--db", db]).exitCode == 0)
            #expect(try EthNodeTests.dump(db) == before)
        }
    }

    /// ethereum-etl CSV input that is wrong is named by file, line and column, exits 65 and stores nothing of its file.
    @Test func badETLExportsAreLocated() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("e.sqlite").path
            let header = "hash,nonce,block_hash,block_number,transaction_index,from_address,to_address,value,gas,gas_price\n"
            let a = "0x" + String(repeating: "a", count: 64), from = "0x" + String(repeating: "1", count: 40), to = "0x" + String(repeating: "2", count: 40)
            let good = "\(a),0,,100,0,\(from),\(to),5,21000,1\n"
            let cases: [(String, String, String)] = [
                ("fields.csv", header + good + "\(a),1,,100,1,\(from)\n", "line 3"),
                ("number.csv", header + good + "\(a),1,,100,1,\(from),\(to),-5,21000,1\n", "column value"),
                ("huge.csv", header + "\(a),1,,100,1,\(from),\(to),\(String(repeating: "9", count: 80)),21000,1\n", "below 2^256"),
                ("address.csv", header + "\(a),1,,100,1,0x12,\(to),5,21000,1\n", "column from_address"),
                ("header.csv", "foo,bar\n1,2\n", "not an ethereum-etl export"),
            ]
            for (name, content, message) in cases {
                try expectRefusedInput("eth-etl", name: name, content: content, message: message, in: dir, db: db)
                #expect(try Self.count(db, "SELECT count(*) FROM eth_transactions") == 0, "\(name) stored rows")
            }
        }
    }

    /// Derivation over many blocks (read on a second thread, stored in batches) gives the transfers the same blocks
    /// get when each file is its own run (each deriving, and re-deriving, the blocks it touched); a derived amount
    /// beyond what the store holds stops the derivation, reported, with that block left pending.
    @Test func derivationOverManyBlocksMatchesFileByFileRuns() throws {
        try withTemporaryDirectory { dir in
            var state: UInt64 = 11
            func next(_ n: UInt64) -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return (state >> 33) % n }
            func hex(_ n: UInt64, _ digits: Int) -> String { let h = String(n, radix: 16); return "0x" + String(repeating: "0", count: digits - h.count) + h }
            var blocks = "number,hash,parent_hash,miner,timestamp,transaction_count\n"
            var txs = "hash,nonce,block_hash,block_number,transaction_index,from_address,to_address,value,gas,gas_price,block_timestamp\n"
            var receipts = "transaction_hash,transaction_index,block_hash,block_number,cumulative_gas_used,gas_used,contract_address,root,status,effective_gas_price\n"
            var tokens = "token_address,from_address,to_address,value,transaction_hash,log_index,block_number\n"
            for b in 0..<200 {
                let number = 1_000 + b, hash = hex(UInt64(number), 64)
                blocks += "\(number),\(hash),\(hex(UInt64(number - 1), 64)),\(hex(next(5), 40)),\(1_600_000_000 + 12 * b),3\n"
                for i in 0..<3 {
                    let tx = hex(UInt64(number * 10 + i) << 8, 64), from = hex(next(20), 40), to = hex(next(20), 40)
                    let value = next(3) == 0 ? "0" : String(UInt128(next(1 << 40)) << UInt128(next(60)))
                    txs += "\(tx),\(i),\(hash),\(number),\(i),\(from),\(to),\(value),30000,\(1 + next(100)),\(1_600_000_000 + 12 * b)\n"
                    receipts += "\(tx),\(i),\(hash),\(number),\(21000 * (i + 1)),21000,,,\(next(10) == 0 ? 0 : 1),\(1 + next(100))\n"
                    if next(2) == 0 { tokens += "\(hex(100 + next(3), 40)),\(from),\(to),\(1 + next(1_000_000)),\(tx),\(i),\(number)\n" }
                }
            }
            var paths: [String] = []
            for (name, text) in [("blocks", blocks), ("transactions", txs), ("receipts", receipts), ("token_transfers", tokens)] {
                let path = dir.appendingPathComponent("\(name).csv").path
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                paths.append(path)
            }
            let together = dir.appendingPathComponent("together.sqlite").path, apart = dir.appendingPathComponent("apart.sqlite").path
            let run = runCLI(["ingest", "eth-etl"] + paths + ["--db", together])
            #expect(run.exitCode == 0, "\(run.stderr)")
            // Transactions before their blocks and receipts: derived with unknown outcomes first, then again.
            for path in [paths[1], paths[0], paths[3], paths[2]] {
                let one = runCLI(["ingest", "eth-etl", path, "--db", apart])
                #expect(one.exitCode == 0, "\(one.stderr)")
            }
            let dump = try Self.transfers(together)
            #expect(try Self.transfers(apart) == dump)
            // The transactions and receipts files were read together (a transaction and its receipt written once):
            // the stored rows are those of the file-by-file runs, and both files are logged complete.
            let stored = try EthNodeTests.dump(together)
            #expect(try EthNodeTests.dump(apart) == stored)
            #expect(try Self.count(together, "SELECT count(*) FROM sources WHERE format = 'eth-etl' AND status = 'complete'") == 4)
            // Receipts in another order than their transactions (none then pairs up): the same store.
            let shuffled = dir.appendingPathComponent("shuffled.sqlite").path
            let reversed = dir.appendingPathComponent("receipts-reversed.csv").path
            let lines = receipts.split(separator: "\n")
            try ([lines[0]] + lines.dropFirst().reversed()).joined(separator: "\n").appending("\n").write(toFile: reversed, atomically: true, encoding: .utf8)
            #expect(runCLI(["ingest", "eth-etl", paths[0], paths[1], reversed, paths[3], "--db", shuffled]).exitCode == 0)
            #expect(try EthNodeTests.dump(shuffled) == stored)
            // Again: both files already ingested, nothing to do.
            let again = runCLI(["ingest", "eth-etl"] + paths + ["--db", together])
            #expect(again.exitCode == 0 && again.stderr.contains("receipts.csv: already ingested"), "\(again.stderr)")
            #expect(try EthNodeTests.dump(together) == stored)
            #expect(try Self.count(together, "SELECT count(*) FROM transfers WHERE kind = 'fee'") == 600)
            #expect(try Self.count(together, "SELECT count(DISTINCT block) FROM transfers WHERE kind = 'native'") > 100)
            #expect(try Self.count(together, "SELECT count(*) FROM transfers WHERE kind = 'token'") > 200)
            #expect(try EthWriter.pendingBlocks(store: Store(path: together, readOnly: true)) == 0)

            // A successful transaction of 2^127 wei in block 1150: the derivation stops there, nothing is truncated.
            let huge = dir.appendingPathComponent("huge.csv").path
            let tx = hex(0xdead, 64)
            try (txs.split(separator: "\n")[0] + "\n\(tx),9,\(hex(1150, 64)),1150,3,\(hex(1, 40)),\(hex(2, 40)),\(UInt128(1) << 127),30000,1,\(1_600_000_000 + 12 * 150)\n")
                .write(toFile: huge, atomically: true, encoding: .utf8)
            let hugeReceipt = dir.appendingPathComponent("huge-receipt.csv").path
            try (receipts.split(separator: "\n")[0] + "\n\(tx),3,\(hex(1150, 64)),1150,84000,21000,,,1,1\n").write(toFile: hugeReceipt, atomically: true, encoding: .utf8)
            let refused = runCLI(["ingest", "eth-etl", huge, hugeReceipt, "--db", together])
            #expect(refused.exitCode != 0)
            #expect(refused.stderr.contains("beyond the 2^127") && refused.stderr.contains("block 1150"), "\(refused.stderr)")
            #expect(try EthWriter.pendingBlocks(store: Store(path: together, readOnly: true)) == 1)
            #expect(try Self.transfers(together) == dump)
        }
    }

    /// Rows in the plain export form are read packed (no strings) and written from there; the same data with every
    /// hex value in upper case and every number with a leading zero takes the string path. Both, read together
    /// (transactions with their receipts) or file by file, store the same rows and derive the same transfers —
    /// contract creations, pre-Byzantium receipts without a status, values beyond 64 bits included.
    @Test func packedRowsStoreWhatStringRowsStore() throws {
        try withTemporaryDirectory { dir in
            var state: UInt64 = 5
            func next(_ n: UInt64) -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return (state >> 33) % n }
            func hex(_ n: UInt64, _ digits: Int) -> String {
                let h = String(n, radix: 16)
                return "0x" + String(repeating: "0", count: digits - h.count) + h
            }
            var blocks = "number,hash,parent_hash,miner,timestamp,transaction_count\n"
            var txs = "hash,nonce,block_hash,block_number,transaction_index,from_address,to_address,value,gas,gas_price,block_timestamp\n"
            var receipts = "transaction_hash,transaction_index,block_hash,block_number,cumulative_gas_used,gas_used,contract_address,root,status,effective_gas_price,from_address\n"
            var tokens = "token_address,from_address,to_address,value,transaction_hash,log_index,block_number,block_timestamp\n"
            for b in 0..<60 {
                let number = 5_000 + b, hash = hex(UInt64(number) << 20 | 0xabcdef, 64), time = 1_600_000_000 + 12 * b
                blocks += "\(number),\(hash),\(hex(UInt64(number - 1), 64)),\(hex(next(5) + 0xfa00, 40)),\(time),4\n"
                for i in 0..<4 {
                    let tx = hex(UInt64(number * 10 + i) << 12 | 0xbeef, 64), from = hex(next(30) + 0xc0ffee, 40)
                    let creates = next(6) == 0, to = creates ? "" : hex(next(30) + 0xdeca, 40)
                    let value = next(3) == 0 ? "0" : String(UInt128(1 + next(1 << 40)) << UInt128(next(70)))
                    let status = b < 10 ? "" : (next(8) == 0 ? "0" : "1")  // the first blocks' receipts before Byzantium
                    let price = next(4) == 0 ? "" : String(1 + next(1 << 30))
                    txs += "\(tx),\(i),\(hash),\(number),\(i),\(from),\(to),\(value),\(21000 + next(30000)),\(1 + next(1000)),\(time)\n"
                    receipts += "\(tx),\(i),\(hash),\(number),\(21000 * (i + 1)),21000,\(creates ? hex(next(1 << 30) + 0xc4ea7e, 40) : ""),,"
                        + "\(status),\(price),\(from)\n"
                    if next(2) == 0 {
                        tokens += "\(hex(0xa0 + next(3), 40)),\(from),\(hex(next(30) + 0xdeca, 40)),\(UInt128(1 + next(1 << 50)) << UInt128(next(60))),"
                            + "\(tx),\(i),\(number),\(time)\n"
                    }
                }
            }
            // The same data, not in the plain form: upper-case hex digits, numbers with a leading zero.
            func unplain(_ text: String) -> String {
                text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { n, line in
                    n == 0 ? String(line) : line.split(separator: ",", omittingEmptySubsequences: false).map { field -> String in
                        if field.hasPrefix("0x") { return "0x" + field.dropFirst(2).uppercased() }
                        if let first = field.first, first.isNumber, first != "0" { return "0" + field }
                        return String(field)
                    }.joined(separator: ",")
                }.joined(separator: "\n")
            }
            var plain: [String] = [], other: [String] = []
            for (name, text) in [("blocks", blocks), ("transactions", txs), ("receipts", receipts), ("token_transfers", tokens)] {
                let a = dir.appendingPathComponent("\(name).csv"), b = dir.appendingPathComponent("\(name)-unplain.csv")
                try text.write(to: a, atomically: true, encoding: .utf8)
                try unplain(text).write(to: b, atomically: true, encoding: .utf8)
                plain.append(a.path); other.append(b.path)
            }
            // The plain files are read packed, the others not.
            func packed(_ files: [String]) throws -> Int {
                var n = 0
                try EthETLReader.readRows(transactions: files[1], receipts: files[2], columns: EthWriter.fieldsRead, chunkSize: 50) { batch in
                    n += batch.rows.filter { if case .packedTransaction = $0 { true } else { false } }.count
                }
                try EthETLReader.readRows(path: files[3], columns: EthWriter.fieldsRead) { batch in
                    n += batch.rows.filter { if case .packedTokenTransfer = $0 { true } else { false } }.count
                }
                return n
            }
            #expect(try packed(plain) == 240 + tokens.split(separator: "\n").count - 1)
            #expect(try packed(other) == 0)
            var dumps: [[String]] = [], transfers: [[String]] = []
            for (name, files) in [("plain", plain), ("unplain", other)] {
                let together = dir.appendingPathComponent("\(name)-together.sqlite").path, apart = dir.appendingPathComponent("\(name)-apart.sqlite").path
                let run = runCLI(["ingest", "eth-etl"] + files + ["--db", together])
                #expect(run.exitCode == 0, "\(run.stderr)")
                for path in files {
                    let one = runCLI(["ingest", "eth-etl", path, "--db", apart, "--in-place"])
                    #expect(one.exitCode == 0, "\(one.stderr)")
                }
                for db in [together, apart] {
                    dumps.append(try EthNodeTests.dump(db))
                    transfers.append(try Self.transfers(db))
                }
            }
            #expect(dumps.allSatisfy { $0 == dumps[0] })
            #expect(transfers.allSatisfy { $0 == transfers[0] })
            #expect(dumps[0].filter { $0.hasPrefix("tx:") }.count == 240)
            #expect(transfers[0].contains { $0.hasPrefix("native|") } && transfers[0].contains { $0.hasPrefix("token|") })
            // The cases were there: receipts without a status, contract creations, values beyond 64 bits (exact text).
            let db = dir.appendingPathComponent("plain-together.sqlite").path
            #expect(try Self.count(db, "SELECT count(*) FROM eth_transactions WHERE has_receipt = 1 AND status IS NULL") > 10)
            #expect(try Self.count(db, "SELECT count(*) FROM eth_transactions WHERE to_address IS NULL AND contract_address IS NOT NULL") > 5)
            #expect(try Self.count(db, "SELECT count(*) FROM eth_transactions WHERE typeof(value) = 'text'") > 10)
            #expect(try Self.count(db, "SELECT count(*) FROM eth_token_transfers WHERE typeof(value) = 'text'") > 5)
        }
    }

    /// A transactions export read together with a bad receipts export: the error names the receipts file and
    /// line, and neither file stores anything; the transactions file alone then ingests.
    @Test func aBadReceiptsFileReadWithItsTransactionsStoresNeither() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("p.sqlite").path
            let a = "0x" + String(repeating: "a", count: 64), b = "0x" + String(repeating: "b", count: 64)
            let from = "0x" + String(repeating: "1", count: 40), to = "0x" + String(repeating: "2", count: 40)
            let txs = dir.appendingPathComponent("tx.csv").path, receipts = dir.appendingPathComponent("rx.csv").path
            try """
                hash,nonce,block_hash,block_number,transaction_index,from_address,to_address,value,gas,gas_price,block_timestamp
                \(a),0,,100,0,\(from),\(to),5,21000,1,1600000000
                \(b),1,,100,1,\(from),\(to),7,21000,1,1600000000

                """.write(toFile: txs, atomically: true, encoding: .utf8)
            try """
                transaction_hash,transaction_index,block_hash,block_number,cumulative_gas_used,gas_used,contract_address,root,status,effective_gas_price
                \(a),0,,100,21000,21000,,,1,1
                \(b),1,,100,42000,21000,0x12,,1,1

                """.write(toFile: receipts, atomically: true, encoding: .utf8)
            let run = runCLI(["ingest", "eth-etl", txs, receipts, "--db", db])
            #expect(run.exitCode == 65)
            #expect(run.stderr.contains("rx.csv, line 3") && run.stderr.contains("contract_address"), "\(run.stderr)")
            #expect(try Self.count(db, "SELECT count(*) FROM eth_transactions") == 0)
            #expect(try Self.count(db, "SELECT count(*) FROM sources WHERE status = 'failed'") == 2)
            #expect(runCLI(["ingest", "eth-etl", txs, "--db", db]).exitCode == 0)
            #expect(try Self.count(db, "SELECT count(*) FROM eth_transactions WHERE has_receipt = 0") == 2)
        }
    }

    /// Transactions exported with their receipts (`receipt_*` columns) as CSV are stored in one write per
    /// transaction: the store ends as the JSON export of the same transactions (a transaction, then its receipt) leaves it.
    @Test func csvTransactionsWithEmbeddedReceiptsStoreWhatTheJSONExportStores() throws {
        var transactions: [EthRecord] = []
        try EthETLReader.read(path: "\(Self.stream)/expected_transactions.json") { if $0.kind == .transaction { transactions.append($0) } }
        let columns = EthRecord.columns[.transaction]! + ["receipt_cumulative_gas_used", "receipt_gas_used", "receipt_contract_address",
                                                           "receipt_root", "receipt_status", "receipt_effective_gas_price"]
        #expect(transactions.count > 100 && transactions.allSatisfy { $0["receipt_gas_used"] != nil })
        func field(_ text: String) -> String {
            text.contains(",") || text.contains("\"") ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        let csv = ([columns.joined(separator: ",")] + transactions.map { r in columns.map { field(r.csvText($0)) }.joined(separator: ",") })
            .joined(separator: "\n") + "\n"
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("transactions.csv").path
            try csv.write(toFile: path, atomically: true, encoding: .utf8)
            let fromJSON = dir.appendingPathComponent("json.sqlite").path, fromCSV = dir.appendingPathComponent("csv.sqlite").path
            let others = ["blocks", "logs"].map { "\(Self.stream)/expected_\($0).json" }
            let a = runCLI(["ingest", "eth-etl", "\(Self.stream)/expected_transactions.json"] + others + ["--db", fromJSON])
            let b = runCLI(["ingest", "eth-etl", path] + others + ["--db", fromCSV])
            #expect(a.exitCode == 0 && b.exitCode == 0, "\(a.stderr)\(b.stderr)")
            let dump = try EthNodeTests.dump(fromJSON)
            #expect(try EthNodeTests.dump(fromCSV) == dump)
            #expect(dump.filter { $0.hasPrefix("tx:") && $0.contains("|1|1|") }.count > 100)  // has_receipt 1, status 1
        }
    }
}
