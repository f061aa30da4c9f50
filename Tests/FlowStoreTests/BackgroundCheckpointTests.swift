@testable import FlowStore
import Foundation
import Testing
import TestSupport

@Suite("Checkpoints in the background")
struct BackgroundCheckpointTests {
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
}
