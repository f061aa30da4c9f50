import FlowCore
import Foundation

/// Stores Ethereum records (from any format) in the `eth_*` tables and derives the account-model `transfers` of
/// every block they touch, so data arriving in any order and from several files — blocks, then receipts, then
/// traces — ends in the same transfers. Re-deriving a block deletes its derived rows and writes them again, so
/// re-running an ingest changes nothing.
///
/// Semantics (also in the README):
/// - native ETH moves only in successful transactions: receipt status 1; before Byzantium (no status) the
///   top-level trace's status, else a receipt that used less gas than the limit; otherwise the status is unknown
///   and no value moves (counted per block in ``unknownStatusByBlock``);
/// - the gas fee (gas used × effective gas price, else gas price) moves from the sender to `<chain>:fees`,
///   failed transactions included;
/// - internal transfers are traces below the top level with status 1 and value > 0: calls (not delegatecall or
///   staticcall), creations and self-destructs;
/// - block and uncle rewards come from `<chain>:block-reward` / `<chain>:uncle-reward`, validator withdrawals
///   from `<chain>:withdrawals` (gwei × 10⁹);
/// - ERC-20 transfers are transfers of the token contract's asset; ERC-721 and other non-fungible Transfer
///   events are kept in `eth_token_transfers` only.
public final class EthWriter {
    public let store: Store
    public let chain: String
    public private(set) var records = 0
    /// Net change in derived transfers (re-deriving an unchanged block counts nothing).
    public private(set) var derived = 0
    /// Per block derived so far: transactions with value whose outcome is not known (no receipt, no trace), so
    /// they moved nothing. A later derivation of the block replaces its count.
    public private(set) var unknownStatusByBlock: [Int64: Int] = [:]
    /// Blocks whose data is stored but whose time is not known yet (their transfers follow when it is).
    public private(set) var awaitingTime: Set<Int64> = []
    public var newAddresses: Int { addresses.added + addedWithGivenIDs }
    /// Addresses added with ids given on the derivation's thread.
    private var addedWithGivenIDs = 0

    /// The fields ``add(_:)`` reads, per kind: a reader may skip the others (see `EthETLReader.read(path:columns:_:)`).
    public static let fieldsRead: [EthRecord.Kind: Set<String>] = [
        .block: ["number", "hash", "timestamp", "miner", "header_only"],
        .transaction: ["block_number", "block_timestamp", "block_hash", "hash", "transaction_index", "from_address", "to_address", "value",
                       "gas", "gas_price"],
        .receipt: ["block_number", "transaction_hash", "transaction_index", "from_address", "status", "gas_used", "effective_gas_price",
                   "contract_address"],
        .log: ["address", "topics", "data", "transaction_hash", "log_index", "block_number", "block_timestamp"],
        .tokenTransfer: ["block_number", "block_timestamp", "transaction_hash", "log_index", "token_address", "from_address", "to_address",
                         "value"],
        .trace: ["block_number", "transaction_index", "trace_address", "trace_type", "transaction_hash", "call_type", "reward_type",
                 "from_address", "to_address", "value", "status", "error", "trace_id"],
        .withdrawal: ["block_number", "index", "validator_index", "address", "amount"],
        .token: ["address", "symbol", "name", "decimals", "total_supply"],
    ]

    private var db: Database { store.db }
    private let batch: IngestBatch
    private let addresses: AddressInterner
    private var touched: Set<Int64> = []
    /// Blocks whose time this writer has stored, with the hash it saw ("" when none): the rows of one block need not
    /// each look it up again.
    private var timed: [Int64: String] = [:]
    private let assets: AssetRegistry
    /// Token assets by packed contract address, as ``tokenAsset(_:)`` found them (forgotten with `assets`'s on a rollback).
    private var packedTokenAssets: [EthAddress20: Int64] = [:]
    private let upsertBlock, findBlock, updateReceipt, upsertReceipt, insertTrace, insertWithdrawal: Statement
    private let upsertTokenMetadata, insertPending, deletePending, upsertExplorer, findDecimals: Statement
    public let deferDerivation: Bool
    private let findDerived, deleteDerived, upsertDerived, forgetDerived: Statement
    /// Reads blocks' records for derivation on this writer's connection (uncommitted rows included).
    private let derivation: EthDerivationReader
    /// Writes a block's derived transfers, many rows per statement: parameters 1–4 are the chain, source, time
    /// and block all rows share, then 7 per row (asset, from, to, amount, tx, log index, kind).
    private let insertTransfers, insertAddresses: MultiRowInsert
    private let insertTxs, insertTxsWithReceipts, insertTokens: MultiRowInsert
    private let findTxHash, findTokenTx: Statement
    /// Transactions (with or without receipts) or token transfers, one kind at a time, validated and waiting to be
    /// written together by ``flushPending()``: before anything else is written or refused, so the store and the
    /// first error reported are those of writing the rows one by one.
    private var pending: Pending = .none
    private enum Pending {
        case none
        case transactions([PendingTransaction], withReceipts: Bool)
        case tokens([PendingToken])
        /// Packed rows of ``currentRows`` (transactions with receipts, or token transfers), written from there.
        case packedTransactions(Range<Int>)
        case packedTokens(Range<Int>)
    }
    /// The rows ``add(_:)-(EthRowBatch)`` is storing, while it does: packed rows wait in ``pending`` as their range.
    private var currentRows: EthRowBatch?
    /// The last block a packed row noted (``notePackedBlock(_:hash:time:origin:)``) and the hash it gave.
    private var lastPackedBlock: (number: Int64, hash: EthHash32?)?
    /// Where packed rows' text is written for binding without a copy: room for a statement's rows.
    private let bindArena: BindArena
    private struct PendingTransaction {
        var t: EthTransactionFields, receipt: EthReceiptFields?, hash: String, block: Int64, index: Int64, origin: () -> String
    }
    private struct PendingToken {
        var tx: String, index: Int64, block: Int64, token: String, from: String, to: String, value: UInt256, fungible: Bool
        var origin: () -> String
    }

    /// - Parameters:
    ///   - deferDerivation: at each commit, list the touched blocks in `eth_pending` instead of deriving them;
    ///     ``derivePending(chunkBlocks:)`` (on any writer) derives them later, once for all the files of a run.
    ///   - deferIndexes: drop the transfers' address indexes for a bulk derivation and rebuild them at ``finish(error:)``.
    ///   - companions: sources read together with `source` (a transactions file and its receipts file), logged,
    ///     committed and finished with it.
    public init(store: Store, source: SourceDescription, companions: [SourceDescription] = [], chain: String = "ethereum",
                deferDerivation: Bool = false, deferIndexes: Bool = false) throws {
        self.store = store
        self.chain = chain
        self.deferDerivation = deferDerivation
        let db = store.db
        addresses = try AddressInterner(store: store)
        assets = try AssetRegistry(store: store)
        batch = try IngestBatch(store: store, source: source, companions: companions, group: .transfers, deferIndexes: deferIndexes)
        insertPending = try db.prepare("INSERT INTO eth_pending(chain, block) VALUES (?1, ?2) ON CONFLICT DO NOTHING")
        deletePending = try db.prepare("DELETE FROM eth_pending WHERE chain = ?1 AND block = ?2")
        upsertBlock = try db.prepare("""
            INSERT INTO eth_blocks(chain, number, hash, time, miner, has_transactions) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            ON CONFLICT(chain, number) DO UPDATE SET hash = coalesce(hash, excluded.hash), time = coalesce(time, excluded.time),
                miner = coalesce(miner, excluded.miner), has_transactions = max(has_transactions, excluded.has_transactions)
            """)
        findBlock = try db.prepare("SELECT hash, time FROM eth_blocks WHERE chain = ?1 AND number = ?2")
        // A row already at a position must be the same transaction (or log): a different hash there is a
        // contradiction (a reorganised chain mixed with its predecessor), reported, never merged.
        // Transactions and token transfers are written many per statement (see `flushPending()`); on a position
        // already holding another transaction's row, their upsert changes nothing.
        let txUpdate = """
            ON CONFLICT(chain, block, tx_index) DO UPDATE SET from_address = excluded.from_address, to_address = excluded.to_address,
                value = excluded.value, gas = excluded.gas, gas_price = excluded.gas_price
            """
        insertTxs = MultiRowInsert(
            db: db, head: "INSERT INTO eth_transactions(chain, hash, block, tx_index, from_address, to_address, value, gas, gas_price)",
            shared: 1, perRow: 8, row: { p in "(?1, \(MultiRowInsert.parameters(p, 8)))" },
            tail: txUpdate + " WHERE eth_transactions.hash = excluded.hash")
        insertTxsWithReceipts = MultiRowInsert(
            db: db, head: """
                INSERT INTO eth_transactions(chain, hash, block, tx_index, from_address, to_address, value, gas, gas_price, has_receipt, status,
                    gas_used, effective_gas_price, contract_address)
                """,
            shared: 1, perRow: 12, row: { p in "(?1, \(MultiRowInsert.parameters(p, 8)), 1, \(MultiRowInsert.parameters(p + 8, 4)))" },
            tail: txUpdate + """
                , has_receipt = 1, status = excluded.status, gas_used = excluded.gas_used,
                    effective_gas_price = excluded.effective_gas_price, contract_address = excluded.contract_address
                WHERE eth_transactions.hash = excluded.hash
                """)
        findTxHash = try db.prepare("SELECT hash FROM eth_transactions WHERE chain = ?1 AND block = ?2 AND tx_index = ?3")
        updateReceipt = try db.prepare("""
            UPDATE eth_transactions SET has_receipt = 1, status = ?6, gas_used = ?7, effective_gas_price = ?8, contract_address = ?9,
                from_address = coalesce(from_address, ?5)
            WHERE chain = ?1 AND block = ?3 AND tx_index = ?4 AND hash = ?2
            """)
        upsertReceipt = try db.prepare("""
            INSERT INTO eth_transactions(chain, hash, block, tx_index, from_address, has_receipt, status, gas_used,
                effective_gas_price, contract_address) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8, ?9)
            ON CONFLICT(chain, block, tx_index) DO UPDATE SET has_receipt = 1, status = excluded.status, gas_used = excluded.gas_used,
                effective_gas_price = excluded.effective_gas_price, contract_address = excluded.contract_address,
                from_address = coalesce(from_address, excluded.from_address)
            WHERE eth_transactions.hash = excluded.hash
            """)
        insertTrace = try db.prepare("""
            INSERT INTO eth_traces(chain, block, tx_index, trace_address, trace_type, tx_hash, call_type, reward_type, from_address,
                to_address, value, status, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
            ON CONFLICT DO UPDATE SET tx_hash = coalesce(tx_hash, excluded.tx_hash)
            """)
        insertTokens = MultiRowInsert(
            db: db, head: "INSERT INTO eth_token_transfers(chain, tx_hash, log_index, block, token, from_address, to_address, value, fungible)",
            shared: 1, perRow: 8, row: { p in "(?1, \(MultiRowInsert.parameters(p, 8)))" },
            tail: "ON CONFLICT DO UPDATE SET fungible = min(fungible, excluded.fungible) WHERE eth_token_transfers.tx_hash = excluded.tx_hash")
        findTokenTx = try db.prepare("SELECT tx_hash FROM eth_token_transfers WHERE chain = ?1 AND block = ?2 AND log_index = ?3")
        insertWithdrawal = try db.prepare("""
            INSERT INTO eth_withdrawals(chain, idx, block, validator, address, amount_gwei) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            ON CONFLICT DO NOTHING
            """)
        upsertTokenMetadata = try db.prepare("""
            INSERT INTO token_metadata(chain, address, symbol, name, decimals, total_supply, source_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            ON CONFLICT(chain, address) DO UPDATE SET symbol = coalesce(excluded.symbol, symbol), name = coalesce(excluded.name, name),
                decimals = coalesce(excluded.decimals, decimals), total_supply = coalesce(excluded.total_supply, total_supply),
                source_id = excluded.source_id
            """)
        upsertExplorer = try db.prepare("""
            INSERT INTO eth_explorer_transfers(chain, block, tx_hash, movement, key, token, from_address, to_address, value, fee, status,
                precision) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
            ON CONFLICT DO UPDATE SET precision = CASE WHEN excluded.precision = 'exact' THEN 'exact' ELSE precision END,
                fee = coalesce(fee, excluded.fee), status = CASE WHEN excluded.precision = 'exact' THEN excluded.status ELSE status END
            """)
        findDecimals = try db.prepare("""
            SELECT coalesce((SELECT decimals FROM assets WHERE chain = ?1 AND symbol = ?2),
                            (SELECT decimals FROM token_metadata WHERE chain = ?1 AND address = ?2))
            """)
        findDerived = try db.prepare("SELECT first_id, last_id FROM eth_derived WHERE chain = ?1 AND block = ?2")
        deleteDerived = try db.prepare("""
            DELETE FROM transfers WHERE id BETWEEN ?3 AND ?4 AND chain = ?1 AND block = ?2 AND kind IS NOT NULL
            """)
        upsertDerived = try db.prepare("""
            INSERT INTO eth_derived(chain, block, first_id, last_id) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT DO UPDATE SET first_id = excluded.first_id, last_id = excluded.last_id
            """)
        forgetDerived = try db.prepare("DELETE FROM eth_derived WHERE chain = ?1 AND block = ?2")
        derivation = try EthDerivationReader(db: db, chain: chain)
        insertTransfers = MultiRowInsert(
            db: db, head: "INSERT INTO transfers(chain, asset_id, from_id, to_id, amount, time, tx, block, log_index, source_id, kind)",
            shared: 4, perRow: 7, row: { p in "(?1, ?\(p), ?\(p + 1), ?\(p + 2), ?\(p + 3), ?3, ?\(p + 4), ?4, ?\(p + 5), ?2, ?\(p + 6))" })
        // OR FAIL: a conflict is still an error, but the statement keeps no journal of its own to undo its earlier rows
        // (the transaction is rolled back on any error): with ABORT, every index page a statement touches — new
        // addresses land all over the address index — is copied first, which cost as much as the inserts.
        insertAddresses = MultiRowInsert(db: db, head: "INSERT OR FAIL INTO addresses(id, address, script_type)", shared: 1, perRow: 2,
                                         row: { p in "(?\(p), ?\(p + 1), ?1)" })
        // A packed transaction's text: a hash, three addresses and three quantities; a token transfer's is shorter.
        bindArena = BindArena(rows: max(insertTxsWithReceipts.maxRows, insertTokens.maxRows),
                              rowBytes: EthHash32.textLength + 3 * EthAddress20.textLength + 3 * UInt256.maxDecimalLength)
    }

    private func fail(_ r: EthRecord, _ message: String) -> StoreError { fail(origin: r.origin, message) }

    private func fail(origin: String, _ message: String) -> StoreError {
        StoreError(resultCode: 19, message: "\(origin): \(message)", path: store.path)
    }

    private func bindQuantity(_ s: Statement, _ i: Int32, _ v: UInt256?) {
        guard let v else { s.bindNull(i); return }
        if let small = v.int128.flatMap({ Int64(exactly: $0) }) { s.bind(i, small) } else { s.bind(i, v.description) }
    }

    /// Stores records (inside the open batch; ``commit()`` derives and commits).
    /// - Throws: ``StoreError`` naming the record's origin when it contradicts the store or lacks what it needs.
    public func add(_ batchOfRecords: [EthRecord]) throws {
        try batch.beginIfNeeded()
        for r in batchOfRecords { try add(r) }
        try flushPending()
    }

    /// Stores rows read from files (inside the open batch, like ``add(_:)``); errors name `path:line`.
    public func add(_ rows: EthRowBatch) throws {
        try batch.beginIfNeeded()
        currentRows = rows
        defer { currentRows = nil }
        for i in rows.rows.indices {
            switch rows.rows[i] {
            case .transaction(let t): records += 1; try add(t, origin: { rows.origin(i) })
            case .receipt(let r): records += 1; try add(r, origin: rows.origin(i))
            case .transactionWithReceipt(let t, let r): records += 2; try add(t, receipt: r, origin: { rows.origin(i) })
            case .tokenTransfer(let t): records += 1; try addToken(t, fungible: true, origin: { rows.origin(i) })
            case .record(let r): try add(r)
            case .packedTransaction(let t): records += 2; try addPacked(t, at: i)
            case .packedTokenTransfer(let t): records += 1; try addPacked(t, at: i)
            }
        }
        try flushPending()
    }

    /// Stores packed transaction `i` of ``currentRows`` (with its receipt), as ``add(_:receipt:origin:)`` would.
    private func addPacked(_ t: EthPackedTransaction, at i: Int) throws {
        if let time = t.blockTimestamp { try notePackedBlock(t.block, hash: t.blockHash, time: time, origin: i) }
        if case .packedTransactions(let r) = pending, r.upperBound == i {
            pending = .packedTransactions(r.lowerBound..<(i + 1))
        } else {
            try flushPending()
            pending = .packedTransactions(i..<(i + 1))
        }
        touched.insert(t.block)
    }

    /// Stores packed token transfer `i` of ``currentRows``, as ``addToken(_:fungible:origin:)`` would.
    private func addPacked(_ t: EthPackedTokenTransfer, at i: Int) throws {
        if t.value.int128 == nil {
            try flushPending()
            throw fail(origin: origin(of: i), "a transfer of \(t.value) units of token \(t.token.text) is beyond the 2^127 the store and "
                       + "tracer hold; refusing to truncate it")
        }
        if let time = t.blockTimestamp { try notePackedBlock(t.block, hash: nil, time: time, origin: i) }
        if case .packedTokens(let r) = pending, r.upperBound == i {
            pending = .packedTokens(r.lowerBound..<(i + 1))
        } else {
            try flushPending()
            pending = .packedTokens(i..<(i + 1))
        }
        touched.insert(t.block)
    }

    private func origin(of i: Int) -> String { currentRows?.origin(i) ?? "?" }

    /// ``noteBlock(_:hash:time:miner:hasTransactions:origin:)`` for a packed row of ``currentRows``: nothing to do
    /// when the row before noted the same block and hash (most rows), without making the hash's text.
    private func notePackedBlock(_ number: Int64, hash: EthHash32?, time: Int64, origin i: Int) throws {
        if let last = lastPackedBlock, last.number == number, hash == nil || hash == last.hash { return }
        try noteBlock(number, hash: hash?.text, time: time, miner: nil, hasTransactions: false, origin: origin(of: i))
        lastPackedBlock = (number, hash)
    }

    /// Stores a transaction, with its receipt when given (whose position and hash must be the transaction's): then
    /// the row is written once, as the transaction followed by its receipt would leave it.
    private func add(_ t: EthTransactionFields, receipt: EthReceiptFields? = nil, origin: @escaping () -> String) throws {
        guard let block = t.block else { try flushPending(); throw fail(origin: origin(), "transaction without block_number") }
        if let time = t.blockTimestamp { try noteBlock(block, hash: t.blockHash, time: time, miner: nil, hasTransactions: false, origin: origin()) }
        guard let hash = t.hash else { try flushPending(); throw fail(origin: origin(), "transaction without hash") }
        guard let index = t.index else { try flushPending(); throw fail(origin: origin(), "transaction without transaction_index") }
        if let r = receipt, r.block != block || r.index != index || r.transactionHash != hash {
            try flushPending()
            throw fail(origin: origin(), "the receipt given with transaction \(hash) is of another position or transaction")
        }
        let row = PendingTransaction(t: t, receipt: receipt, hash: hash, block: block, index: index, origin: origin)
        if case .transactions(var rows, let withReceipts) = pending, withReceipts == (receipt != nil) {
            pending = .none  // the array, uniquely referenced, grows in place
            rows.append(row)
            pending = .transactions(rows, withReceipts: withReceipts)
        } else {
            try flushPending()
            pending = .transactions([row], withReceipts: receipt != nil)
        }
        touched.insert(block)
    }

    /// Writes the rows waiting in ``pending``, many per statement. A row that changed nothing met another
    /// transaction's row at its position: the first such row is reported, as writing them one by one would.
    private func flushPending() throws {
        switch pending {
        case .none:
            return
        case .transactions(let rows, let withReceipts):
            pending = .none
            let insert = withReceipts ? insertTxsWithReceipts : insertTxs
            try insert.insert(count: rows.count, bindShared: { $0.bind(1, chain) }, bind: { s, i, p in
                let row = rows[i], t = row.t
                s.bind(p, row.hash); s.bind(p + 1, row.block); s.bind(p + 2, row.index)
                s.bind(p + 3, t.from ?? row.receipt?.from); s.bind(p + 4, t.to); bindQuantity(s, p + 5, t.value ?? .zero)
                s.bind(p + 6, t.gas); bindQuantity(s, p + 7, t.gasPrice)
                if let r = row.receipt {
                    s.bind(p + 8, r.status); s.bind(p + 9, r.gasUsed); bindQuantity(s, p + 10, r.effectiveGasPrice)
                    s.bind(p + 11, r.contractAddress)
                }
            }, done: { written, changes in
                guard changes < written.count else { return }
                try refuseFirstConflict(rows[written].map { ($0.block, $0.index, $0.hash, $0.origin) }, find: findTxHash, what: "transaction")
            })
        case .tokens(let rows):
            pending = .none
            try insertTokens.insert(count: rows.count, bindShared: { $0.bind(1, chain) }, bind: { s, i, p in
                let row = rows[i]
                s.bind(p, row.tx); s.bind(p + 1, row.index); s.bind(p + 2, row.block); s.bind(p + 3, row.token); s.bind(p + 4, row.from)
                s.bind(p + 5, row.to); bindQuantity(s, p + 6, row.value); s.bind(p + 7, row.fungible ? 1 : 0)
            }, done: { written, changes in
                guard changes < written.count else { return }
                try refuseFirstConflict(rows[written].map { ($0.block, $0.index, $0.tx, $0.origin) }, find: findTokenTx, what: "log")
            })
        case .packedTransactions(let range):
            pending = .none
            let rows = try packedRows()
            let insert = insertTxsWithReceipts, arena = bindArena
            try insert.insert(count: range.count, bindShared: { $0.bind(1, chain) }, bind: { s, k, p in
                guard case .packedTransaction(let t) = rows.rows[range.lowerBound + k] else { return }
                var at = arena.row(insert.row(ofParameter: p))
                arena.bind(s, p, t.hash, &at); s.bind(p + 1, t.block); s.bind(p + 2, t.index); arena.bind(s, p + 3, t.from, &at)
                arena.bind(s, p + 4, t.to, &at); arena.bind(s, p + 5, t.value ?? .zero, &at); s.bind(p + 6, t.gas)
                arena.bind(s, p + 7, t.gasPrice, &at); s.bind(p + 8, t.status); s.bind(p + 9, t.gasUsed)
                arena.bind(s, p + 10, t.effectiveGasPrice, &at); arena.bind(s, p + 11, t.contractAddress, &at)
            }, done: { written, changes in
                guard changes < written.count else { return }
                try refuseFirstConflict(packedKeys(rows, range, written) {
                    guard case .packedTransaction(let t) = $0 else { return nil }
                    return (t.block, t.index, t.hash)
                }, find: findTxHash, what: "transaction")
            })
        case .packedTokens(let range):
            pending = .none
            let rows = try packedRows()
            let insert = insertTokens, arena = bindArena
            try insert.insert(count: range.count, bindShared: { $0.bind(1, chain) }, bind: { s, k, p in
                guard case .packedTokenTransfer(let t) = rows.rows[range.lowerBound + k] else { return }
                var at = arena.row(insert.row(ofParameter: p))
                arena.bind(s, p, t.transactionHash, &at); s.bind(p + 1, t.logIndex); s.bind(p + 2, t.block); arena.bind(s, p + 3, t.token, &at)
                arena.bind(s, p + 4, t.from, &at); arena.bind(s, p + 5, t.to, &at); arena.bind(s, p + 6, t.value, &at); s.bind(p + 7, 1)
            }, done: { written, changes in
                guard changes < written.count else { return }
                try refuseFirstConflict(packedKeys(rows, range, written) {
                    guard case .packedTokenTransfer(let t) = $0 else { return nil }
                    return (t.block, t.logIndex, t.transactionHash)
                }, find: findTokenTx, what: "log")
            })
        }
    }

    /// What ``refuseFirstConflict(_:find:what:)`` checks of the packed rows `written` (within the statement's rows of
    /// `range`): each row's position, hash and origin, given by `key`.
    private func packedKeys(_ rows: EthRowBatch, _ range: Range<Int>, _ written: Range<Int>,
                            _ key: (EthRow) -> (block: Int64, index: Int64, hash: EthHash32)?)
        -> [(block: Int64, index: Int64, hash: String, origin: () -> String)] {
        written.compactMap { k in
            let i = range.lowerBound + k
            return key(rows.rows[i]).map { ($0.block, $0.index, $0.hash.text, { rows.origin(i) }) }
        }
    }

    /// The rows packed pending rows are in: they never wait beyond the ``add(_:)-(EthRowBatch)`` that read them.
    private func packedRows() throws -> EthRowBatch {
        guard let rows = currentRows else {
            throw StoreError(resultCode: 21, message: "packed rows outlived the rows they were read from", path: store.path)
        }
        return rows
    }

    /// After a multi-row upsert changed fewer rows than it wrote: refuses the first row whose position (block,
    /// index) `find` shows holding another transaction's row.
    private func refuseFirstConflict(_ rows: [(block: Int64, index: Int64, hash: String, origin: () -> String)], find: Statement,
                                     what: String) throws {
        for row in rows {
            find.rewind()
            defer { find.rewind() }
            find.bind(1, chain); find.bind(2, row.block); find.bind(3, row.index)
            let stored = try find.step() ? find.optionalText(0) : nil
            if stored != row.hash {
                throw samePositionFailure(origin: row.origin(), hash: row.hash, block: row.block, index: row.index, what: what)
            }
        }
    }

    private func add(_ r: EthReceiptFields, origin: @autoclosure () -> String) throws {
        try flushPending()  // it may complete a transaction still waiting there
        guard let block = r.block else { throw fail(origin: origin(), "receipt without block_number") }
        guard let hash = r.transactionHash else { throw fail(origin: origin(), "receipt without transaction_hash") }
        guard let index = r.index else { throw fail(origin: origin(), "receipt without transaction_index") }
        // Most receipts complete a stored transaction: an update, without first trying an insert that conflicts.
        func run(_ s: Statement) throws -> Bool {
            s.rewind()
            s.bind(1, chain); s.bind(2, hash); s.bind(3, block); s.bind(4, index); s.bind(5, r.from)
            s.bind(6, r.status); s.bind(7, r.gasUsed); bindQuantity(s, 8, r.effectiveGasPrice)
            s.bind(9, r.contractAddress)
            try s.run()
            return db.changes > 0
        }
        if try !run(updateReceipt) { _ = try run(upsertReceipt) }
        try checkSamePosition(origin: origin(), hash: hash, block: block, index: index, what: "transaction")
        touched.insert(block)
    }

    private func add(_ r: EthRecord) throws {
        records += 1
        switch r.kind {
        case .transaction, .tokenTransfer, .log: break  // may wait in `pending` with the rows before
        default: try flushPending()
        }
        func need(_ name: String) throws -> Int64 {
            guard let v = r.int(name) else { throw fail(r, "\(r.kind.rawValue) without \(name)") }
            return v
        }
        switch r.kind {
        case .block:
            let number = try need("number")
            try noteBlock(number, hash: r.text("hash"), time: r.int("timestamp"), miner: r.text("miner"),
                          hasTransactions: r["header_only"] != .bool(true), origin: r.origin)
        case .transaction:
            try add(EthTransactionFields(r), origin: { r.origin })
        case .receipt:
            try add(EthReceiptFields(r), origin: r.origin)
        case .log:
            guard let (t, fungible) = EthRecord.tokenTransfer(fromLog: r) else { return }
            try addToken(EthTokenTransferFields(t), fungible: fungible, origin: { t.origin })
        case .tokenTransfer:
            try addToken(EthTokenTransferFields(r), fungible: true, origin: { r.origin })
        case .trace:
            let block = try need("block_number")
            let s = insertTrace
            s.rewind()
            let address = r.list("trace_address") ?? []
            let txIndex = r.int("transaction_index") ?? -1
            s.bind(1, chain); s.bind(2, block); s.bind(3, txIndex); s.bind(4, address.joined(separator: ","))
            s.bind(5, r.text("trace_type") ?? "?"); s.bind(6, r.text("transaction_hash")); s.bind(7, r.text("call_type"))
            s.bind(8, r.text("reward_type")); s.bind(9, r.text("from_address")); s.bind(10, r.text("to_address"))
            bindQuantity(s, 11, r.uint("value") ?? .zero); s.bind(12, r.int("status") ?? (r.text("error") == nil ? 1 : 0))
            // Block-level traces (rewards) are told apart by their number within the block (from the trace id).
            var seq: Int64 = 0
            if txIndex < 0, let id = r.text("trace_id"), let n = id.split(separator: "_").last.flatMap({ Int64($0) }) { seq = n }
            s.bind(13, seq)
            try s.run()
            touched.insert(block)
        case .withdrawal:
            let s = insertWithdrawal
            s.rewind()
            let block = try need("block_number")
            guard let address = r.text("address") else { throw fail(r, "withdrawal without address") }
            s.bind(1, chain); s.bind(2, try need("index")); s.bind(3, block); s.bind(4, try need("validator_index"))
            s.bind(5, address); s.bind(6, try need("amount"))
            try s.run()
            touched.insert(block)
        case .explorerTransfer:
            try addExplorer(r)
        case .token:
            guard let token = r.text("address") else { throw fail(r, "token without address") }
            func nonEmpty(_ name: String) -> String? { r.text(name).flatMap { $0.isEmpty ? nil : $0 } }
            var decimals: Int?
            if let d = r.int("decimals") {
                guard (0...77).contains(d) else { throw fail(r, "token \(token) states \(d) decimals (a uint256 has at most 78 digits)") }
                decimals = Int(d)
            }
            // The asset's decimals are what amounts are shown with; a contradiction with a stored value is an error.
            _ = try assets.id(chain: chain, symbol: token, decimals: decimals, source: r.origin)
            let s = upsertTokenMetadata
            s.rewind()
            s.bind(1, chain); s.bind(2, token); s.bind(3, nonEmpty("symbol")); s.bind(4, nonEmpty("name"))
            s.bind(5, decimals.map(Int64.init)); bindQuantity(s, 6, r.uint("total_supply")); s.bind(7, batch.sourceID)
            try s.run()
        }
    }

    private func noteBlock(_ number: Int64, hash: String?, time: Int64?, miner: String?, hasTransactions: Bool,
                           origin: @autoclosure () -> String) throws {
        if miner == nil, !hasTransactions, time != nil, let seen = timed[number], hash == nil || hash == seen { return }
        try flushPending()
        findBlock.rewind()
        findBlock.bind(1, chain); findBlock.bind(2, number)
        if try findBlock.step(), let stored = findBlock.optionalText(0), let hash, stored != hash {
            findBlock.rewind()
            throw fail(origin: origin(), "block \(number) has hash \(stored) in the store, this input says \(hash) (a reorganised chain?)")
        }
        findBlock.rewind()
        let s = upsertBlock
        s.rewind()
        s.bind(1, chain); s.bind(2, number); s.bind(3, hash); s.bind(4, time); s.bind(5, miner); s.bind(6, hasTransactions ? 1 : 0)
        try s.run()
        touched.insert(number)
        if time != nil { timed[number] = hash ?? timed[number] ?? "" }
    }

    /// Stores a token transfer. An export of decoded transfers cannot tell ERC-20 from ERC-721 (`fungible` is
    /// assumed); the log, when ingested, decides.
    private func addToken(_ t: EthTokenTransferFields, fungible: Bool, origin: @escaping () -> String) throws {
        guard let block = t.block, let tx = t.transactionHash, let index = t.logIndex, let token = t.token, let from = t.from, let to = t.to,
              let value = t.value else { try flushPending(); throw fail(origin: origin(), "token transfer lacks a field") }
        if fungible && value.int128 == nil {
            try flushPending()
            throw fail(origin: origin(), "a transfer of \(value) units of token \(token) is beyond the 2^127 the store and tracer hold; "
                       + "refusing to truncate it")
        }
        if let time = t.blockTimestamp { try noteBlock(block, hash: nil, time: time, miner: nil, hasTransactions: false, origin: origin()) }
        let row = PendingToken(tx: tx, index: index, block: block, token: token, from: from, to: to, value: value, fungible: fungible,
                               origin: origin)
        if case .tokens(var rows) = pending {
            pending = .none  // the array, uniquely referenced, grows in place
            rows.append(row)
            pending = .tokens(rows)
        } else {
            try flushPending()
            pending = .tokens([row])
        }
        touched.insert(block)
    }

    /// Stores an explorer-listed movement. A display-precision amount (web CSV export: decimal ETH or token
    /// units) is converted to base units exactly with the asset's decimals, or refused when they are unknown or
    /// the text has more fraction digits than the asset.
    private func addExplorer(_ r: EthRecord) throws {
        guard let block = r.int("block_number") else { throw fail(r, "explorer row without block number") }
        guard let tx = r.text("transaction_hash"), let movement = r.text("movement"), let from = r.text("from_address"),
              let to = r.text("to_address") else { throw fail(r, "explorer row lacks a transaction hash, sender or recipient") }
        let token = r.text("token_address")
        func baseUnits(_ exactField: String, _ displayField: String, decimals: () throws -> Int) throws -> UInt256? {
            if let v = r.uint(exactField) { return v }
            guard let text = r.text(displayField) else { return nil }
            let d = try decimals()
            switch Amount.parse(decimal: Substring(text), decimals: d) {
            case .success(let a) where a.baseUnits >= 0:
                return UInt256(exactly: a.baseUnits)!
            default:
                throw fail(r, "'\(text)' is not an amount of at most \(d) decimals (display precision cannot be made exact)")
            }
        }
        let value = try baseUnits("value", "value_display") {
            guard movement == "token", let token else { return 18 }
            findDecimals.rewind()
            findDecimals.bind(1, chain); findDecimals.bind(2, token)
            let d = try findDecimals.step() ? findDecimals.optionalInt(0) : nil
            findDecimals.rewind()
            guard let d else {
                throw fail(r, "the decimals of token \(token) are unknown, so its displayed amounts cannot be made exact: "
                           + "ingest a token list, an ethereum-etl tokens export or an Etherscan tokentx reply first")
            }
            return Int(d)
        } ?? .zero
        if movement == "token" && value.int128 == nil {
            throw fail(r, "a transfer of \(value) units of token \(token ?? "?") is beyond the 2^127 the store and tracer hold; refusing to truncate it")
        }
        let fee = try baseUnits("fee", "fee_display") { 18 }
        if let time = r.int("block_timestamp") { try noteBlock(block, hash: nil, time: time, miner: nil, hasTransactions: false, origin: r.origin) }
        let key = "\(token ?? "")|\(from)|\(to)|\(value)|\(r.int("occurrence") ?? 0)"
        let s = upsertExplorer
        s.rewind()
        s.bind(1, chain); s.bind(2, block); s.bind(3, tx); s.bind(4, movement); s.bind(5, key); s.bind(6, token); s.bind(7, from)
        s.bind(8, to); bindQuantity(s, 9, value); bindQuantity(s, 10, fee); s.bind(11, r.int("status") ?? 1)
        s.bind(12, r.text("precision") ?? "exact")
        try s.run()
        touched.insert(block)
    }

    /// After an upsert keyed by position: no row changed means the position holds another transaction's row.
    private func checkSamePosition(origin: @autoclosure () -> String, hash: String, block: Int64, index: Int64, what: String) throws {
        guard db.changes == 0 else { return }
        throw samePositionFailure(origin: origin(), hash: hash, block: block, index: index, what: what)
    }

    private func samePositionFailure(origin: String, hash: String, block: Int64, index: Int64, what: String) -> StoreError {
        fail(origin: origin, "block \(block) \(what) \(index) belongs to another transaction than \(hash) in the store (a reorganised chain?)")
    }

    /// Derives the transfers of every block touched since the last commit, then commits.
    public func commit() throws {
        guard batch.isOpen else { return }
        try flushPending()
        for block in touched.sorted() {
            if deferDerivation {
                insertPending.rewind()
                insertPending.bind(1, chain); insertPending.bind(2, block)
                try insertPending.run()
            } else {
                try derive(block: block)
                deletePending.rewind()
                deletePending.bind(1, chain); deletePending.bind(2, block)
                try deletePending.run()
            }
        }
        touched.removeAll()
        try batch.commit(counts: ["transfers_added": derived])
    }

    /// Blocks of `chain` whose records are stored but whose transfers are not derived yet.
    public static func pendingBlocks(store: Store, chain: String? = nil) throws -> Int64 {
        if let chain { return try store.db.scalarInt("SELECT count(*) FROM eth_pending WHERE chain = ?1", [.text(chain)]) ?? 0 }
        return try store.db.scalarInt("SELECT count(*) FROM eth_pending") ?? 0
    }

    /// Commits what is open, then derives the transfers of every pending block of the chain, in block order,
    /// `chunkBlocks` blocks (or the blocks of about 400,000 transfers, when fewer) per committed transaction, each
    /// removing its blocks from `eth_pending`. The blocks' records are read and their transfers worked out on a
    /// second thread, with a read-only connection of its own, while this one stores the transfers of the blocks
    /// before. Returns the blocks derived.
    ///
    /// In a store being built aside, nothing but this writer adds addresses: their ids are given on the derivation's
    /// thread (up to `addressCapacity` addresses held there; the writer interns any beyond) and the writer only adds
    /// the new ones, many per statement.
    @discardableResult
    public func derivePending(chunkBlocks: Int = 2000, addressCapacity: Int = 8_000_000, progress: ((Int) -> Void)? = nil) throws -> Int {
        try commit()
        let path = store.file, name = store.path, chain = self.chain, building = store.isBuilding
        // Without a write-ahead log a reader holds the file's shared lock while it reads: a writer spilling dirty
        // pages into the file before its commit would wait on the derivation's reads while the derivation waits on it.
        // So the writer keeps its pages until each commit (bounded by `transfersPerCommit`).
        if building { try db.execute("PRAGMA cache_spill = OFF") }
        defer { if building { try? db.execute("PRAGMA cache_spill = ON") } }
        // With the ids given on the derivation's thread, this writer only appends addresses no other has (nothing
        // else writes to a store being built, and the derivation gives each address one id): their unique index is
        // built once at the end, from sorted rows, instead of taking each new address at a random place. Should the
        // derivation stop giving ids (past `addressCapacity`), the index is built before this writer looks one up.
        if building, try store.hasNamedAddressIndex() { try batch.deferIndexes(.addresses) }
        let transfersPerCommit = 400_000
        var done = 0, inChunk = 0, derivedBefore = derived
        func commitChunk() throws {
            try batch.commit(counts: ["transfers_added": derived])
            done += inChunk
            inChunk = 0
            derivedBefore = derived
            progress?(done)
        }
        try Pipeline.produceOnThread({ push in
            let db = try Database(path: path, readOnly: true, name: name)
            try db.execute("PRAGMA cache_size=-65536; PRAGMA mmap_size=\(1 << 40);")
            let reader = try EthDerivationReader(db: db, chain: chain)
            let ids = building ? try DerivedAddressIDs(db: db, capacity: addressCapacity) : nil
            let next = try db.prepare("SELECT block FROM eth_pending WHERE chain = ?1 AND block > ?2 ORDER BY block LIMIT 64")
            var after = Int64.min
            while true {
                let blocks = try next.rows([.text(chain), .int(after)]) { $0.int(0) }
                guard let last = blocks.last else { return }
                try push(try blocks.map { block in
                    var d = try reader.derive(block: block)
                    if let ids { d.resolve(with: ids) }
                    return d
                })
                after = last
            }
        }, consume: { derivations in
            for d in derivations {
                try batch.beginIfNeeded()
                try store(d)
                deletePending.rewind()
                deletePending.bind(1, chain); deletePending.bind(2, d.block)
                try deletePending.run()
                inChunk += 1
                if inChunk >= chunkBlocks || derived - derivedBefore >= transfersPerCommit { try commitChunk() }
            }
        })
        if inChunk > 0 { try commitChunk() }
        return done
    }

    /// Records, inside the open batch, that a live ingest has stored every block of `chain` up to `block`, so the
    /// next run resumes after it: the mark commits with the blocks or not at all.
    public func noteLiveProgress(through block: Int64) throws {
        try batch.beginIfNeeded()
        let s = try db.prepare("""
            INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value
            """)
        s.bind(1, EthWriter.liveProgressKey(chain)); s.bind(2, String(block))
        try s.run()
    }

    /// The last block a live ingest of `chain` stored completely, if any.
    public static func liveProgress(store: Store, chain: String) throws -> Int64? {
        try store.db.scalarInt("SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?1", [.text(liveProgressKey(chain))])
    }

    private static func liveProgressKey(_ chain: String) -> String { "eth-node-last:\(chain)" }

    /// Undoes the open batch (after a failed record or file).
    public func rollback() throws {
        guard batch.isOpen else { return }
        try db.execute("ROLLBACK")
        batch.markClosed()
        pending = .none
        lastPackedBlock = nil
        touched.removeAll()
        addresses.reset()
        assets.reset()
        packedTokenAssets.removeAll()
        timed.removeAll()
    }

    /// Commits what is pending and marks the run complete, or rolls back and marks it failed with `error`.
    public func finish(error: String? = nil) throws {
        if error == nil { try commit() } else { try rollback() }
        try batch.finish(counts: ["transfers_added": derived], error: error)
    }

    private func asset(_ symbol: String, decimals: Int?) throws -> Int64 {
        try assets.id(chain: chain, symbol: symbol, decimals: decimals, source: store.path)
    }

    /// The asset of a derived token transfer: a packed contract address is looked up without its text once known.
    private func tokenAsset(_ token: EthAddressKey) throws -> Int64 {
        switch token {
        case .packed(let a):
            if let id = packedTokenAssets[a] { return id }
            let id = try asset(a.text, decimals: nil)
            packedTokenAssets[a] = id
            return id
        case .text(let t):
            return try asset(t, decimals: nil)
        }
    }

    /// Rewrites the derived transfers of one block from the `eth_*` tables.
    private func derive(block: Int64) throws {
        try store(try derivation.derive(block: block))
    }

    /// Replaces the derived transfers of a block with `d`'s.
    private func store(_ d: EthBlockDerivation) throws {
        let block = d.block
        findDerived.rewind()
        findDerived.bind(1, chain); findDerived.bind(2, block)
        if try findDerived.step() {
            let first = findDerived.int(0), last = findDerived.int(1)
            findDerived.rewind()
            deleteDerived.rewind()
            deleteDerived.bind(1, chain); deleteDerived.bind(2, block); deleteDerived.bind(3, first); deleteDerived.bind(4, last)
            try deleteDerived.run()
            derived -= db.changes  // net: re-deriving an unchanged block adds nothing
        }
        findDerived.rewind()
        // The block's rows are written together, so their ids make one range, kept for the next re-derivation.
        var derivedIDs: ClosedRange<Int64>?
        if let time = d.time {
            awaitingTime.remove(block)
            unknownStatusByBlock[block] = d.unknownStatus
            let eth = try asset("ETH", decimals: 18)
            try insertAddresses.insert(count: d.newAddresses.count, bindShared: { $0.bind(1, ScriptType.account.rawValue) }, bind: { s, i, p in
                s.bind(p, d.newAddresses[i].id); s.bind(p + 1, d.newAddresses[i].address)
            })
            addedWithGivenIDs += d.newAddresses.count
            // Checked and interned before anything of the block is written; with the ids given, bound from `d` as it is.
            for i in d.transfers.indices where d.transfers[i].amount.int128 == nil {
                let t = d.transfers[i]
                throw StoreError(resultCode: 19, message: "\(t.what) in block \(block), tx \(t.tx): \(t.amount) base units is beyond the 2^127 "
                                 + "the store and tracer hold; refusing to truncate it", path: store.path)
            }
            let ids: [(from: Int64, to: Int64)]
            if let given = d.ids {
                ids = given
            } else {
                try batch.restoreIndexes(.addresses)
                ids = try d.transfers.map { t in
                    (try addresses.id(of: t.from.description, scriptType: .account),
                     try addresses.id(of: t.to.description, scriptType: .account))
                }
            }
            let sourceID = batch.sourceID, insert = insertTransfers, arena = bindArena
            // The hash of the row before when it is the same transaction's (its value and fee, its token transfers):
            // that text, already in this statement's arena, is bound again.
            var lastTx: (hash: EthHash32, text: UnsafeMutablePointer<UInt8>)?
            try d.transfers.withUnsafeBufferPointer { transfers in
                try insert.insert(count: transfers.count, bindShared: { s in
                    s.bind(1, chain); s.bind(2, sourceID); s.bind(3, time); s.bind(4, block)
                }, bind: { s, i, p in
                    let row = insert.row(ofParameter: p)
                    if row == 0 { lastTx = nil }
                    var at = arena.row(row)
                    let t = transfers[i]
                    let asset = try t.token.map { try self.tokenAsset($0) } ?? eth
                    s.bind(p, asset); s.bind(p + 1, ids[i].from); s.bind(p + 2, ids[i].to)
                    arena.bind(s, p + 3, t.amount, &at)
                    switch t.tx {
                    case .packed(let h):
                        if let last = lastTx, last.hash == h {
                            s.bindText(p + 4, unowned: last.text, count: EthHash32.textLength)
                        } else {
                            lastTx = (h, at)
                            arena.bind(s, p + 4, h, &at)
                        }
                    case .text(let text): s.bind(p + 4, text)
                    }
                    s.bind(p + 5, t.index); s.bind(p + 6, t.kind)
                }, done: { written, _ in
                    // A statement's rows take the ids after the largest, so a block's rows make one range.
                    let last = db.lastInsertRowID
                    derivedIDs = (derivedIDs?.lowerBound ?? last - Int64(written.count) + 1)...last
                })
            }
            derived += d.transfers.count
        } else {
            awaitingTime.insert(block)
        }
        let s = derivedIDs == nil ? forgetDerived : upsertDerived
        s.rewind()
        s.bind(1, chain); s.bind(2, block)
        if let ids = derivedIDs { s.bind(3, ids.lowerBound); s.bind(4, ids.upperBound) }
        try s.run()
    }
}

extension Store {
    /// Those of `blocks` whose timestamp the store knows.
    public func ethBlocksWithTime(chain: String, among blocks: Set<Int64>) throws -> Set<Int64> {
        guard !blocks.isEmpty else { return [] }
        let s = try db.prepare("SELECT time IS NOT NULL FROM eth_blocks WHERE chain = ?1 AND number = ?2")
        var out: Set<Int64> = []
        for b in blocks {
            s.rewind()
            s.bind(1, chain); s.bind(2, b)
            if try s.step(), s.int(0) == 1 { out.insert(b) }
        }
        return out
    }
}

