import FlowCore
import Foundation

/// Writes account-model transfers in batched transactions with reused statements. Each row is all-or-nothing;
/// a row already stored (same chain, tx and index) is skipped, so re-running an ingest changes nothing.
public final class TransferWriter {
    public let store: Store
    public let source: SourceDescription
    public private(set) var added = 0
    public private(set) var alreadyStored = 0
    /// Addresses this run added to the store.
    public var newAddresses: Int { addresses.added }
    public var batchRows = 100_000
    public var onCommit: ((Int) -> Void)?

    private var db: Database { store.db }
    private let batch: IngestBatch
    private var rowsInBatch = 0
    private let addresses: AddressInterner
    private let assets: AssetRegistry
    private let insertTransfer: Statement

    public init(store: Store, source: SourceDescription) throws {
        self.store = store
        self.source = source
        let db = store.db
        insertTransfer = try db.prepare("""
            INSERT INTO transfers(chain, asset_id, from_id, to_id, amount, time, tx, block, log_index, source_id)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (chain, tx, log_index) WHERE kind IS NULL DO NOTHING
            """)
        addresses = try AddressInterner(store: store)
        assets = try AssetRegistry(store: store)
        let stored = try db.scalarInt("SELECT count(*) FROM transfers") ?? 0
        // Same policy as the Bitcoin tables: defer when the rebuild is cheap or the input outgrows the store
        // (about 50 bytes a CSV row).
        batch = try IngestBatch(store: store, source: source, group: .transfers,
                                deferIndexes: stored < BitcoinWriter.smallStoreTransactions || Int64((source.bytes ?? 0) / 50) > stored)
    }

    /// Stores one transfer.
    /// - Throws: ``StoreError`` when the asset's stated decimals contradict what the store already holds.
    public func add(_ t: AccountTransfer) throws {
        try batch.beginIfNeeded()
        let assetID = try assets.id(chain: t.chain, symbol: t.asset, decimals: t.decimals, source: source.path)
        let s = insertTransfer
        s.rewind()
        s.bind(1, t.chain); s.bind(2, assetID); s.bind(3, try address(t.from)); s.bind(4, try address(t.to))
        if let small = Int64(exactly: t.amount.baseUnits) { s.bind(5, small) } else { s.bind(5, t.amount.description) }
        s.bind(6, t.timestampUnix); s.bind(7, t.tx); s.bind(8, t.block); s.bind(9, t.index); s.bind(10, batch.sourceID)
        try s.run()
        if db.changes == 1 { added += 1 } else { alreadyStored += 1 }
        rowsInBatch += 1
        if rowsInBatch >= batchRows { try commit() }
    }

    /// Commits the open batch, recording progress in the ingest log.
    public func commit() throws {
        if try batch.commit(counts: ["transfers_added": added]) {
            rowsInBatch = 0
            onCommit?(added)
        }
    }

    /// Commits what is pending and marks the source complete, or failed with `error`.
    public func finish(error: String? = nil) throws {
        try commit()
        try batch.finish(counts: ["transfers_added": added], error: error)
    }

    private func address(_ text: String) throws -> Int64 {
        try addresses.id(of: text, scriptType: .account)
    }
}
