import FlowCore
import FlowIngest
import Foundation
import Testing
import TestSupport

/// FlowTrace's Ethereum decoding against ethereum-etl's own exports of the same recorded replies
/// (`../shared/data/eth/ethereum-etl/`), field by field.
@Suite("Ethereum decoding")
struct EthereumDecodeTests {
    static let root = Paths.shared("eth/ethereum-etl")

    static func files(_ folder: String, prefix: String = "web3_response.") -> [String] {
        let dir = "\(root)/\(folder)"
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix(prefix) }.sorted().map { "\(dir)/\($0)" }
    }

    /// Every record in a reply file.
    static func decodeReply(_ path: String) throws -> [EthRecord] {
        let json = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        let name = URL(fileURLWithPath: path).lastPathComponent
        return try EthRPCDecoder(path: path, gethBlockNumber: EthRPCDecoder.gethBlock(fromFileName: name)).decode(json)
    }

    /// The replies of a folder, without ethereum-etl's chain-head probe (`eth_getBlockByNumber latest`), which is
    /// a block outside the exported range.
    static func decodeReplies(_ folder: String) throws -> [EthRecord] {
        try files(folder).filter { !$0.contains("_latest_") }.flatMap { try decodeReply($0) }
    }

    static func readExport(_ path: String) throws -> [EthRecord] {
        var out: [EthRecord] = []
        try EthETLReader.read(path: path) { out.append($0) }
        return out
    }

    /// Compares `ours` with ethereum-etl's `expected` records of `kind`, matched by `key`, on every ETL column
    /// of that kind except `skipping`.
    static func expectSame(_ ours: [EthRecord], _ expected: [EthRecord], kind: EthRecord.Kind, key: (EthRecord) -> String,
                           skipping: Set<String> = [], sourceLocation: SourceLocation = #_sourceLocation) {
        let mine = ours.filter { $0.kind == kind }, theirs = expected.filter { $0.kind == kind }
        #expect(mine.count == theirs.count, "\(kind): \(mine.count) records, ethereum-etl has \(theirs.count)", sourceLocation: sourceLocation)
        let byKey = Dictionary(mine.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        for t in theirs {
            guard let m = byKey[key(t)] else {
                Issue.record("\(kind) \(key(t)) missing from ours", sourceLocation: sourceLocation)
                continue
            }
            for column in EthRecord.columns[kind]! where !skipping.contains(column) {
                #expect(m.csvText(column) == t.csvText(column), "\(kind) \(key(t)) \(column)", sourceLocation: sourceLocation)
            }
        }
    }

    static let blockKey: @Sendable (EthRecord) -> String = { $0.csvText("number") }
    static let txKey: @Sendable (EthRecord) -> String = { $0.csvText("hash") }
    static let receiptKey: @Sendable (EthRecord) -> String = { $0.csvText("transaction_hash") }
    static let logKey: @Sendable (EthRecord) -> String = { $0.csvText("transaction_hash") + "/" + $0.csvText("log_index") }
    static let traceKey: @Sendable (EthRecord) -> String = {
        [$0.csvText("block_number"), $0.csvText("transaction_index"), $0.csvText("trace_type"), $0.csvText("trace_address"),
         $0.csvText("reward_type"), $0.csvText("to_address")].joined(separator: "/")
    }

    static func tokenTransfers(_ records: [EthRecord]) -> [EthRecord] {
        records.compactMap { EthRecord.tokenTransfer(fromLog: $0)?.transfer }
    }

    @Test(arguments: ["block_with_logs", "block_without_transactions", "blocks_with_transactions"])
    func blocksAndTransactionsMatchEthereumETL(folder: String) throws {
        let ours = try Self.decodeReplies("test_export_blocks_job/\(folder)")
        let expectedBlocks = try Self.readExport("\(Self.root)/test_export_blocks_job/\(folder)/expected_blocks.csv")
        let expectedTxs = try Self.readExport("\(Self.root)/test_export_blocks_job/\(folder)/expected_transactions.csv")
        #expect(!expectedBlocks.isEmpty)
        Self.expectSame(ours, expectedBlocks, kind: .block, key: Self.blockKey)
        Self.expectSame(ours, expectedTxs, kind: .transaction, key: Self.txKey)
    }

    @Test func receiptsAndLogsMatchEthereumETL() throws {
        let ours = try Self.decodeReplies("test_export_receipts_job/receipts_with_logs")
        for ext in ["csv", "json"] {
            let receipts = try Self.readExport("\(Self.root)/test_export_receipts_job/receipts_with_logs/expected_receipts.\(ext)")
            let logs = try Self.readExport("\(Self.root)/test_export_receipts_job/receipts_with_logs/expected_logs.\(ext)")
            #expect(receipts.count == 4 && !logs.isEmpty)
            Self.expectSame(ours, receipts, kind: .receipt, key: Self.receiptKey)
            Self.expectSame(ours, logs, kind: .log, key: Self.logKey)
        }
    }

    @Test func tokenTransfersFromFilterLogsAndFromLogsCSVMatchEthereumETL() throws {
        let fromReplies = Self.tokenTransfers(try Self.decodeReplies("test_export_token_transfers_job/block_with_transfers"))
        let expected = try Self.readExport("\(Self.root)/test_export_token_transfers_job/block_with_transfers/expected_token_transfers.csv")
        #expect(!expected.isEmpty)
        Self.expectSame(fromReplies, expected, kind: .tokenTransfer, key: Self.logKey)
        let fromCSV = Self.tokenTransfers(try Self.readExport("\(Self.root)/test_extract_token_transfers_job/logs/logs.csv"))
        let expectedCSV = try Self.readExport("\(Self.root)/test_extract_token_transfers_job/logs/expected_token_transfers.csv")
        #expect(!expectedCSV.isEmpty)
        Self.expectSame(fromCSV, expectedCSV, kind: .tokenTransfer, key: Self.logKey)
    }

    @Test(arguments: ["block_with_create", "block_with_error", "block_with_subtraces", "block_with_suicide", "block_without_transactions"])
    func parityTracesMatchEthereumETL(folder: String) throws {
        let ours = try Self.decodeReplies("test_export_traces_job/\(folder)")
        let expected = try Self.readExport("\(Self.root)/test_export_traces_job/\(folder)/expected_traces.csv")
        Self.expectSame(ours, expected, kind: .trace, key: Self.traceKey)
    }

    /// ethereum-etl's geth extraction leaves the transaction hash, status and id empty (the reply lacks the hash;
    /// it computes the other two later): those three columns are not compared; the rest are.
    @Test(arguments: ["block_with_create", "block_with_error", "block_with_subtraces", "block_with_suicide", "block_without_transactions"])
    func gethTracesMatchEthereumETL(folder: String) throws {
        let ours = try Self.decodeReplies("test_extract_geth_traces_job/\(folder)")
        let expected = try Self.readExport("\(Self.root)/test_extract_geth_traces_job/\(folder)/expected_traces.csv")
        Self.expectSame(ours, expected, kind: .trace, key: Self.traceKey, skipping: ["transaction_hash", "status", "trace_id"])
    }

    @Test func streamOfBlocks1755634To1755635MatchesEthereumETL() throws {
        let folder = "\(Self.root)/test_stream/blocks_1755634_1755635"
        let ours = try Self.decodeReplies("test_stream/blocks_1755634_1755635")
        let blocks = try Self.readExport("\(folder)/expected_blocks.json")
        let txs = try Self.readExport("\(folder)/expected_transactions.json")
        let logs = try Self.readExport("\(folder)/expected_logs.json")
        let transfers = try Self.readExport("\(folder)/expected_token_transfers.json")
        #expect(blocks.count == 2)
        Self.expectSame(ours, blocks, kind: .block, key: Self.blockKey)
        Self.expectSame(ours, txs, kind: .transaction, key: Self.txKey)
        // The stream's transactions carry their receipts.
        Self.expectSame(ours, txs, kind: .receipt, key: Self.receiptKey)
        Self.expectSame(ours, logs, kind: .log, key: Self.logKey)
        Self.expectSame(Self.tokenTransfers(ours), transfers, kind: .tokenTransfer, key: Self.logKey)
    }

    @Test func tokenTransfersOfBlocks17173049To17173050FromTheETLLogs() throws {
        let folder = "\(Self.root)/test_stream/blocks_17173049_17173050"
        let logs = try Self.readExport("\(folder)/expected_logs.json")
        let expected = try Self.readExport("\(folder)/expected_token_transfers.json")
        #expect(expected.count == 291)
        let ours = Self.tokenTransfers(logs)
        Self.expectSame(ours, expected, kind: .tokenTransfer, key: Self.logKey)
        // Values beyond 64 bits stay exact.
        #expect(ours.contains { ($0.uint("value") ?? .zero) > UInt256(UInt64.max) })
        // The blocks and transactions read too, receipts included.
        let records = try Self.readExport("\(folder)/expected_blocks.json") + (try Self.readExport("\(folder)/expected_transactions.json"))
        #expect(records.filter { $0.kind == .block }.count == 2)
        #expect(records.filter { $0.kind == .transaction }.count == 298)
        #expect(records.filter { $0.kind == .receipt }.count == 298)
        #expect(records.filter { $0.kind == .withdrawal }.count == 32)
    }

    @Test(arguments: ["blocks_508110_508110", "blocks_2112234_2112234"])
    func streamTracesMatchEthereumETL(folder: String) throws {
        let ours = try Self.decodeReplies("test_stream/\(folder)")
        let expected = try Self.readExport("\(Self.root)/test_stream/\(folder)/expected_traces.json")
        #expect(!expected.isEmpty)
        Self.expectSame(ours, expected, kind: .trace, key: Self.traceKey)
    }

    @Test func withdrawalsOfAPostShanghaiExportRead() throws {
        let folder = "\(Self.root)/test_export_blocks_job/blocks_with_transactions_and_withdrawals"
        let fromCSV = try Self.readExport("\(folder)/expected_blocks.csv").filter { $0.kind == .withdrawal }
        let fromJSON = try Self.readExport("\(folder)/expected_blocks.json").filter { $0.kind == .withdrawal }
        #expect(fromCSV.count == 32)
        #expect(fromCSV.map { EthRecord.columns[.withdrawal]!.map($0.csvText) } == fromJSON.map { EthRecord.columns[.withdrawal]!.map($0.csvText) })
        #expect(fromCSV.first?.csvText("address") == "0xb9d7934878b5fb9610b3fe8a5e441e8fad7e293f")
    }

    /// A projection reads only the wanted columns, keeps a block's withdrawals and a transaction's embedded
    /// receipt with them, and leaves a bad value in a skipped column unread.
    @Test func aProjectionReadsOnlyTheWantedColumns() throws {
        let folder = "\(Self.root)/test_export_blocks_job/blocks_with_transactions_and_withdrawals"
        let wanted: [EthRecord.Kind: Set<String>] = [.block: ["number", "timestamp"], .withdrawal: ["address", "amount"]]
        var records: [EthRecord] = []
        try EthETLReader.read(path: "\(folder)/expected_blocks.csv", columns: wanted) { records.append($0) }
        let full = try Self.readExport("\(folder)/expected_blocks.csv")
        #expect(records.count == full.count && records.filter { $0.kind == .withdrawal }.count == 32)
        #expect(Set(records.first { $0.kind == .block }!.fields.keys) == ["number", "timestamp", "withdrawals"])
        #expect(records.first { $0.kind == .withdrawal }?.csvText("address") == "0xb9d7934878b5fb9610b3fe8a5e441e8fad7e293f")

        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("transactions.csv").path
            let a = "0x" + String(repeating: "a", count: 64), from = "0x" + String(repeating: "1", count: 40)
            try """
                hash,nonce,block_number,transaction_index,from_address,to_address,value,receipt_status,receipt_gas_used,receipt_root
                \(a),not-a-number,100,0,\(from),,5,1,21000,0x12
                """.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(throws: IngestError.self) { try EthETLReader.read(path: path) { _ in } }
            var got: [EthRecord] = []
            let columns: [EthRecord.Kind: Set<String>] = [.transaction: ["hash", "block_number", "transaction_index", "from_address", "value"],
                                                          .receipt: ["status", "gas_used"]]
            try EthETLReader.read(path: path, columns: columns) { got.append($0) }
            #expect(got.map(\.kind) == [.transaction, .receipt])
            #expect(got.first?["nonce"] == nil && got.first?.int("value") == 5)
            #expect(got.last?.int("status") == 1 && got.last?.int("gas_used") == 21000 && got.last?.text("root") == nil)
        }
    }

    /// Every recorded reply decodes (filter ids, chain ids and eth_call words to nothing).
    @Test func everyReplyFileDecodes() throws {
        let enumerator = FileManager.default.enumerator(atPath: Self.root)
        var count = 0
        while let name = enumerator?.nextObject() as? String {
            guard URL(fileURLWithPath: name).lastPathComponent.hasPrefix("web3_response.") else { continue }
            _ = try Self.decodeReply("\(Self.root)/\(name)")
            count += 1
        }
        #expect(count == 37)
    }

    @Test func keccakAndChecksums() {
        #expect(Keccak256.hash([]).map { String(format: "%02x", $0) }.joined() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
        let signature = Keccak256.hash(Array("Transfer(address,address,uint256)".utf8)).map { String(format: "%02x", $0) }.joined()
        #expect("0x" + signature == transferEventTopic)
        // EIP-55's own examples.
        for a in ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                  "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"] {
            #expect(EthAddress.checksummed(a.lowercased()) == a)
            #expect(EthAddress.normalized(a) == a.lowercased())
        }
        #expect(EthAddress.normalized("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD") == nil, "one flipped letter")
        #expect(EthAddress.normalized("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed") != nil)
        #expect(EthAddress.normalized("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea") == nil, "short")
    }

    @Test func uint256ParsesAndPrintsExactly() throws {
        let max = try #require(UInt256(hexQuantity: "0x" + String(repeating: "f", count: 64)))
        #expect(max.description == "115792089237316195423570985008687907853269984665640564039457584007913129639935")
        #expect(UInt256(decimal: max.description) == max)
        #expect(UInt256(decimal: "115792089237316195423570985008687907853269984665640564039457584007913129639936") == nil)
        #expect(UInt256(hexQuantity: "0x1" + String(repeating: "0", count: 64)) == nil)
        #expect(UInt256(hexQuantity: "0x") == .zero)
        #expect(UInt256(hexQuantity: "12") == nil)
        #expect(UInt256(decimal: "170141183460469231731687303715884105727")?.int128 == Int128.max)
        #expect(UInt256(decimal: "170141183460469231731687303715884105728")?.int128 == nil)
    }

    /// Decimal text of every length up to 2^256's 78 digits (read 19 digits at a time) parses to the value a
    /// digit-by-digit reference computes, from contiguous bytes and from any other collection; a non-digit in any
    /// 19-digit chunk, an empty text and anything above 2^256 − 1 are refused.
    @Test func uint256DecimalTextOfEveryLengthMatchesAReference() throws {
        /// Digit by digit, in 32-bit limbs: the value, or nil beyond 2^256 − 1.
        func reference(_ text: String) -> UInt256? {
            guard !text.isEmpty else { return nil }
            var l = [UInt64](repeating: 0, count: 8)
            for c in text.utf8 {
                guard c >= 48, c <= 57 else { return nil }
                var carry = UInt64(c - 48)
                for i in 0..<8 { let x = l[i] * 10 + carry; l[i] = x & 0xffff_ffff; carry = x >> 32 }
                guard carry == 0 else { return nil }
            }
            return UInt256(limbs: (l[0] | l[1] << 32, l[2] | l[3] << 32, l[4] | l[5] << 32, l[6] | l[7] << 32))
        }
        var rng = SeededRandom(seed: 0x2569)
        let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935"
        var texts = ["0", "00", "1", "9999999999999999999", "10000000000000000000", "18446744073709551615", "18446744073709551616",
                     max, "115792089237316195423570985008687907853269984665640564039457584007913129639936",
                     String(repeating: "9", count: 78), String(repeating: "0", count: 80) + "7", ""]
        for length in 1...79 {
            for _ in 0..<20 { texts.append(String((0..<length).map { _ in Character(String(rng.next() % 10)) })) }
            var bad = Array(String((0..<length).map { _ in Character(String(rng.next() % 10)) }).utf8)
            bad[Int(rng.next() % UInt64(length))] = [UInt8(ascii: "a"), UInt8(ascii: " "), UInt8(ascii: "-"), 47, 58][Int(rng.next() % 5)]
            texts.append(String(decoding: bad, as: UTF8.self))
        }
        for text in texts {
            let expected = reference(text)
            #expect(UInt256(decimal: text) == expected, "\(text)")
            #expect(UInt256(decimalDigits: Array(text.utf8)) == expected, "\(text)")
            #expect(UInt256(decimalDigits: text.utf8.lazy.map { $0 }) == expected, "\(text) (not contiguous)")
            if let expected { #expect(expected.description == String(text.drop { $0 == "0" }).ifEmpty("0")) }
        }
        #expect(UInt256(decimal: max)?.description == max)
    }
}

private extension String {
    func ifEmpty(_ other: String) -> String { isEmpty ? other : self }
}

