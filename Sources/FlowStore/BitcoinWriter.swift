import FlowCore
import Foundation

/// What one ingest run added.
public struct IngestCounts: Sendable, Equatable {
    public var blocks = 0
    public var blocksAlreadyStored = 0
    public var transactions = 0
    public var transactionsAlreadyStored = 0
    public var outputs = 0
    public var inputs = 0
    public var addresses = 0
    /// Inputs of earlier-stored transactions that this run's outputs resolved.
    public var lateResolvedInputs = 0
    public init() {}

    /// Rows written to the main tables.
    public var rows: Int { blocks + transactions + outputs + inputs + addresses }
}

/// Describes the input an ingest run reads, for the ingest log.
public struct SourceDescription: Sendable {
    public var path: String
    public var sha256: String?
    public var format: String
    public var chain: Chain
    public var bytes: Int?
    public init(path: String, sha256: String?, format: String, chain: Chain, bytes: Int?) {
        self.path = path; self.sha256 = sha256; self.format = format; self.chain = chain; self.bytes = bytes
    }
}

/// Writes Bitcoin blocks and transactions into the store in batched transactions with reused statements.
///
/// Each block is all-or-nothing (a savepoint inside the batch transaction); a batch commits every
/// ``batchRows`` rows and at ``finish()``. Inputs are linked to the outputs they spend whenever both are
/// stored, whatever the order they arrive in; fees follow once every input's value is known.
public final class BitcoinWriter {
    public let store: Store
    public let source: SourceDescription
    public private(set) var counts = IngestCounts()
    /// Rows per committed transaction.
    public var batchRows = 200_000
    /// Called after each commit with the counts so far (progress reporting, and tests that interrupt ingest).
    public var onCommit: ((IngestCounts) -> Void)?

    private var db: Database { store.db }
    private let chain: String
    private let network: BitcoinNetwork
    private let batch: IngestBatch
    private var rowsInBatch = 0
    /// The first 8 bytes of every stored txid: an outpoint whose txid is absent here cannot be in the store, so the
    /// SQL lookup is skipped (most inputs of isolated blocks). `nil` for stores too large to hold it in memory.
    private var storedTxidPrefixes: Set<UInt64>?
    /// Stores with fewer transactions than this always defer their indexes (rebuilding them takes well under a second).
    public static let smallStoreTransactions: Int64 = 200_000
    /// Serialised bytes per transaction, on average, used to guess how many transactions an input holds.
    static let bytesPerTransactionEstimate = 400

    /// Whether to drop and rebuild the secondary indexes: only when the rebuild is cheap or the input is larger than
    /// what the store already holds (a small top-up of a big store keeps its indexes).
    static func shouldDeferIndexes(storedTransactions: Int64, sourceBytes: Int?) -> Bool {
        if storedTransactions < smallStoreTransactions { return true }
        guard let bytes = sourceBytes else { return false }
        return Int64(bytes / bytesPerTransactionEstimate) > storedTransactions
    }
    /// Stored inputs whose spent output is not stored yet, by the txid they wait for: loaded at start, kept up to
    /// date, so resolving needs no query (and a bulk load can defer the `inputs_waiting` index).
    private var waiting: [Hash256: [WaitingInput]] = [:]

    // Caches valid only while their rows are committed or in the open batch; cleared on rollback.
    private let addresses: AddressInterner
    private struct Spendable { var txRow: Int64; var value: Int64; var addressID: Int64 }
    private struct OutPoint: Hashable { var txid: Hash256; var vout: UInt32 }
    private var recentOutputs: [OutPoint: Spendable] = [:]

    private let insertBlock, findBlock, completeBlock: Statement
    private let insertTx, findTx: Statement
    private let insertOutput, insertInput, findOutput: Statement
    private let linkInput, relinkTotals: Statement
    private let setHeight, blockByHash, childrenOf: Statement

    /// Starts an ingest run of `source`, recording it in the ingest log.
    public init(store: Store, source: SourceDescription) throws {
        self.store = store
        self.source = source
        chain = source.chain.identifier
        switch source.chain {
        case .bitcoin(let net): network = net
        case .named(let name):
            throw StoreError(resultCode: 21, message: "Bitcoin data cannot be stored under chain '\(name)'", path: source.path)
        }
        let db = store.db
        insertBlock = try db.prepare("""
            INSERT INTO blocks(hash, chain, height, prev_hash, time, version, merkle_root, bits, nonce, tx_count, size,
                               stripped_size, weight, is_complete, source_id)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
            """)
        findBlock = try db.prepare("SELECT id, is_complete, height FROM blocks WHERE hash = ?1")
        completeBlock = try db.prepare("""
            UPDATE blocks SET prev_hash = ?2, time = ?3, version = ?4, merkle_root = ?5, bits = ?6, nonce = ?7,
                tx_count = ?8, size = ?9, stripped_size = ?10, weight = ?11, is_complete = 1,
                height = coalesce(height, ?12) WHERE id = ?1
            """)
        insertTx = try db.prepare("""
            INSERT INTO transactions(txid, block_id, block_index, version, lock_time, size, weight, is_coinbase,
                input_count, output_count, output_value, known_input_value, unknown_inputs, fee)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
            ON CONFLICT(txid) DO NOTHING
            """)
        findTx = try db.prepare("SELECT id, block_id FROM transactions WHERE txid = ?1")
        insertOutput = try db.prepare("INSERT INTO outputs(tx_id, vout, value, address_id, script_type) VALUES (?1, ?2, ?3, ?4, ?5)")
        insertInput = try db.prepare("""
            INSERT INTO inputs(tx_id, vin, prev_txid, prev_vout, sequence, prev_tx_id, value, address_id)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
            """)
        findOutput = try db.prepare("""
            SELECT o.tx_id, o.value, o.address_id FROM transactions t JOIN outputs o ON o.tx_id = t.id AND o.vout = ?2
            WHERE t.txid = ?1
            """)
        linkInput = try db.prepare("UPDATE inputs SET prev_tx_id = ?3, value = ?4, address_id = ?5 WHERE tx_id = ?1 AND vin = ?2")
        relinkTotals = try db.prepare("""
            UPDATE transactions SET
                known_input_value = (SELECT coalesce(sum(value), 0) FROM inputs WHERE tx_id = ?1),
                unknown_inputs = (SELECT count(*) FROM inputs WHERE tx_id = ?1 AND value IS NULL)
            WHERE id = ?1;
            """)
        setHeight = try db.prepare("UPDATE blocks SET height = ?2 WHERE id = ?1")
        blockByHash = try db.prepare("SELECT id, height, prev_hash FROM blocks WHERE hash = ?1")
        childrenOf = try db.prepare("SELECT id, height, hash FROM blocks WHERE prev_hash = ?1")

        addresses = try AddressInterner(store: store)
        let storedTransactions = try db.scalarInt("SELECT count(*) FROM transactions") ?? 0
        batch = try IngestBatch(store: store, source: source, group: .bitcoin,
                                deferIndexes: BitcoinWriter.shouldDeferIndexes(storedTransactions: storedTransactions, sourceBytes: source.bytes))
        // Reuse what the previous writer on this Store knew, unless anyone has committed since (then reload).
        if let carried = store.bitcoinResolution, carried.generation == (try store.generation()) {
            waiting = carried.waiting
            storedTxidPrefixes = carried.txidPrefixes
        } else {
            try loadWaiting()
            if storedTransactions < 20_000_000 {
                var prefixes = Set<UInt64>(minimumCapacity: Int(storedTransactions) + 1 << 16)
                for p in try db.prepare("SELECT txid FROM transactions").rows([], { Hash256(internalBytes: $0.blob(0).reversed()).w0 }) {
                    prefixes.insert(p)
                }
                storedTxidPrefixes = prefixes
            }
        }
        store.bitcoinResolution = nil
        recentOutputs.reserveCapacity(1 << 16)
    }

    private func loadWaiting() throws {
        waiting = [:]
        for w in try db.prepare("SELECT prev_txid, tx_id, vin, prev_vout, value FROM inputs WHERE prev_tx_id IS NULL").rows([], {
            (Hash256(internalBytes: $0.blob(0).reversed()), WaitingInput(txRow: $0.int(1), vin: $0.int(2), vout: UInt32($0.int(3)), value: $0.optionalInt(4)))
        }) {
            waiting[w.0, default: []].append(w.1)
        }
    }

    // MARK: Batches

    private var logCounts: [String: Int] {
        ["blocks_added": counts.blocks, "transactions_added": counts.transactions, "outputs_added": counts.outputs,
         "inputs_added": counts.inputs]
    }

    /// Commits the open batch, if any, recording progress in the ingest log.
    public func commit() throws {
        guard try batch.commit(counts: logCounts) else { return }
        rowsInBatch = 0
        if recentOutputs.count > 2_000_000 { recentOutputs.removeAll(keepingCapacity: true) }
        onCommit?(counts)
    }

    /// Commits what is pending and marks the source complete (or failed, with the error that stopped it).
    public func finish(error: String? = nil) throws {
        try commit()
        try batch.finish(counts: logCounts, error: error)
        // Hand the in-memory resolution state to the next writer (a rolled-back unit may leave extra txid prefixes:
        // they only cost a lookup).
        store.bitcoinResolution = BitcoinResolutionState(generation: try store.generation(), txidPrefixes: storedTxidPrefixes,
                                                         waiting: waiting)
    }

    /// Runs `body` as one all-or-nothing unit inside the batch.
    private func atomically(_ body: () throws -> Void) throws {
        try batch.beginIfNeeded()
        let saved = counts
        try db.execute("SAVEPOINT unit")
        do {
            try body()
            try db.execute("RELEASE unit")
        } catch {
            try? db.execute("ROLLBACK TO unit")
            try? db.execute("RELEASE unit")
            counts = saved
            addresses.reset()
            recentOutputs.removeAll()
            try? loadWaiting()
            throw error
        }
        if rowsInBatch >= batchRows { try commit() }
    }

    // MARK: Blocks

    /// Adds a whole block. A block already stored completely is skipped; one known only by reference is completed.
    /// - Returns: `true` when the block was new or completed.
    @discardableResult
    public func add(block: BitcoinBlock) throws -> Bool {
        var added = false
        try atomically {
            let hashBytes = block.hash.displayBytes
            try findBlock.bind([.blob(hashBytes)])
            var blockRow: Int64
            if try findBlock.step() {
                blockRow = findBlock.int(0)
                let complete = findBlock.int(1) != 0
                findBlock.reset()
                if complete {
                    counts.blocksAlreadyStored += 1
                    return
                }
                let h = block.header
                try completeBlock.bind([
                    .int(blockRow), .blob(h.previousHash.displayBytes), .int(Int64(h.timestampUnix)), .int(Int64(h.version)),
                    .blob(h.merkleRoot.displayBytes), .int(Int64(h.bits)), .int(Int64(h.nonce)),
                    .int(Int64(block.transactions.count)), .int(Int64(block.size)), .int(Int64(block.strippedSize)),
                    .int(Int64(block.weight)), block.height.map { .int(Int64($0)) } ?? .null,
                ])
                try completeBlock.run()
            } else {
                findBlock.reset()
                let h = block.header
                let s = insertBlock
                s.reset()
                s.bind(1, blob: hashBytes); s.bind(2, chain); s.bind(3, block.height.map(Int64.init))
                s.bind(4, blob: h.previousHash.displayBytes); s.bind(5, Int64(h.timestampUnix)); s.bind(6, Int64(h.version))
                s.bind(7, blob: h.merkleRoot.displayBytes); s.bind(8, Int64(h.bits)); s.bind(9, Int64(h.nonce))
                s.bind(10, block.transactions.count); s.bind(11, block.size); s.bind(12, block.strippedSize)
                s.bind(13, block.weight); s.bind(14, Int64(1)); s.bind(15, batch.sourceID)
                try s.run()
                blockRow = db.lastInsertRowID
            }
            counts.blocks += 1
            rowsInBatch += 1
            for (i, tx) in block.transactions.enumerated() {
                try add(transaction: tx, blockRow: blockRow, index: i)
            }
            try deriveHeight(blockRow: blockRow, block: block)
            added = true
        }
        return added
    }

    /// Adds transactions whose block is known only by reference (Esplora, bitcoin-etl), or unconfirmed (`nil`).
    /// Each call is all-or-nothing. `indexes` gives each transaction's position in its block when known.
    public func add(transactions: [BitcoinTransaction], indexes: [Int?], in reference: BitcoinBlockReference?) throws {
        try atomically {
            var blockRow: Int64?
            if let ref = reference {
                try findBlock.bind([.blob(ref.hash.displayBytes)])
                if try findBlock.step() {
                    let row = findBlock.int(0)
                    blockRow = row
                    let knownHeight = findBlock.optionalInt(2)
                    findBlock.reset()
                    if knownHeight == nil, let h = ref.height {
                        try setHeightAndPropagate(blockRow: row, height: Int64(h))
                    }
                } else {
                    findBlock.reset()
                    let s = insertBlock
                    s.reset()
                    s.bind(1, blob: ref.hash.displayBytes); s.bind(2, chain); s.bind(3, ref.height.map(Int64.init))
                    s.bind(5, ref.timestampUnix.map(Int64.init)); s.bind(14, Int64(0)); s.bind(15, batch.sourceID)
                    try s.run()
                    blockRow = db.lastInsertRowID
                    counts.blocks += 1
                    rowsInBatch += 1
                }
            }
            for (tx, index) in zip(transactions, indexes) {
                try add(transaction: tx, blockRow: blockRow, index: index)
            }
        }
    }

    // MARK: Transactions

    private struct ResolvedInput { var spent: Spendable?; var value: Int64?; var addressID: Int64? }

    private func add(transaction tx: BitcoinTransaction, blockRow: Int64?, index: Int?) throws {
        // Look up what each input spends before writing anything, so the transaction row is written once, complete.
        var resolved: [ResolvedInput] = []
        resolved.reserveCapacity(tx.inputs.count)
        var knownValue: Int64 = 0
        var unknown = 0
        for (vin, input) in tx.inputs.enumerated() {
            let outpoint = OutPoint(txid: input.previousTxid, vout: input.previousVout)
            var spent = recentOutputs[outpoint]
            if spent == nil && storedTxidPrefixes?.contains(input.previousTxid.w0) != false {
                findOutput.rewind()
                findOutput.bind(1, displayHash: input.previousTxid)
                findOutput.bind(2, Int64(input.previousVout))
                if try findOutput.step() {
                    spent = Spendable(txRow: findOutput.int(0), value: findOutput.int(1), addressID: findOutput.int(2))
                }
                findOutput.rewind()
            }
            var value: Int64? = spent?.value
            var addressID: Int64? = spent?.addressID
            if let prevout = input.prevout {
                if let v = value, v != prevout.valueSats {
                    throw StoreError(resultCode: 19, message: "input \(vin) of \(tx.txid) states \(prevout.valueSats) sat "
                                     + "but the output it spends holds \(v) sat", path: source.path)
                }
                value = prevout.valueSats
                if addressID == nil { addressID = try internAddress(prevout.address) }
            }
            if let value { knownValue += value } else { unknown += 1 }
            resolved.append(ResolvedInput(spent: spent, value: value, addressID: addressID))
        }
        var fee: Int64?
        if !tx.inputs.isEmpty && unknown == 0 {
            fee = knownValue - tx.outputValueSats
            if let fee, fee < 0 {
                throw StoreError(resultCode: 19, message: "transaction \(tx.txid) spends \(knownValue) sat but creates "
                                 + "\(tx.outputValueSats) sat", path: source.path)
            }
            if let stated = tx.statedFeeSats, let fee, stated != fee {
                throw StoreError(resultCode: 19, message: "transaction \(tx.txid): stated fee \(stated) sat, computed \(fee) sat",
                                 path: source.path)
            }
        }

        let s = insertTx
        s.rewind()
        s.bind(1, displayHash: tx.txid); s.bind(2, blockRow); s.bind(3, index.map(Int64.init))
        s.bind(4, Int64(tx.version)); s.bind(5, Int64(tx.lockTime)); s.bind(6, tx.size); s.bind(7, tx.weight)
        s.bind(8, Int64(tx.isCoinbase ? 1 : 0)); s.bind(9, tx.inputs.count); s.bind(10, tx.outputs.count)
        s.bind(11, tx.outputValueSats); s.bind(12, knownValue); s.bind(13, unknown); s.bind(14, fee)
        try s.run()
        guard db.changes == 1 else {
            let txidBytes = tx.txid.displayBytes
            // Already stored (same transaction from another source, or from a stale fork's block: the first block wins).
            counts.transactionsAlreadyStored += 1
            if let blockRow {
                // Attach it to this block if it had none, and learn its position if only the block was known.
                let u = try db.prepare("""
                    UPDATE transactions SET block_id = ?2, block_index = coalesce(block_index, ?3)
                    WHERE txid = ?1 AND (block_id IS NULL OR block_id = ?2)
                    """)
                try u.bind([.blob(txidBytes), .int(blockRow), index.map { .int(Int64($0)) } ?? .null])
                try u.run()
            }
            if tx.inputs.contains(where: { $0.prevout != nil }) { try enrichInputs(of: tx, txidBytes: txidBytes) }
            return
        }
        let txRow = db.lastInsertRowID
        storedTxidPrefixes?.insert(tx.txid.w0)
        counts.transactions += 1
        rowsInBatch += 1

        var outputRows: [Spendable] = []
        outputRows.reserveCapacity(tx.outputs.count)
        for (vout, out) in tx.outputs.enumerated() {
            let addressID = try internAddress(out.address)
            let o = insertOutput
            o.rewind()
            o.bind(1, txRow); o.bind(2, vout); o.bind(3, out.valueSats); o.bind(4, addressID)
            o.bind(5, out.address.scriptType.rawValue)
            try o.run()
            let spendable = Spendable(txRow: txRow, value: out.valueSats, addressID: addressID)
            outputRows.append(spendable)
            recentOutputs[OutPoint(txid: tx.txid, vout: UInt32(vout))] = spendable
        }
        counts.outputs += tx.outputs.count
        rowsInBatch += tx.outputs.count

        if let waitingHere = waiting[tx.txid] { try resolveWaiting(waitingHere, for: tx.txid, outputs: outputRows) }

        for (vin, input) in tx.inputs.enumerated() {
            let r = resolved[vin]
            if r.spent != nil { recentOutputs.removeValue(forKey: OutPoint(txid: input.previousTxid, vout: input.previousVout)) }
            let i = insertInput
            i.rewind()
            i.bind(1, txRow); i.bind(2, vin); i.bind(3, displayHash: input.previousTxid)
            i.bind(4, Int64(input.previousVout)); i.bind(5, Int64(input.sequence)); i.bind(6, r.spent?.txRow)
            i.bind(7, r.value); i.bind(8, r.addressID)
            try i.run()
            if r.spent == nil {
                waiting[input.previousTxid, default: []].append(
                    WaitingInput(txRow: txRow, vin: Int64(vin), vout: input.previousVout, value: r.value))
            }
        }
        counts.inputs += tx.inputs.count
        rowsInBatch += tx.inputs.count
    }

    /// Fills in input values and addresses a later source states for a transaction stored without them.
    private func enrichInputs(of tx: BitcoinTransaction, txidBytes: [UInt8]) throws {
        try findTx.bind([.blob(txidBytes)])
        guard try findTx.step() else { findTx.reset(); return }
        let txRow = findTx.int(0)
        findTx.reset()
        let fill = try db.prepare("UPDATE inputs SET value = ?3, address_id = ?4 WHERE tx_id = ?1 AND vin = ?2 AND value IS NULL")
        var changed = false
        for (vin, input) in tx.inputs.enumerated() {
            guard let p = input.prevout else { continue }
            try fill.bind([.int(txRow), .int(Int64(vin)), .int(p.valueSats), .int(try internAddress(p.address))])
            try fill.run()
            changed = changed || db.changes > 0
        }
        guard changed else { return }
        try relinkTotals.bind([.int(txRow)])
        try relinkTotals.run()
        try db.execute("UPDATE transactions SET fee = CASE WHEN unknown_inputs = 0 THEN known_input_value - output_value END WHERE id = \(txRow)")
        if let fee = try db.scalarInt("SELECT fee FROM transactions WHERE id = \(txRow)"), fee < 0 {
            throw StoreError(resultCode: 19, message: "transaction \(tx.txid): stated input values are less than its outputs",
                             path: source.path)
        }
    }

    /// Links inputs stored earlier that spend outputs of the transaction just added.
    private func resolveWaiting(_ inputs: [WaitingInput], for txid: Hash256, outputs: [Spendable]) throws {
        var touched = Set<Int64>()
        var stillWaiting: [WaitingInput] = []
        for w in inputs {
            guard Int(w.vout) < outputs.count else { stillWaiting.append(w); continue }  // no such output: stays unresolved
            let out = outputs[Int(w.vout)]
            if let stated = w.value, stated != out.value {
                throw StoreError(resultCode: 19, message: "an earlier input states \(stated) sat for \(txid):\(w.vout), "
                                 + "which holds \(out.value) sat", path: source.path)
            }
            try linkInput.bind([.int(w.txRow), .int(w.vin), .int(out.txRow), .int(out.value), .int(out.addressID)])
            try linkInput.run()
            recentOutputs.removeValue(forKey: OutPoint(txid: txid, vout: w.vout))
            touched.insert(w.txRow)
            counts.lateResolvedInputs += 1
        }
        waiting[txid] = stillWaiting.isEmpty ? nil : stillWaiting
        for tx in touched {
            try relinkTotals.bind([.int(tx)])
            try relinkTotals.run()
            try db.execute("UPDATE transactions SET fee = CASE WHEN unknown_inputs = 0 THEN known_input_value - output_value END WHERE id = \(tx)")
        }
    }

    private func internAddress(_ address: ScriptAddress) throws -> Int64 {
        let before = addresses.added
        let id = try addresses.id(of: address.text, scriptType: address.scriptType, publicKey: address.publicKey)
        if addresses.added != before {
            counts.addresses += 1
            rowsInBatch += 1
        }
        return id
    }

    // MARK: Heights

    /// Derives a new block's height — stated by the source, genesis, parent + 1, BIP 34, or child − 1 —
    /// and propagates it along stored prev-hash links in both directions.
    private func deriveHeight(blockRow: Int64, block: BitcoinBlock) throws {
        var height: Int64? = block.height.map(Int64.init)
        if let stated = height {
            try blockByHash.bind([.blob(block.header.previousHash.displayBytes)])
            let parentHeight = try blockByHash.step() ? blockByHash.optionalInt(1) : nil
            blockByHash.reset()
            if let p = parentHeight, p + 1 != stated {
                throw StoreError(resultCode: 19, message: "block \(block.hash) is stated at height \(stated) but its stored parent is at \(p)",
                                 path: source.path)
            }
        }
        if height == nil, block.hash == network.genesisHash { height = 0 }
        if height == nil {
            try blockByHash.bind([.blob(block.header.previousHash.displayBytes)])
            if try blockByHash.step(), let h = blockByHash.optionalInt(1) { height = h + 1 }
            blockByHash.reset()
        }
        if height == nil, block.header.version >= 2, let h = block.transactions.first?.bip34Height {
            height = Int64(h)
        }
        if height == nil {
            let children = try childrenOf.rows([.blob(block.hash.displayBytes)]) { $0.optionalInt(1) }
            if let h = children.compactMap({ $0 }).first { height = h - 1 }
        }
        if let height { try setHeightAndPropagate(blockRow: blockRow, height: height) }
    }

    private func setHeightAndPropagate(blockRow: Int64, height: Int64) throws {
        try setHeight.bind([.int(blockRow), .int(height)])
        try setHeight.run()
        // Downwards: children without a height.
        var queue: [(row: Int64, height: Int64)] = [(blockRow, height)]
        while let (row, h) = queue.popLast() {
            let hash = try db.prepare("SELECT hash, prev_hash FROM blocks WHERE id = ?1").rows([.int(row)]) { ($0.blob(0), $0.optionalBlob(1)) }
            guard let (blockHash, prevHash) = hash.first else { continue }
            for child in try childrenOf.rows([.blob(blockHash)], { ($0.int(0), $0.optionalInt(1)) }) where child.1 == nil {
                try setHeight.bind([.int(child.0), .int(h + 1)])
                try setHeight.run()
                queue.append((child.0, h + 1))
            }
            // Upwards: a parent without a height.
            if let prevHash, h > 0 {
                try blockByHash.bind([.blob(prevHash)])
                if try blockByHash.step(), blockByHash.isNull(1) {
                    let parent = blockByHash.int(0)
                    blockByHash.reset()
                    try setHeight.bind([.int(parent), .int(h - 1)])
                    try setHeight.run()
                    queue.append((parent, h - 1))
                } else {
                    blockByHash.reset()
                }
            }
        }
    }
}

extension Store {
    /// ISO-8601 UTC timestamp for the ingest log.
    static func timestamp(_ date: Date = Date()) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }
}

/// A stored input waiting for the output it spends.
struct WaitingInput { var txRow: Int64; var vin: Int64; var vout: UInt32; var value: Int64? }

/// What a finished ``BitcoinWriter`` knew about the store (txid prefixes, waiting inputs), so the next writer on the
/// same ``Store`` skips reloading it — valid only while the store generation is unchanged.
final class BitcoinResolutionState {
    let generation: Int64
    let txidPrefixes: Set<UInt64>?
    let waiting: [Hash256: [WaitingInput]]
    init(generation: Int64, txidPrefixes: Set<UInt64>?, waiting: [Hash256: [WaitingInput]]) {
        self.generation = generation; self.txidPrefixes = txidPrefixes; self.waiting = waiting
    }
}
