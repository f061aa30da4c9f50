import FlowCore

/// Interns address texts into `addresses` ids for a writer: a cache in front of insert-or-ignore, then a lookup
/// for addresses stored earlier. The cache is only valid for committed rows and the open transaction: writers
/// ``reset()`` it after a rollback.
final class AddressInterner {
    private let db: Database
    private let path: String
    private var ids: [String: Int64] = [:]
    private let insert, find, setPublicKey: Statement
    /// Addresses this interner added to the store.
    private(set) var added = 0

    init(store: Store) throws {
        db = store.db
        path = store.path
        insert = try db.prepare("INSERT INTO addresses(address, script_type, public_key) VALUES (?1, ?2, ?3) ON CONFLICT(address) DO NOTHING")
        find = try db.prepare("SELECT id FROM addresses WHERE address = ?1")
        setPublicKey = try db.prepare("UPDATE addresses SET public_key = ?2 WHERE id = ?1 AND public_key IS NULL")
        ids.reserveCapacity(1 << 16)
    }

    /// The id of `text`, adding it with `scriptType` (and the bare `publicKey` of a P2PK output) when new.
    func id(of text: String, scriptType: ScriptType, publicKey: [UInt8]? = nil) throws -> Int64 {
        if let id = ids[text] { return id }
        insert.rewind()
        insert.bind(1, text)
        insert.bind(2, scriptType.rawValue)
        insert.bind(3, blob: publicKey)
        try insert.run()
        let id: Int64
        if db.changes == 1 {
            id = db.lastInsertRowID
            added += 1
        } else {
            find.rewind()
            find.bind(1, text)
            guard try find.step() else { throw StoreError(resultCode: 1, message: "address \(text) vanished", path: path) }
            id = find.int(0)
            find.rewind()
            if let publicKey {
                try setPublicKey.bind([.int(id), .blob(publicKey)])
                try setPublicKey.run()
            }
        }
        if ids.count > 4_000_000 { ids.removeAll(keepingCapacity: true) }
        ids[text] = id
        return id
    }

    /// Forgets every cached id (after a rollback some may name rows that no longer exist).
    func reset() { ids.removeAll(keepingCapacity: true) }
}
