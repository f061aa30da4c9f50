import FlowCore
import FlowIngest
@testable import FlowStore
import Foundation
import Testing
import TestSupport

@Suite("Bitcoin store")
struct BitcoinStoreTests {
    private func freshStore(_ dir: URL, _ name: String = "store.sqlite") throws -> Store {
        try Store(path: dir.appendingPathComponent(name).path)
    }

    /// Acceptance 1: every real block file ingests; hashes, heights and counts match the data README.
    @Test func everyRealBlockFileIngestsWithTheKnownHashesHeightsAndCounts() throws {
        try withTemporaryDirectory { dir in
            let store = try freshStore(dir)
            try StoreBuilder.ingestRaw(Paths.rawBlockFiles + Paths.blkFiles + [Paths.shared("btc/raw-blocks/tx-megatx-5569-inputs.bin")],
                                       into: store)
            for known in RealData.rawBlocks {
                let row = try store.db.prepare("SELECT height, tx_count FROM blocks WHERE lower(hex(hash)) = ?1")
                    .rows([.text(known.hash)]) { ($0.optionalInt(0), $0.int(1)) }
                let (height, count) = try #require(row.first, "\(known.file) is stored")
                #expect(count == Int64(known.transactions), "\(known.file)")
                if known.height == 169_482 {
                    // Pre-BIP 34, version 1 and no stored neighbour: nothing in the data states its height.
                    #expect(height == nil)
                } else {
                    #expect(height == known.height.map(Int64.init), "\(known.file)")
                }
            }
            // 227835 has no BIP 34 height; it gets it from its stored child 227836.
            let stats = try store.stats()
            #expect(stats.blocks == 439 + 12 + 1)
            #expect(stats.blocksWithoutHeight == 1)
            #expect(try store.db.scalarInt("SELECT tx_count FROM blocks WHERE height = 277647") == 213)
            // Merkle roots stored are the headers'; the parser recomputed them (see RawBlockTests).
            #expect(try store.db.scalarInt("SELECT count(*) FROM blocks WHERE height BETWEEN 0 AND 438") == 439)
            // Blocks 0–438 resolve every input.
            #expect(try store.db.scalarInt("""
                SELECT count(*) FROM inputs i JOIN transactions t ON t.id = i.tx_id JOIN blocks b ON b.id = t.block_id
                WHERE b.height <= 438 AND i.prev_tx_id IS NULL
                """) == 0)
            #expect(try store.db.scalarInt("""
                SELECT count(*) FROM inputs i JOIN transactions t ON t.id = i.tx_id JOIN blocks b ON b.id = t.block_id
                WHERE b.height <= 438
                """) ?? 0 > 0)
            // The first person-to-person transfer.
            let tx = try #require(try store.transaction(txid: Hash256(displayHex: "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16")!))
            #expect(tx.blockHeight == 170)
            #expect(tx.outputs[0].address == "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3")
            #expect(tx.outputs[0].value == "1000000000")
            #expect(tx.fee == "0")
            let hal = try #require(try store.addressHistory("1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3"))
            #expect(hal.received == "1000000000")
            #expect(hal.isDerivedFromPublicKey)
        }
    }

    /// Acceptance 4: sum of inputs == sum of outputs + fee for every resolved non-coinbase transaction.
    @Test func everyResolvedTransactionConservesValue() throws {
        try withTemporaryDirectory { dir in
            let store = try freshStore(dir)
            try StoreBuilder.ingestRaw(Paths.rawBlockFiles + Paths.blkFiles, into: store)
            let checked = try store.db.scalarInt("""
                SELECT count(*) FROM transactions t WHERE t.is_coinbase = 0 AND t.unknown_inputs = 0
                """) ?? 0
            #expect(checked > 300)
            let violations = try store.db.scalarInt("""
                SELECT count(*) FROM transactions t WHERE t.is_coinbase = 0 AND t.unknown_inputs = 0 AND
                  (SELECT sum(value) FROM inputs WHERE tx_id = t.id) != (SELECT sum(value) FROM outputs WHERE tx_id = t.id) + t.fee
                """)
            #expect(violations == 0)
            #expect(try store.db.scalarInt("SELECT count(*) FROM transactions WHERE fee < 0") == 0)
            // A coinbase claims at most subsidy + the fees of its block (where every fee is known).
            let overpaid = try store.db.scalarInt("""
                SELECT count(*) FROM blocks b JOIN transactions cb ON cb.block_id = b.id AND cb.is_coinbase = 1
                WHERE b.height IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.block_id = b.id AND t.is_coinbase = 0 AND t.fee IS NULL)
                  AND cb.output_value > (5000000000 >> (b.height / 210000))
                      + (SELECT coalesce(sum(fee), 0) FROM transactions t WHERE t.block_id = b.id AND t.is_coinbase = 0)
                """)
            #expect(overpaid == 0)
        }
    }

    @Test func blocksInAnyOrderGiveTheSameStore() throws {
        try withTemporaryDirectory { dir in
            let blocks = try StoreBuilder.rawBlocks(ofBlkFile: Paths.shared("btc/blk-files/blocks-0-438.blk"))
            var rng = SeededRandom(seed: 7)
            let shuffled = blocks.shuffled(using: &rng)
            let url = dir.appendingPathComponent("shuffled.blk")
            try StoreBuilder.writeBlkFile(shuffled, to: url)

            let inOrder = try freshStore(dir, "a.sqlite")
            try StoreBuilder.ingestRaw([Paths.shared("btc/blk-files/blocks-0-438.blk")], into: inOrder)
            let outOfOrder = try freshStore(dir, "b.sqlite")
            try StoreBuilder.ingestRaw([url.path], into: outOfOrder)

            #expect(try outOfOrder.stats().unresolvedInputs == 0)
            #expect(try outOfOrder.stats().maxHeight == 438)
            #expect(try outOfOrder.stats().transactionsWithUnknownFee == 0)
            #expect(try StoreBuilder.dump(outOfOrder) == StoreBuilder.dump(inOrder))
        }
    }

    @Test func separateRunsInReverseOrderResolveEverythingAndKeepTheIndexes() throws {
        try withTemporaryDirectory { dir in
            let blocks = try StoreBuilder.rawBlocks(ofBlkFile: Paths.shared("btc/blk-files/blocks-0-438.blk"))
            let early = dir.appendingPathComponent("early.blk"), late = dir.appendingPathComponent("late.blk")
            try StoreBuilder.writeBlkFile(Array(blocks[..<220]), to: early)
            try StoreBuilder.writeBlkFile(Array(blocks[220...]), to: late)
            let split = try freshStore(dir, "split.sqlite")
            try StoreBuilder.ingestRaw([late.path], into: split)
            #expect(try split.stats().unresolvedInputs > 0)
            #expect(try split.stats().blocksWithoutHeight == 219)
            try StoreBuilder.ingestRaw([early.path], into: split)
            let whole = try freshStore(dir, "whole.sqlite")
            try StoreBuilder.ingestRaw([Paths.shared("btc/blk-files/blocks-0-438.blk")], into: whole)
            #expect(try split.stats().unresolvedInputs == 0)
            #expect(try split.stats().blocksWithoutHeight == 0)
            #expect(try StoreBuilder.dump(split) == StoreBuilder.dump(whole))
            let indexes = Set(try split.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").rows { $0.text(0) })
            for index in ["outputs_address", "inputs_spends", "inputs_address", "transactions_block", "inputs_waiting"] {
                #expect(indexes.contains(index), "\(index)")
            }
        }
    }

    /// Writers on one connection reuse each other's resolution state; a write from another connection in between
    /// makes the next writer reload it (stale txid prefixes would leave spends of that write unresolved).
    @Test func stateCarriedBetweenWritersIsDroppedWhenAnotherConnectionWrites() throws {
        try withTemporaryDirectory { dir in
            let blocks = try StoreBuilder.rawBlocks(ofBlkFile: Paths.shared("btc/blk-files/blocks-0-438.blk"))
            let early = dir.appendingPathComponent("early.blk"), middle = dir.appendingPathComponent("middle.blk")
            let late = dir.appendingPathComponent("late.blk")
            try StoreBuilder.writeBlkFile(Array(blocks[..<110]), to: early)
            try StoreBuilder.writeBlkFile(Array(blocks[110..<220]), to: middle)
            try StoreBuilder.writeBlkFile(Array(blocks[220...]), to: late)
            let path = dir.appendingPathComponent("shared.sqlite").path
            let first = try Store(path: path)
            try StoreBuilder.ingestRaw([late.path], into: first)
            try StoreBuilder.ingestRaw([early.path], into: Store(path: path))  // another connection
            try StoreBuilder.ingestRaw([middle.path], into: first)
            let whole = try freshStore(dir, "whole.sqlite")
            try StoreBuilder.ingestRaw([Paths.shared("btc/blk-files/blocks-0-438.blk")], into: whole)
            #expect(try first.stats().unresolvedInputs == 0)
            #expect(try StoreBuilder.dump(first) == StoreBuilder.dump(whole))
        }
    }

    @Test func reingestingChangesNothingAndOverlapsAreSkipped() throws {
        try withTemporaryDirectory { dir in
            let store = try freshStore(dir)
            try StoreBuilder.ingestRaw([Paths.shared("btc/blk-files/blocks-0-438.blk")], into: store)
            let before = try StoreBuilder.dump(store)
            let again = try StoreBuilder.ingestRaw([Paths.shared("btc/blk-files/blocks-0-438.blk"),
                                                    Paths.shared("btc/blk-files/blocks-1-255.blk")], into: store)
            #expect(again.blocks == 0 && again.transactions == 0 && again.outputs == 0)
            #expect(try StoreBuilder.dump(store) == before)
        }
    }

    /// Acceptance 2: the recorded getblock replies agree field by field with the blk-file blocks.
    @Test func rpcRepliesAgreeWithBlkFileBlocks() throws {
        try withTemporaryDirectory { dir in
            let fromBlk = try freshStore(dir, "blk.sqlite")
            let blocks = try StoreBuilder.rawBlocks(ofBlkFile: Paths.shared("btc/blk-files/blocks-0-438.blk"))
            let two = dir.appendingPathComponent("two.blk")
            try StoreBuilder.writeBlkFile(Array(blocks.prefix(2)), to: two)
            try StoreBuilder.ingestRaw([two.path], into: fromBlk)

            let fromRPC = try freshStore(dir, "rpc.sqlite")
            let writer = try BitcoinWriter(store: fromRPC, source: SourceDescription(path: "rpc", sha256: nil, format: "btc-rpc-json",
                                                                                  chain: .bitcoin(.mainnet), bytes: nil))
            for name in ["block_0/rpc_response_getblock_000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f_2.json",
                         "block_1/rpc_response_getblock_00000000839a8e6886ab5951d76f411475428afc90947ee320161bbf18eb6048_2.json"] {
                for record in try BitcoinRPCDecoder(network: .mainnet).records(from: JSONFile.read(path: Paths.shared("btc/bitcoin-core-rpc/\(name)"))) {
                    guard case .block(let b) = record else { Issue.record("\(name) is not a block"); continue }
                    try writer.add(block: b)
                }
            }
            try writer.finish()
            #expect(try StoreBuilder.dump(fromRPC) == StoreBuilder.dump(fromBlk))
            #expect(try fromRPC.stats().blocks == 2)
        }
    }

    @Test func etlAndRpcAndEsploraSourcesAgreeOnTheSameTransactions() throws {
        try withTemporaryDirectory { dir in
            // bitcoin-etl's export of blocks 50001–50002 vs the getblock replies it was made from.
            let etl = try freshStore(dir, "etl.sqlite")
            let w1 = try BitcoinWriter(store: etl, source: SourceDescription(path: "etl", sha256: nil, format: "btc-etl", chain: .bitcoin(.mainnet), bytes: nil))
            try JSONFile.forEachLine(path: Paths.shared("btc/bitcoin-core-rpc/stream_50001_50002/expected_transactions.json")) { v, _ in
                if case .transactions(let t, let i, let r) = try BitcoinETLDecoder(network: .mainnet).record(from: v, at: "") {
                    try w1.add(transactions: t, indexes: i, in: r)
                }
            }
            try w1.finish()
            let rpc = try freshStore(dir, "rpc.sqlite")
            let w2 = try BitcoinWriter(store: rpc, source: SourceDescription(path: "rpc", sha256: nil, format: "btc-rpc-json", chain: .bitcoin(.mainnet), bytes: nil))
            for f in ["rpc_response_getblock_000000001c920d495e1eeef2452b6d1c6c229a919b28196c103ecffebabee141_2.json",
                      "rpc_response_getblock_000000002066d7f9b134c30b5005b7bf5fbfa52f279883f1fde793dcdc964266_2.json"] {
                for r in try BitcoinRPCDecoder(network: .mainnet).records(from: JSONFile.read(path: Paths.shared("btc/bitcoin-core-rpc/stream_50001_50002/\(f)"))) {
                    if case .block(let b) = r { try w2.add(block: b) }
                }
            }
            try w2.finish()
            for txid in try etl.db.prepare("SELECT lower(hex(txid)) FROM transactions").rows([], { $0.text(0) }) {
                let h = Hash256(displayHex: txid)!
                let a = try #require(try etl.transaction(txid: h))
                let b = try #require(try rpc.transaction(txid: h))
                #expect(a.outputs == b.outputs, "\(txid)")
                #expect(a.blockHeight == b.blockHeight && a.blockHash == b.blockHash && a.time == b.time)
                #expect(a.inputs.map(\.prevTxid) == b.inputs.map(\.prevTxid))
            }
            // The export states input values; the getblock replies alone cannot, so only the export knows these fees.
            #expect(try etl.stats().transactionsWithUnknownFee == 0)

            // Esplora replies for block 170, then the raw block: the transactions are completed, not duplicated.
            let esplora = try freshStore(dir, "esplora.sqlite")
            let w3 = try BitcoinWriter(store: esplora, source: SourceDescription(path: "e", sha256: nil, format: "esplora-json", chain: .bitcoin(.mainnet), bytes: nil))
            for r in try EsploraDecoder(network: .mainnet).records(from: JSONFile.read(path: Paths.fixture("btc/esplora/block-170-txs.json"))) {
                if case .transactions(let t, let i, let ref) = r { try w3.add(transactions: t, indexes: i, in: ref) }
            }
            try w3.finish()
            let hal = try #require(try esplora.addressHistory("1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3"))
            #expect(hal.balance == "1000000000")
            let spend = try #require(try esplora.transaction(txid: Hash256(displayHex: "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16")!))
            #expect(spend.fee == "0")
            #expect(spend.blockHeight == 170)
            #expect(try esplora.stats().completeBlocks == 0)
            try StoreBuilder.ingestRaw([Paths.shared("btc/blk-files/blocks-0-438.blk")], into: esplora)
            let s = try esplora.stats()
            #expect(s.transactions == 446)
            #expect(s.completeBlocks == 439)
            #expect(s.unresolvedInputs == 0)
            let completed = try #require(try esplora.transaction(txid: Hash256(displayHex: "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16")!))
            #expect(completed.blockIndex == 1)
            #expect(completed.outputs[1].spentBy != nil)
        }
    }

    @Test func aBadBlockKeepsTheCompleteBlocksBeforeItAndNothingOfItself() throws {
        try withTemporaryDirectory { dir in
            let blocks = try StoreBuilder.rawBlocks(ofBlkFile: Paths.shared("btc/blk-files/blocks-0-438.blk"))
            var broken = blocks
            broken[200] = Array(broken[200].dropLast(3))  // the frame size matches, but the block is cut
            let url = dir.appendingPathComponent("broken.blk")
            try StoreBuilder.writeBlkFile(broken, to: url)
            let store = try freshStore(dir)
            #expect(throws: IngestError.self) { try StoreBuilder.ingestRaw([url.path], into: store) }
            let s = try store.stats()
            #expect(s.blocks == 200)
            #expect(s.maxHeight == 199)
            let log = try store.db.prepare("SELECT status, blocks_added, error FROM sources").rows { ($0.text(0), $0.int(1), $0.optionalText(2)) }
            #expect(log.count == 1 && log[0].0 == "failed" && log[0].1 == 200)
            #expect(log[0].2?.contains("byte offset") == true)
        }
    }
}

@Suite("Bulk-load policy")
struct BulkLoadPolicyTests {
    @Test func indexesAreDeferredOnlyWhenTheRebuildIsCheapOrTheInputIsLarge() {
        #expect(BitcoinWriter.shouldDeferIndexes(storedTransactions: 0, sourceBytes: nil))
        #expect(BitcoinWriter.shouldDeferIndexes(storedTransactions: 150_000, sourceBytes: 1_000))
        // A node top-up (no size known) or a small file into a big store keeps the indexes.
        #expect(!BitcoinWriter.shouldDeferIndexes(storedTransactions: 5_000_000, sourceBytes: nil))
        #expect(!BitcoinWriter.shouldDeferIndexes(storedTransactions: 5_000_000, sourceBytes: 2_000_000))
        // A blk file bigger than the store (128 MiB ≈ 335k transactions) into a 300k-transaction store defers them.
        #expect(BitcoinWriter.shouldDeferIndexes(storedTransactions: 300_000, sourceBytes: 134_217_728))
    }
}
