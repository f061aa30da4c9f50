import FlowCore
import Foundation

/// Lookups that turn a trace's graph indices into evidence (addresses, txids, labels) and its seeds into indices.
extension Store {
    /// The interned id of `address` (as normalised), if the store has seen it.
    public func addressID(of address: String) throws -> Int64? {
        try db.prepare("SELECT id FROM addresses WHERE address = ?1").rows([.text(address)]) { $0.int(0) }.first
    }

    /// One value per id from `sql` (which takes the id as ?1); ids without a row are absent.
    func values<T>(_ sql: String, for ids: some Sequence<Int64>, _ read: (Statement) -> T) throws -> [Int64: T] {
        let s = try db.prepare(sql)
        var out: [Int64: T] = [:]
        for id in Set(ids) { if let v = try s.rows([.int(id)], read).first { out[id] = v } }
        return out
    }

    /// The `labels` columns ``label(_:from:)`` reads, in its order (prefix them with `l.` through `labelColumns(_:)`).
    static let labelColumns = labelColumns("")
    static func labelColumns(_ prefix: String) -> String {
        ["address", "category", "name", "source", "confidence", "original_category", "network", "actor", "is_cluster_definer", "lastmod"]
            .map { prefix + $0 }.joined(separator: ", ")
    }

    /// A `labels` row read from column `first` on, in the order of ``labelColumns``.
    static func label(_ r: Statement, from first: Int32 = 0) -> Label {
        let network = r.text(first + 6)
        return Label(address: r.text(first), category: r.text(first + 1), name: r.text(first + 2), source: r.text(first + 3),
                     confidence: r.optionalInt(first + 4).map { Int($0) }, originalCategory: r.text(first + 5),
                     network: network.isEmpty ? nil : network, actor: r.optionalText(first + 7), isClusterDefiner: r.int(first + 8) == 1,
                     lastModified: r.optionalText(first + 9))
    }

    /// Address texts for ids (ids the store does not have are absent).
    public func addressTexts(_ ids: some Sequence<Int64>) throws -> [Int64: String] {
        try values("SELECT address FROM addresses WHERE id = ?1", for: ids) { $0.text(0) }
    }

    /// The store id of the Bitcoin transaction `txid` (display hex).
    public func transactionStoreID(txid: Hash256) throws -> Int64? {
        try db.prepare("SELECT id FROM transactions WHERE txid = ?1").rows([.blob(txid.displayBytes)]) { $0.int(0) }.first
    }

    /// Display txids of Bitcoin transactions by store id.
    public func txids(_ ids: some Sequence<Int64>) throws -> [Int64: String] {
        try txEvidence(ids).mapValues(\.txid)
    }

    /// Display txid and block height (nil while unconfirmed or unknown) of Bitcoin transactions by store id.
    public func txEvidence(_ ids: some Sequence<Int64>) throws -> [Int64: (txid: String, block: Int64?)] {
        try values("SELECT t.txid, b.height FROM transactions t LEFT JOIN blocks b ON b.id = t.block_id WHERE t.id = ?1", for: ids) {
            (Hex.encode($0.blob(0)), $0.optionalInt(1))
        }
    }

    /// Account transfers of transaction `tx` (as the source wrote it), by transfer id.
    /// - Complexity: one lookup in the (chain, tx, log_index) index per chain the store holds.
    public func transferIDs(tx: String) throws -> [Int64] {
        let chains = try db.prepare("SELECT DISTINCT chain FROM assets ORDER BY chain").rows([]) { $0.text(0) }
        let s = try db.prepare("SELECT id FROM transfers WHERE chain = ?1 AND tx = ?2 ORDER BY log_index, id")
        return try chains.flatMap { chain in try s.rows([.text(chain), .text(tx)]) { $0.int(0) } }
    }

    /// The sender (address id) of a transfer.
    public func transferSender(_ id: Int64) throws -> Int64? {
        try db.prepare("SELECT from_id FROM transfers WHERE id = ?1").rows([.int(id)]) { $0.int(0) }.first
    }

    /// The source transaction of transfers by transfer id.
    public func transferTxs(_ ids: some Sequence<Int64>) throws -> [Int64: String] {
        try transferEvidence(ids).mapValues(\.tx)
    }

    /// The source transaction and block (nil when the source gave none) of transfers by transfer id.
    public func transferEvidence(_ ids: some Sequence<Int64>) throws -> [Int64: (tx: String, block: Int64?)] {
        try values("SELECT tx, block FROM transfers WHERE id = ?1", for: ids) { ($0.text(0), $0.optionalInt(1)) }
    }

    /// Outputs paying an address, as (transaction store id, vout), in store order.
    public func outputs(payingAddressID id: Int64) throws -> [(tx: Int64, vout: Int)] {
        try db.prepare("SELECT tx_id, vout FROM outputs WHERE address_id = ?1 ORDER BY tx_id, vout").rows([.int(id)]) { ($0.int(0), Int($0.int(1))) }
    }

    /// Address ids labelled with any of `categories`.
    public func addressIDs(labelledWith categories: [String]) throws -> Set<Int64> {
        guard !categories.isEmpty else { return [] }
        let list = categories.indices.map { "?\($0 + 1)" }.joined(separator: ",")
        return Set(try db.prepare("""
            SELECT DISTINCT a.id FROM labels l JOIN addresses a ON a.address = l.address WHERE l.category IN (\(list))
            """).rows(categories.map { .text($0) }) { $0.int(0) })
    }

    /// The labels of the given address ids, by id (each address's labels in a stable order).
    public func labels(ofAddressIDs ids: some Sequence<Int64>) throws -> [Int64: [Label]] {
        let wanted = Set(ids)
        if wanted.count > 2_000 {
            // Many addresses: one pass over every label beats one lookup each.
            var out: [Int64: [Label]] = [:]
            let all = try db.prepare("""
                SELECT a.id, \(Self.labelColumns("l.")) FROM labels l
                JOIN addresses a ON a.address = l.address ORDER BY a.id, l.category, l.name, l.source, l.network
                """).rows([]) { (r: Statement) in (r.int(0), Self.label(r, from: 1)) }
            for (id, label) in all where wanted.contains(id) { out[id, default: []].append(label) }
            return out
        }
        let s = try db.prepare("""
            SELECT \(Self.labelColumns("l.")) FROM labels l
            JOIN addresses a ON a.address = l.address WHERE a.id = ?1 ORDER BY l.category, l.name, l.source, l.network
            """)
        var out: [Int64: [Label]] = [:]
        for id in wanted {
            let labels = try s.rows([.int(id)]) { Self.label($0) }
            if !labels.isEmpty { out[id] = labels }
        }
        return out
    }

    /// Whether any label exists (so a trace can skip label lookups on unlabelled stores).
    public func hasLabels() throws -> Bool {
        try db.prepare("SELECT EXISTS(SELECT 1 FROM labels)").rows { $0.int(0) }.first == 1
    }

    /// An account-model asset.
    public struct AssetInfo: Sendable, Equatable {
        public var id: Int64
        public var chain: String
        public var symbol: String
        public var decimals: Int?
    }

    /// Every account-model asset, by id.
    public func assets() throws -> [Int64: AssetInfo] {
        var out: [Int64: AssetInfo] = [:]
        let all = try db.prepare("SELECT id, chain, symbol, decimals FROM assets").rows([]) {
            AssetInfo(id: $0.int(0), chain: $0.text(1), symbol: $0.text(2), decimals: $0.optionalInt(3).map { Int($0) })
        }
        for a in all { out[a.id] = a }
        return out
    }
}
