import FlowCore
import Foundation

/// FlowTrace's embedded store: one SQLite file holding blocks, transactions, outputs, inputs, interned
/// addresses and the ingest log. The schema is documented in `docs/SCHEMA.md`.
public final class Store {
    public static let schemaVersion = 8
    public let db: Database
    /// Resolution state the last Bitcoin writer on this connection left for the next one.
    var bitcoinResolution: BitcoinResolutionState?
    /// Where a store built aside goes when complete, while it is being built.
    var build: StoreBuild?
    /// The store's path (for a store built aside, where it goes when complete: see ``file``).
    public var path: String { db.name }
    /// The file the store's connection has open: its path, or while it is built aside its build file.
    public var file: String { db.path }

    /// Opens or creates the store at `path` and brings its schema up to date.
    /// - Throws: ``StoreError`` when the file is not a FlowTrace store of a known version.
    public convenience init(path: String, readOnly: Bool = false) throws {
        try self.init(path: path, readOnly: readOnly, build: nil)
    }

    /// A store opened for writing in place (write-ahead log, `build` nil), for reading, or as a new store built aside
    /// (``Store/beginBuild(at:)``): no log, its rollback journal in memory, nothing synced until it is complete.
    init(path: String, readOnly: Bool, build: StoreBuild?) throws {
        if readOnly && !FileManager.default.fileExists(atPath: path) {
            throw StoreError(resultCode: 14, message: "no store at this path", path: path)
        }
        db = try Database(path: path, readOnly: readOnly, name: build?.target)
        self.build = build
        if !readOnly {
            let journal = build == nil ? "journal_mode=WAL; PRAGMA synchronous=NORMAL" : "journal_mode=MEMORY; PRAGMA synchronous=OFF"
            try db.execute("PRAGMA page_size=16384; PRAGMA \(journal); PRAGMA temp_store=MEMORY; PRAGMA cache_size=-262144;")
            try migrate()
        } else {
            // Readers map the file: a lookup then reads its pages in place instead of one read(2) per page.
            try db.execute("PRAGMA cache_size=-262144; PRAGMA mmap_size=\(1 << 40);")
            try checkVersion()
        }
    }

    private func checkVersion() throws {
        let hasMeta = try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'") ?? 0
        guard hasMeta > 0 else {
            throw StoreError(resultCode: 26, message: "not a FlowTrace store (no meta table)", path: path)
        }
        let v = try db.scalarInt("SELECT CAST(value AS INTEGER) FROM meta WHERE key='schema_version'") ?? 0
        guard v == Int64(Store.schemaVersion) else {
            throw StoreError(resultCode: 26, message: "store schema version \(v), this FlowTrace reads \(Store.schemaVersion)"
                             + (v < Int64(Store.schemaVersion) ? " (any ingest into it upgrades it)" : ""), path: path)
        }
    }

    /// Schema upgrades, each from the version before it, applied in one transaction each: a new store runs them
    /// all after the version-1 schema, so new and upgraded stores end with the same tables.
    static let upgrades: [(version: Int, sql: String)] = [
        (2, "ALTER TABLE sources ADD COLUMN transfers_added INTEGER NOT NULL DEFAULT 0;\n" + accountSchemaSQL),
        (3, ethereumSchemaSQL),
        (4, tokenSchemaSQL),
        (5, positionKeysSQL),
        (6, derivedRangesSQL),
        (7, labelProvenanceSQL),
        (8, clusterSchemaSQL),
    ]

    private func migrate() throws {
        let hasMeta = try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'") ?? 0
        if hasMeta == 0 {
            let tables = try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE type='table'") ?? 0
            guard tables == 0 else {
                throw StoreError(resultCode: 26, message: "database has tables but is not a FlowTrace store", path: path)
            }
            try db.transaction {
                try db.execute(Store.schemaSQL)
                try db.execute("INSERT INTO meta(key, value) VALUES ('schema_version', '1'), ('generation', '0')")
            }
        }
        let v = try db.scalarInt("SELECT CAST(value AS INTEGER) FROM meta WHERE key='schema_version'") ?? 0
        for step in Store.upgrades where Int64(step.version) > v {
            try db.transaction {
                try db.execute(step.sql)
                try db.execute("UPDATE meta SET value = '\(step.version)' WHERE key = 'schema_version'")
            }
        }
        try checkVersion()
    }

    /// The store generation: bumped by every committed change, so derived files can tell they are stale.
    public func generation() throws -> Int64 {
        try db.scalarInt("SELECT CAST(value AS INTEGER) FROM meta WHERE key='generation'") ?? 0
    }

    func bumpGeneration() throws {
        try db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='generation'")
    }

    /// Secondary indexes that queries need but a bulk load does not: a bulk load into a small store drops them
    /// and rebuilds them once at the end, which is cheaper than maintaining them row by row. Grouped by the
    /// tables a writer fills, so loading one kind of data never rebuilds the other's indexes.
    public enum IndexGroup: Sendable { case bitcoin, transfers, addresses }

    static func secondaryIndexes(_ group: IndexGroup) -> [(name: String, sql: String)] {
        switch group {
        case .bitcoin:
            return [
                ("outputs_address", "CREATE INDEX IF NOT EXISTS outputs_address ON outputs(address_id)"),
                ("inputs_spends", "CREATE INDEX IF NOT EXISTS inputs_spends ON inputs(prev_tx_id, prev_vout) WHERE prev_tx_id IS NOT NULL"),
                ("inputs_address", "CREATE INDEX IF NOT EXISTS inputs_address ON inputs(address_id) WHERE address_id IS NOT NULL"),
                ("transactions_block", "CREATE INDEX IF NOT EXISTS transactions_block ON transactions(block_id, block_index)"),
                ("inputs_waiting", "CREATE INDEX IF NOT EXISTS inputs_waiting ON inputs(prev_txid) WHERE prev_tx_id IS NULL"),
            ]
        case .transfers:
            return [
                ("transfers_from", "CREATE INDEX IF NOT EXISTS transfers_from ON transfers(from_id, time)"),
                ("transfers_to", "CREATE INDEX IF NOT EXISTS transfers_to ON transfers(to_id, time)"),
            ]
        case .addresses:
            // Unique: only a load that cannot add an address twice may drop it (see `hasNamedAddressIndex`).
            return [("addresses_address", "CREATE UNIQUE INDEX IF NOT EXISTS addresses_address ON addresses(address)")]
        }
    }

    /// Whether the addresses' unique index is the named `addresses_address`, which a bulk load may drop and build
    /// again. Stores created before 2026-12-06 hold the same as the table's inline `UNIQUE` constraint, which cannot
    /// be dropped: they keep it through every load.
    public func hasNamedAddressIndex() throws -> Bool {
        let named = try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'addresses_address'") ?? 0
        let inline = try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'sqlite_autoindex_addresses_1'") ?? 0
        return named > 0 || inline == 0
    }

    /// Creates any missing secondary index of the Bitcoin and transfer groups (and the addresses' named unique index,
    /// should a load have left it dropped).
    public func createSecondaryIndexes() throws {
        try createSecondaryIndexes(.bitcoin)
        try createSecondaryIndexes(.transfers)
        if try hasNamedAddressIndex() { try createSecondaryIndexes(.addresses) }
    }

    /// Creates any missing secondary index of `group`. Building one sorts every row of its table. SQLite's sorter
    /// holds everything in one run when temporary data is kept in memory, or else sorts runs the size of the page
    /// cache (at least 250 pages) and merges them; with a 2 MiB cache those runs are small enough to sort in the
    /// processor's caches, and the table is read through a memory map instead of the evicted cache. On 610,444
    /// transfers both indexes build in 0.6 s instead of 0.95. The sorter also sorts runs on helper threads, one per
    /// processor up to 4 (`PRAGMA threads`; the main thread merges): 0.59 instead of 0.77 s by hand on two cores.
    /// The settings are restored afterwards.
    /// Inside an open transaction the settings stay as they are (temporary storage cannot change there).
    public func createSecondaryIndexes(_ group: IndexGroup) throws {
        if db.isInTransaction {
            for index in Store.secondaryIndexes(group) { try db.execute(index.sql) }
            return
        }
        let cache = try db.scalarInt("PRAGMA cache_size") ?? -2000, temp = try db.scalarInt("PRAGMA temp_store") ?? 0
        let mmap = try db.scalarInt("PRAGMA mmap_size") ?? 0, threads = try db.scalarInt("PRAGMA threads") ?? 0
        let helpers = min(4, ProcessInfo.processInfo.activeProcessorCount)
        try db.execute("PRAGMA cache_size = -2048; PRAGMA temp_store = FILE; PRAGMA mmap_size = \(1 << 40); PRAGMA threads = \(helpers)")
        defer {
            try? db.execute("PRAGMA cache_size = \(cache); PRAGMA temp_store = \(temp); PRAGMA mmap_size = \(mmap); PRAGMA threads = \(threads)")
        }
        try db.transaction {
            for index in Store.secondaryIndexes(group) { try db.execute(index.sql) }
        }
    }

    /// Drops the secondary indexes of `group` before a bulk load.
    func dropSecondaryIndexes(_ group: IndexGroup) throws {
        try db.transaction {
            for index in Store.secondaryIndexes(group) { try db.execute("DROP INDEX IF EXISTS \(index.name)") }
        }
    }

    /// Account-model and label tables (schema version 2). `amount` is an INTEGER when it fits 64 bits, else its exact decimal
    /// TEXT (wei and token values); `log_index` is the source's index, or the row's order within its transaction.
    static let accountSchemaSQL = """
    CREATE TABLE assets(
        id INTEGER PRIMARY KEY,
        chain TEXT NOT NULL,
        symbol TEXT NOT NULL,
        decimals INTEGER,
        UNIQUE (chain, symbol)
    );
    CREATE TABLE transfers(
        id INTEGER PRIMARY KEY,
        chain TEXT NOT NULL,
        asset_id INTEGER NOT NULL,
        from_id INTEGER NOT NULL,
        to_id INTEGER NOT NULL,
        amount NOT NULL,
        time INTEGER NOT NULL,
        tx TEXT NOT NULL,
        block INTEGER,
        log_index INTEGER NOT NULL,
        source_id INTEGER,
        UNIQUE (chain, tx, log_index)
    );
    CREATE TABLE labels(
        id INTEGER PRIMARY KEY,
        address TEXT NOT NULL,
        category TEXT NOT NULL,
        name TEXT NOT NULL,
        source TEXT NOT NULL,
        confidence INTEGER,
        original_category TEXT NOT NULL,
        source_id INTEGER,
        UNIQUE (address, category, name, source)
    );
    """

    /// Token metadata from token lists and ethereum-etl `tokens` exports: one row per token contract, the
    /// latest source's non-empty values winning, that source recorded.
    static let tokenSchemaSQL = """
    CREATE TABLE IF NOT EXISTS token_metadata(
        chain TEXT NOT NULL, address TEXT NOT NULL, symbol TEXT, name TEXT, decimals INTEGER, total_supply,
        source_id INTEGER NOT NULL,
        PRIMARY KEY (chain, address)
    ) WITHOUT ROWID;
    """

    /// Version 7: labels keep the network, actor, cluster-definer flag and last change their source states, and are
    /// unique per network too (the same legacy address text is a Bitcoin and a Bitcoin Cash address); the actors
    /// of ActorPacks.
    static let labelProvenanceSQL = """
    CREATE TABLE labels_v7(
        id INTEGER PRIMARY KEY, address TEXT NOT NULL, category TEXT NOT NULL, name TEXT NOT NULL, source TEXT NOT NULL,
        confidence INTEGER, original_category TEXT NOT NULL, source_id INTEGER, network TEXT NOT NULL DEFAULT '', actor TEXT,
        is_cluster_definer INTEGER NOT NULL DEFAULT 0, lastmod TEXT,
        UNIQUE (address, category, name, source, network)
    );
    INSERT INTO labels_v7(id, address, category, name, source, confidence, original_category, source_id)
        SELECT id, address, category, name, source, confidence, original_category, source_id FROM labels;
    DROP TABLE labels;
    ALTER TABLE labels_v7 RENAME TO labels;
    CREATE TABLE label_actors(
        id TEXT PRIMARY KEY, label TEXT NOT NULL, categories TEXT NOT NULL, uri TEXT, jurisdictions TEXT, source_id INTEGER
    ) WITHOUT ROWID;
    """

    /// Version 6: the derived transfers of an Ethereum block are found by the id range their derivation wrote
    /// (one `eth_derived` row per block) instead of an index entry per transfer. A block's derived rows are
    /// written together, so in stores before version 6 they span exactly min(id)...max(id) of the block.
    static let derivedRangesSQL = """
    CREATE TABLE eth_derived(
        chain TEXT NOT NULL, block INTEGER NOT NULL, first_id INTEGER NOT NULL, last_id INTEGER NOT NULL,
        PRIMARY KEY (chain, block)
    ) WITHOUT ROWID;
    INSERT INTO eth_derived SELECT chain, block, min(id), max(id) FROM transfers WHERE kind IS NOT NULL AND block IS NOT NULL
        GROUP BY chain, block;
    DROP INDEX IF EXISTS transfers_derived;
    """

    /// Version 5: Ethereum transactions and token transfers keyed by their position (block, index) — the order
    /// exports and nodes deliver them in, so bulk loads append — and `transfers` unique on (chain, tx, log_index)
    /// only for generic rows: derived rows are rewritten per block and need no such check. Blocks whose records
    /// changed but whose transfers are not derived yet are listed in `eth_pending`.
    static let positionKeysSQL = """
    CREATE TABLE transfers_v5(
        id INTEGER PRIMARY KEY, chain TEXT NOT NULL, asset_id INTEGER NOT NULL, from_id INTEGER NOT NULL, to_id INTEGER NOT NULL,
        amount NOT NULL, time INTEGER NOT NULL, tx TEXT NOT NULL, block INTEGER, log_index INTEGER NOT NULL, source_id INTEGER,
        kind TEXT
    );
    INSERT INTO transfers_v5 SELECT id, chain, asset_id, from_id, to_id, amount, time, tx, block, log_index, source_id, kind FROM transfers;
    DROP TABLE transfers;
    ALTER TABLE transfers_v5 RENAME TO transfers;
    CREATE UNIQUE INDEX transfers_generic ON transfers(chain, tx, log_index) WHERE kind IS NULL;
    CREATE INDEX transfers_derived ON transfers(chain, block) WHERE kind IS NOT NULL;
    CREATE INDEX transfers_from ON transfers(from_id, time);
    CREATE INDEX transfers_to ON transfers(to_id, time);
    CREATE TABLE eth_transactions_v5(
        chain TEXT NOT NULL, block INTEGER NOT NULL, tx_index INTEGER NOT NULL, hash TEXT NOT NULL, from_address TEXT,
        to_address TEXT, value, gas INTEGER, gas_price, has_receipt INTEGER NOT NULL DEFAULT 0, status INTEGER, gas_used INTEGER,
        effective_gas_price, contract_address TEXT,
        PRIMARY KEY (chain, block, tx_index)
    ) WITHOUT ROWID;
    INSERT INTO eth_transactions_v5 SELECT chain, block, tx_index, hash, from_address, to_address, value, gas, gas_price, has_receipt,
        status, gas_used, effective_gas_price, contract_address FROM eth_transactions WHERE block IS NOT NULL AND tx_index IS NOT NULL;
    DROP TABLE eth_transactions;
    ALTER TABLE eth_transactions_v5 RENAME TO eth_transactions;
    CREATE TABLE eth_token_transfers_v5(
        chain TEXT NOT NULL, block INTEGER NOT NULL, log_index INTEGER NOT NULL, tx_hash TEXT NOT NULL, token TEXT NOT NULL,
        from_address TEXT NOT NULL, to_address TEXT NOT NULL, value NOT NULL, fungible INTEGER NOT NULL,
        PRIMARY KEY (chain, block, log_index)
    ) WITHOUT ROWID;
    INSERT INTO eth_token_transfers_v5 SELECT chain, block, log_index, tx_hash, token, from_address, to_address, value, fungible
        FROM eth_token_transfers;
    DROP TABLE eth_token_transfers;
    ALTER TABLE eth_token_transfers_v5 RENAME TO eth_token_transfers;
    CREATE TABLE eth_pending(chain TEXT NOT NULL, block INTEGER NOT NULL, PRIMARY KEY (chain, block)) WITHOUT ROWID;
    CREATE TABLE eth_explorer_transfers(
        chain TEXT NOT NULL, block INTEGER NOT NULL, tx_hash TEXT NOT NULL, movement TEXT NOT NULL, key TEXT NOT NULL,
        token TEXT, from_address TEXT NOT NULL, to_address TEXT NOT NULL, value NOT NULL, fee, status INTEGER NOT NULL,
        precision TEXT NOT NULL,
        PRIMARY KEY (chain, block, tx_hash, movement, key)
    ) WITHOUT ROWID;
    """

    /// Ethereum's source records (schema version 3), from which `transfers` rows are derived per block (see
    /// `EthWriter`): derived rows carry their `kind` (native, fee, internal, token, reward, withdrawal); rows
    /// from generic CSV leave it null. Quantities beyond 64 bits are exact decimal TEXT.
    static let ethereumSchemaSQL = """
    ALTER TABLE transfers ADD COLUMN kind TEXT;
    CREATE INDEX IF NOT EXISTS transfers_derived ON transfers(chain, block) WHERE kind IS NOT NULL;
    CREATE TABLE IF NOT EXISTS eth_blocks(
        chain TEXT NOT NULL, number INTEGER NOT NULL, hash TEXT, time INTEGER, miner TEXT,
        has_transactions INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (chain, number)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS eth_transactions(
        chain TEXT NOT NULL, hash TEXT NOT NULL, block INTEGER, tx_index INTEGER, from_address TEXT, to_address TEXT,
        value, gas INTEGER, gas_price, has_receipt INTEGER NOT NULL DEFAULT 0, status INTEGER, gas_used INTEGER,
        effective_gas_price, contract_address TEXT,
        PRIMARY KEY (chain, hash)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS eth_transactions_block ON eth_transactions(chain, block, tx_index);
    CREATE TABLE IF NOT EXISTS eth_traces(
        chain TEXT NOT NULL, block INTEGER NOT NULL, tx_index INTEGER NOT NULL, trace_address TEXT NOT NULL,
        trace_type TEXT NOT NULL, tx_hash TEXT, call_type TEXT, reward_type TEXT, from_address TEXT, to_address TEXT,
        value, status INTEGER NOT NULL, seq INTEGER NOT NULL,
        PRIMARY KEY (chain, block, tx_index, trace_type, trace_address, seq)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS eth_token_transfers(
        chain TEXT NOT NULL, tx_hash TEXT NOT NULL, log_index INTEGER NOT NULL, block INTEGER NOT NULL, token TEXT NOT NULL,
        from_address TEXT NOT NULL, to_address TEXT NOT NULL, value NOT NULL, fungible INTEGER NOT NULL,
        PRIMARY KEY (chain, tx_hash, log_index)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS eth_token_transfers_block ON eth_token_transfers(chain, block);
    CREATE TABLE IF NOT EXISTS eth_withdrawals(
        chain TEXT NOT NULL, idx INTEGER NOT NULL, block INTEGER NOT NULL, validator INTEGER NOT NULL, address TEXT NOT NULL,
        amount_gwei INTEGER NOT NULL,
        PRIMARY KEY (chain, idx)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS eth_withdrawals_block ON eth_withdrawals(chain, block);
    """

    static let schemaSQL = """
    CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE sources(
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL,
        sha256 TEXT,
        format TEXT NOT NULL,
        chain TEXT,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL,
        blocks_added INTEGER NOT NULL DEFAULT 0,
        transactions_added INTEGER NOT NULL DEFAULT 0,
        outputs_added INTEGER NOT NULL DEFAULT 0,
        inputs_added INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER,
        error TEXT
    );
    CREATE INDEX sources_sha ON sources(sha256, format);
    CREATE TABLE addresses(
        id INTEGER PRIMARY KEY,
        address TEXT NOT NULL,
        script_type INTEGER NOT NULL,
        public_key BLOB
    );
    CREATE UNIQUE INDEX addresses_address ON addresses(address);
    CREATE TABLE blocks(
        id INTEGER PRIMARY KEY,
        hash BLOB NOT NULL UNIQUE,
        chain TEXT NOT NULL,
        height INTEGER,
        prev_hash BLOB,
        time INTEGER,
        version INTEGER,
        merkle_root BLOB,
        bits INTEGER,
        nonce INTEGER,
        tx_count INTEGER,
        size INTEGER,
        stripped_size INTEGER,
        weight INTEGER,
        is_complete INTEGER NOT NULL,
        source_id INTEGER
    );
    CREATE INDEX blocks_prev ON blocks(prev_hash);
    CREATE INDEX blocks_height ON blocks(height);
    CREATE TABLE transactions(
        id INTEGER PRIMARY KEY,
        txid BLOB NOT NULL UNIQUE,
        block_id INTEGER,
        block_index INTEGER,
        version INTEGER NOT NULL,
        lock_time INTEGER NOT NULL,
        size INTEGER NOT NULL,
        weight INTEGER NOT NULL,
        is_coinbase INTEGER NOT NULL,
        input_count INTEGER NOT NULL,
        output_count INTEGER NOT NULL,
        output_value INTEGER NOT NULL,
        known_input_value INTEGER NOT NULL,
        unknown_inputs INTEGER NOT NULL,
        fee INTEGER
    );
        CREATE TABLE outputs(
        tx_id INTEGER NOT NULL,
        vout INTEGER NOT NULL,
        value INTEGER NOT NULL,
        address_id INTEGER NOT NULL,
        script_type INTEGER NOT NULL,
        PRIMARY KEY (tx_id, vout)
    ) WITHOUT ROWID;
        CREATE TABLE inputs(
        tx_id INTEGER NOT NULL,
        vin INTEGER NOT NULL,
        prev_txid BLOB NOT NULL,
        prev_vout INTEGER NOT NULL,
        sequence INTEGER NOT NULL,
        prev_tx_id INTEGER,
        value INTEGER,
        address_id INTEGER,
        PRIMARY KEY (tx_id, vin)
    ) WITHOUT ROWID;
    """
}
