import FlowCore
import FlowIngest
import FlowStore
import Foundation
import Testing
import TestSupport

/// `flowtrace ingest etherscan`: replies and CSV exports built from the real transactions and logs of blocks
/// 17173049–17173050 (what Etherscan lists for one address of those blocks), checked against the ETL ingest of
/// the same blocks.
@Suite("Etherscan ingest", .serialized)
struct EtherscanTests {
    static let stream = EthereumIngestTests.stream
    static let router = "0x6b75d8af000000e20b7a7ddf000ba900b4009a80"
    static let weth = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"

    struct Rows { var txs: [JSONValue] = []; var logs: [JSONValue] = [] }

    /// The ETL rows touching `address`.
    static func rows(of address: String) throws -> Rows {
        var rows = Rows()
        try JSONFile.forEachLine(path: "\(stream)/expected_transactions.json") { v, _ in
            if v["from_address"]?.stringValue == address || v["to_address"]?.stringValue == address { rows.txs.append(v) }
        }
        try JSONFile.forEachLine(path: "\(stream)/expected_logs.json") { v, _ in
            let topics = (v["topics"]?.arrayValue ?? []).compactMap(\.stringValue)
            guard topics.count == 3, topics[0] == transferEventTopic else { return }
            if topics[1].hasSuffix(address.dropFirst(2)) || topics[2].hasSuffix(address.dropFirst(2)) { rows.logs.append(v) }
        }
        return rows
    }

    static func n(_ v: JSONValue?) -> String { v?.numberText ?? "" }

    /// An Etherscan `txlist` reply for the rows.
    static func txlist(_ rows: Rows) -> String {
        let items = rows.txs.map { t -> String in
            let ok = n(t["receipt_status"]) == "1"
            return """
                {"blockNumber":"\(n(t["block_number"]))","timeStamp":"\(n(t["block_timestamp"]))","hash":"\(t["hash"]!.stringValue!)",\
                "nonce":"\(n(t["nonce"]))","blockHash":"\(t["block_hash"]!.stringValue!)","transactionIndex":"\(n(t["transaction_index"]))",\
                "from":"\(EthAddress.checksummed(t["from_address"]!.stringValue!))","to":"\(t["to_address"]?.stringValue ?? "")",\
                "value":"\(n(t["value"]))","gas":"\(n(t["gas"]))","gasPrice":"\(n(t["receipt_effective_gas_price"]))",\
                "isError":"\(ok ? "0" : "1")","txreceipt_status":"\(ok ? "1" : "0")","input":"0x","contractAddress":"",\
                "cumulativeGasUsed":"\(n(t["receipt_cumulative_gas_used"]))","gasUsed":"\(n(t["receipt_gas_used"]))","confirmations":"1000"}
                """
        }
        return #"{"status":"1","message":"OK","result":["# + items.joined(separator: ",") + "]}"
    }

    /// An Etherscan `tokentx` reply for the rows (WETH's metadata stated, the other tokens' left empty).
    static func tokentx(_ rows: Rows) -> String {
        let items = rows.logs.map { l -> String in
            let topics = l["topics"]!.arrayValue!.compactMap(\.stringValue)
            let token = l["address"]!.stringValue!
            let value = UInt256(hexQuantity: l["data"]!.stringValue!)!.description
            let meta = token == weth ? #""tokenName":"Wrapped Ether","tokenSymbol":"WETH","tokenDecimal":"18""#
                : #""tokenName":"","tokenSymbol":"","tokenDecimal":"""#
            return """
                {"blockNumber":"\(n(l["block_number"]))","timeStamp":"\(n(l["block_timestamp"]))","hash":"\(l["transaction_hash"]!.stringValue!)",\
                "nonce":"0","blockHash":"\(l["block_hash"]!.stringValue!)","from":"0x\(topics[1].suffix(40))","contractAddress":"\(token)",\
                "to":"0x\(topics[2].suffix(40))","value":"\(value)",\(meta),"transactionIndex":"\(n(l["transaction_index"]))",\
                "gas":"0","gasPrice":"0","gasUsed":"0","cumulativeGasUsed":"0","input":"deprecated","confirmations":"1000"}
                """
        }
        return #"{"status":"1","message":"OK","result":["# + items.joined(separator: ",") + "]}"
    }

    static func assets(_ db: String, _ address: String) throws -> [String: String] {
        let h = try #require(try Store(path: db, readOnly: true).addressHistory(address))
        var out: [String: String] = [:]
        for a in h.assets { out[a.asset] = "\(a.received)/\(a.sent)/\(a.balance)/\(a.transfersIn)/\(a.transfersOut)" }
        return out
    }

    func etl(_ db: String) {
        let files = ["blocks", "transactions", "logs"].map { "\(Self.stream)/expected_\($0).json" }
        #expect(runCLI(["ingest", "eth-etl"] + files + ["--db", db]).exitCode == 0)
    }

    @Test func apiRepliesGiveTheAddressTheSameLedgerAndNeverCountTwice() throws {
        try withTemporaryDirectory { dir in
            let full = dir.appendingPathComponent("full.sqlite").path, explorer = dir.appendingPathComponent("explorer.sqlite").path
            let both = dir.appendingPathComponent("both.sqlite").path
            let rows = try Self.rows(of: Self.router)
            #expect(rows.txs.count == 4 && rows.logs.count == 8)
            let txlist = dir.appendingPathComponent("txlist.json"), tokentx = dir.appendingPathComponent("tokentx.json")
            try Self.txlist(rows).write(to: txlist, atomically: true, encoding: .utf8)
            try Self.tokentx(rows).write(to: tokentx, atomically: true, encoding: .utf8)

            etl(full)
            let run = runCLI(["ingest", "etherscan", txlist.path, tokentx.path, "--db", explorer])
            #expect(run.exitCode == 0, "\(run.stderr)")
            // The address's ledger from Etherscan alone equals the one from the full blocks.
            #expect(try Self.assets(explorer, Self.router) == Self.assets(full, Self.router))
            #expect(try Store(path: explorer, readOnly: true).db.scalarInt("SELECT decimals FROM assets WHERE symbol = '\(Self.weth)'") == 18)

            // Full blocks plus the Etherscan replies, in either order: the full blocks' transfers, none twice.
            etl(both)
            #expect(runCLI(["ingest", "etherscan", txlist.path, tokentx.path, "--db", both]).exitCode == 0)
            #expect(try EthereumIngestTests.transfers(both) == EthereumIngestTests.transfers(full))
            let reversed = dir.appendingPathComponent("reversed.sqlite").path
            #expect(runCLI(["ingest", "etherscan", tokentx.path, txlist.path, "--db", reversed]).exitCode == 0)
            etl(reversed)
            #expect(try EthereumIngestTests.transfers(reversed) == EthereumIngestTests.transfers(full))
        }
    }

    @Test func csvExportsOfBothHeaderGenerationsConvertExactly() throws {
        try withTemporaryDirectory { dir in
            let full = dir.appendingPathComponent("full.sqlite").path, db = dir.appendingPathComponent("csv.sqlite").path
            etl(full)
            let rows = try Self.rows(of: Self.router)
            func eth(_ wei: String) -> String { Amount.formatted(baseUnits: wei, decimals: 18) }
            // Normal transactions, newer header ("Transaction Hash", a live price in a column name).
            var normal = #""Transaction Hash","Blockno","UnixTimestamp","DateTime (UTC)","From","To","ContractAddress","Value_IN(ETH)","Value_OUT(ETH)","CurrentValue @ $1876.54/Eth","TxnFee(ETH)","TxnFee(USD)","Historical $Price/Eth","Status","ErrCode","Method""# + "\n"
            for t in rows.txs {
                let incoming = t["to_address"]?.stringValue == Self.router
                let value = eth(Self.n(t["value"]))
                let fee = eth(String(Int128(Self.n(t["receipt_gas_used"]))! * Int128(Self.n(t["receipt_effective_gas_price"]))!))
                normal += "\"\(t["hash"]!.stringValue!)\",\"\(Self.n(t["block_number"]))\",\"\(Self.n(t["block_timestamp"]))\",\"2023-05-02 12:19:59\","
                    + "\"\(t["from_address"]!.stringValue!)\",\"\(t["to_address"]!.stringValue!)\",\"\",\"\(incoming ? value : "0")\",\"\(incoming ? "0" : value)\","
                    + "\"0\",\"\(fee)\",\"0\",\"1876.54\",\"\",\"\",\"Transfer\"\n"
            }
            // Token transfers, older header ("Txhash"), WETH only (its decimals come from a token list).
            var tokens = #""Txhash","Blockno","UnixTimestamp","DateTime (UTC)","From","To","TokenValue","USDValueDayOfTx","ContractAddress","TokenName","TokenSymbol""# + "\n"
            for l in rows.logs where l["address"]?.stringValue == Self.weth {
                let topics = l["topics"]!.arrayValue!.compactMap(\.stringValue)
                let value = eth(UInt256(hexQuantity: l["data"]!.stringValue!)!.description)
                tokens += "\"\(l["transaction_hash"]!.stringValue!)\",\"\(Self.n(l["block_number"]))\",\"\(Self.n(l["block_timestamp"]))\",\"2023-05-02 12:19:59\","
                    + "\"0x\(topics[1].suffix(40))\",\"0x\(topics[2].suffix(40))\",\"\(value)\",\"$0.00\",\"\(Self.weth)\",\"Wrapped Ether\",\"WETH\"\n"
            }
            let normalFile = dir.appendingPathComponent("export-txs.csv"), tokenFile = dir.appendingPathComponent("export-tokens.csv")
            try normal.write(to: normalFile, atomically: true, encoding: .utf8)
            try tokens.write(to: tokenFile, atomically: true, encoding: .utf8)

            // Without WETH's decimals the token export cannot be made exact: refused, nothing stored.
            let refused = runCLI(["ingest", "etherscan", tokenFile.path, "--db", db])
            #expect(refused.exitCode == 65, "\(refused.stderr)")
            #expect(refused.stderr.contains("decimals of token \(Self.weth) are unknown"), "\(refused.stderr)")
            #expect(try Store(path: db, readOnly: true).db.scalarInt("SELECT count(*) FROM eth_explorer_transfers") == 0)

            #expect(runCLI(["ingest", "token-list", Paths.fixture("eth/tokenlist.json"), "--db", db]).exitCode == 0)
            let run = runCLI(["ingest", "etherscan", normalFile.path, tokenFile.path, "--db", db])
            #expect(run.exitCode == 0, "\(run.stderr)")
            let got = try Self.assets(db, Self.router), want = try Self.assets(full, Self.router)
            #expect(got["ETH"] == want["ETH"])
            #expect(got[Self.weth] == want[Self.weth])
            #expect(try Store(path: db, readOnly: true).db.scalarInt("SELECT count(*) FROM eth_explorer_transfers WHERE precision = 'display'") ?? 0 > 0)
        }
    }

    @Test func badRepliesAndExportsAreLocated() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("bad.sqlite").path
            #expect(runCLI(["ingest", "token-list", Paths.fixture("eth/tokenlist.json"), "--db", db]).exitCode == 0)
            let tx = "0x" + String(repeating: "ab", count: 32), a = "0x" + String(repeating: "1", count: 40), b = "0x" + String(repeating: "2", count: 40)
            let usdt = "0xdac17f958d2ee523a2206206994597c13d831ec7"
            let tokenHeader = #""Transaction Hash","Blockno","UnixTimestamp","DateTime (UTC)","From","To","TokenValue","USDValueDayOfTx","ContractAddress","TokenName","TokenSymbol""#
            let cases: [(String, String, String)] = [
                ("rate.json", #"{"status":"0","message":"NOTOK","result":"Max rate limit reached"}"#, "Max rate limit reached"),
                ("shape.json", #"{"status":"1","message":"OK","result":[{"foo":"1"}]}"#, "result[0]"),
                ("address.json", #"{"status":"1","message":"OK","result":[{"blockNumber":"1","timeStamp":"1","hash":"\#(tx)","from":"0x12","to":"\#(b)","value":"1","contractAddress":"","type":"call","isError":"0"}]}"#, "result[0].from"),
                ("value.json", #"{"status":"1","message":"OK","result":[{"blockNumber":"1","timeStamp":"1","hash":"\#(tx)","from":"\#(a)","to":"\#(b)","value":"1.5","contractAddress":"","type":"call","isError":"0"}]}"#, "result[0].value"),
                ("digits.csv", tokenHeader + "\n\"\(tx)\",\"5\",\"100\",\"\",\"\(a)\",\"\(b)\",\"1.1234567\",\"\",\"\(usdt)\",\"Tether\",\"USDT\"\n", "at most 6 decimals"),
                ("header.csv", "\"Hash\",\"Block\"\n\"x\",\"1\"\n", "not an Etherscan CSV export"),
            ]
            for (name, content, message) in cases {
                try expectRefusedInput("etherscan", name: name, content: content, message: message, in: dir, db: db)
            }
            #expect(try Store(path: db, readOnly: true).db.scalarInt("SELECT count(*) FROM eth_explorer_transfers") == 0)
            // Thousands separators are display, not data: "1,000.5" USDT is 1000500000 base units.
            let good = dir.appendingPathComponent("good.csv")
            try (tokenHeader + "\n\"\(tx)\",\"5\",\"100\",\"\",\"\(a)\",\"\(b)\",\"1,000.5\",\"\",\"\(usdt)\",\"Tether\",\"USDT\"\n")
                .write(to: good, atomically: true, encoding: .utf8)
            #expect(runCLI(["ingest", "etherscan", good.path, "--db", db]).exitCode == 0)
            #expect(try Store(path: db, readOnly: true).db.scalarInt("SELECT amount FROM transfers WHERE kind = 'token'") == 1_000_500_000)
        }
    }
}
