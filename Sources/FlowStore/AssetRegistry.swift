import FlowCore

/// Finds or adds `assets` rows for a writer, with a cache. Decimals stated by an input fill in unknown ones and
/// must agree with known ones. Writers ``reset()`` it after a rollback (cached ids may name rows that are gone).
final class AssetRegistry {
    private let db: Database
    /// By chain, then symbol (no key to build per lookup).
    private var ids: [String: [String: (id: Int64, decimals: Int?)]] = [:]
    private let insert, find: Statement

    init(store: Store) throws {
        db = store.db
        insert = try db.prepare("INSERT INTO assets(chain, symbol, decimals) VALUES (?1, ?2, ?3) ON CONFLICT(chain, symbol) DO NOTHING")
        find = try db.prepare("SELECT id, decimals FROM assets WHERE chain = ?1 AND symbol = ?2")
    }

    /// The id of (`chain`, `symbol`), added when new.
    /// - Throws: ``StoreError`` (naming `source`) when `decimals` contradicts what the store holds.
    func id(chain: String, symbol: String, decimals: Int?, source: String) throws -> Int64 {
        if let known = ids[chain]?[symbol], decimals == nil || decimals == known.decimals { return known.id }
        try insert.bind([.text(chain), .text(symbol), decimals.map { .int(Int64($0)) } ?? .null])
        try insert.run()
        try find.bind([.text(chain), .text(symbol)])
        guard try find.step() else { throw StoreError(resultCode: 1, message: "asset \(symbol) vanished", path: source) }
        let id = find.int(0)
        let stored = find.optionalInt(1)
        find.reset()
        if let decimals {
            if let stored, stored != Int64(decimals) {
                throw StoreError(resultCode: 19, message: "asset \(symbol) on \(chain) has \(stored) decimals in the store, "
                                 + "the input says \(decimals)", path: source)
            }
            if stored == nil {
                try db.execute("UPDATE assets SET decimals = \(decimals) WHERE id = \(id)")
            }
        }
        ids[chain, default: [:]][symbol] = (id, decimals ?? stored.map { Int($0) })
        return id
    }

    func reset() { ids.removeAll() }
}
