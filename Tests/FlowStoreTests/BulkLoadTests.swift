@testable import FlowStore
import Foundation
import Testing
import TestSupport

@Suite("Bulk loads")
struct BulkLoadTests {
    private func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? -1
    }

    /// While a bulk load runs, the writer's commits only append to the log and another thread copies them into the
    /// database file; afterwards the writer checkpoints as before, and every row is there. An error in the load
    /// reaches the caller, with the thread stopped and the writer's own checkpoints back on.
    @Test func commitsReachTheDatabaseFileWhileTheWriterOnlyAppends() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("c.sqlite").path
            let store = try Store(path: path)
            try store.db.execute("CREATE TABLE bulk(id INTEGER PRIMARY KEY, payload BLOB NOT NULL)")
            let before = fileSize(path)
            let insert = try store.db.prepare("INSERT INTO bulk(payload) VALUES (zeroblob(3000))")
            var sizeDuring = before, autocheckpointDuring: Int64 = -1
            try store.withCheckpointsInBackground {
                autocheckpointDuring = try store.db.scalarInt("PRAGMA wal_autocheckpoint") ?? -1
                for _ in 0..<8 {
                    try store.db.transaction { for _ in 0..<500 { try insert.run() } }
                }
                // The checkpointer runs every few milliseconds: wait for it to copy the commits (at most 10 s).
                let deadline = Date(timeIntervalSinceNow: 10)
                while fileSize(path) <= before + 8 * 500 * 3000, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
                sizeDuring = fileSize(path)
            }
            #expect(autocheckpointDuring == 0, "the writer leaves checkpoints to the thread")
            #expect(sizeDuring > before + 8 * 500 * 3000, "committed pages reached the database file during the load: \(before) -> \(sizeDuring)")
            #expect(try store.db.scalarInt("PRAGMA wal_autocheckpoint") == 1000)
            #expect(try store.db.scalarInt("SELECT count(*) FROM bulk") == 4000)

            struct Stop: Error {}
            #expect(throws: Stop.self) {
                try store.withCheckpointsInBackground { try store.db.transaction { try insert.run() }; throw Stop() }
            }
            #expect(try store.db.scalarInt("PRAGMA wal_autocheckpoint") == 1000)
            #expect(try store.db.scalarInt("SELECT count(*) FROM bulk") == 4001)
            let check = try store.db.prepare("PRAGMA integrity_check").rows { $0.text(0) }
            #expect(check == ["ok"])
        }
    }

    /// The transfers' address indexes rebuilt after a bulk load (sorted in small runs, the table read through a
    /// memory map, runs sorted on helper threads) hold every row in order, as indexes kept row by row do; the
    /// connection's cache, temporary storage, memory map and helper threads are as they were. 180,000 rows sort in
    /// more than one run, so the runs are merged.
    @Test func rebuiltIndexesEqualIndexesKeptRowByRow() throws {
        try withTemporaryDirectory { dir in
            var random = SeededRandom(seed: 0x1D5)
            let rows = (0..<180_000).map { i in (from: Int64(random.int(0...5_000)), to: Int64(random.int(0...5_000)), time: Int64(i / 7)) }
            func load(_ name: String, rebuild: Bool) throws -> (Store, [[Int64]]) {
                let store = try Store(path: dir.appendingPathComponent(name).path)
                if rebuild { try store.dropSecondaryIndexes(.transfers) }
                let insert = try store.db.prepare("""
                    INSERT INTO transfers(chain, asset_id, from_id, to_id, amount, time, tx, log_index) VALUES ('c', 1, ?1, ?2, 1, ?3, 't', ?4)
                    """)
                try store.db.transaction {
                    for (i, r) in rows.enumerated() { try insert.bind([.int(r.from), .int(r.to), .int(r.time), .int(Int64(i))]); try insert.run() }
                }
                if rebuild { try store.createSecondaryIndexes(.transfers) }
                let byIndex = try ["transfers_from", "transfers_to"].map { index in
                    try store.db.prepare("SELECT id FROM transfers INDEXED BY \(index) WHERE \(index == "transfers_from" ? "from_id" : "to_id") >= 0")
                        .rows { $0.int(0) }
                }
                return (store, byIndex)
            }
            let (kept, keptOrder) = try load("kept.sqlite", rebuild: false)
            let (store, rebuiltOrder) = try load("rebuilt.sqlite", rebuild: true)
            #expect(rebuiltOrder == keptOrder)
            #expect(rebuiltOrder[0].count == rows.count)
            for s in [kept, store] { #expect(try s.db.prepare("PRAGMA integrity_check").rows { $0.text(0) } == ["ok"]) }
            #expect(try store.db.scalarInt("PRAGMA cache_size") == -262144)
            #expect(try store.db.scalarInt("PRAGMA temp_store") == 2)
            #expect(try store.db.scalarInt("PRAGMA mmap_size") == 0)
            #expect(try store.db.scalarInt("PRAGMA threads") == 0)
        }
    }

    /// New stores hold the addresses' uniqueness in a named index, which a bulk load may drop and build again; a
    /// store created before holds it in the table's inline constraint, which is kept as it is: no second index is
    /// added, and a repeated address is refused either way.
    @Test func theAddressIndexIsNamedInNewStoresAndInlineInOldOnes() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir.appendingPathComponent("new.sqlite").path)
            #expect(try store.hasNamedAddressIndex())
            try store.dropSecondaryIndexes(.addresses)
            #expect(try store.hasNamedAddressIndex(), "dropped for a load, it is still the store's form")
            try store.createSecondaryIndexes()
            #expect(try store.db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'addresses_address'") == 1)

            let old = try Store(path: dir.appendingPathComponent("old.sqlite").path)
            try old.db.execute("""
                DROP TABLE addresses;
                CREATE TABLE addresses(id INTEGER PRIMARY KEY, address TEXT NOT NULL UNIQUE, script_type INTEGER NOT NULL, public_key BLOB);
                """)
            #expect(try !old.hasNamedAddressIndex())
            try old.createSecondaryIndexes()
            let indexes = try old.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'addresses'").rows { $0.text(0) }
            #expect(indexes == ["sqlite_autoindex_addresses_1"])
            for s in [store, old] {
                try s.db.execute("INSERT INTO addresses(address, script_type) VALUES ('0xab', 11)")
                #expect(throws: StoreError.self) { try s.db.execute("INSERT INTO addresses(address, script_type) VALUES ('0xab', 11)") }
            }
        }
    }
}
