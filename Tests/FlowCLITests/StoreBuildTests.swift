import FlowIngest
import FlowStore
import Foundation
import Glibc
import Testing
import TestSupport

/// `ingest eth-etl` into a store that does not exist yet builds it aside (`PATH-building`, no write-ahead log) and
/// places it when the run ends; `--in-place` grows it in place instead. Both leave the same store.
@Suite("New stores built aside", .serialized)
struct StoreBuildTests {
    static let stream = Paths.shared("eth/ethereum-etl/test_stream/blocks_17173049_17173050")
    static let files = ["blocks", "transactions", "logs", "token_transfers"].map { "\(stream)/expected_\($0).json" }

    /// Every table an Ethereum ingest writes, row by row (ids included), and the ingest log without its times (an
    /// error it records names the store: as `<store>`).
    static func dump(_ db: String) throws -> [String] {
        let store = try Store(path: db, readOnly: true)
        var out: [String] = []
        for table in ["eth_blocks", "eth_transactions", "eth_token_transfers", "transfers", "addresses", "assets", "eth_derived",
                      "eth_pending", "token_metadata"] {
            let s = try store.db.prepare("SELECT * FROM \(table)")
            out += try s.rows { r in table + ": " + (0..<r.columnCount).map { r.isNull($0) ? "null" : r.text($0) }.joined(separator: "|") }.sorted()
        }
        out += try store.db.prepare("SELECT id, path, sha256, format, status, transactions_added, transfers_added, error FROM sources ORDER BY id")
            .rows { r in "sources: " + (0..<8).map { r.isNull($0) ? "null" : r.text($0).replacingOccurrences(of: db, with: "<store>") }.joined(separator: "|") }
        return out
    }

    /// Writes an ethereum-etl CSV export — blocks, transactions, receipts — of `blocks` blocks from number `first`,
    /// `perBlock` successful transactions each, whose sender, receiver (as numbers made into addresses) and value in
    /// wei are given per (block offset, index); returns the files' paths.
    static func writeExport(in dir: URL, first: Int, blocks: Int, perBlock: Int, from: (Int, Int) -> Int, to: (Int, Int) -> Int,
                            value: (Int, Int) -> String) throws -> [String] {
        func hex(_ n: Int, _ digits: Int) -> String { let h = String(n, radix: 16); return "0x" + String(repeating: "0", count: digits - h.count) + h }
        var blockRows = "number,hash,parent_hash,miner,timestamp,transaction_count\n"
        var txs = "hash,nonce,block_hash,block_number,transaction_index,from_address,to_address,value,gas,gas_price,block_timestamp\n"
        var receipts = "transaction_hash,transaction_index,block_hash,block_number,cumulative_gas_used,gas_used,contract_address,root,status,effective_gas_price\n"
        for b in 0..<blocks {
            let number = first + b, hash = hex(number, 64), time = 1_600_000_000 + 12 * b
            blockRows += "\(number),\(hash),\(hex(number - 1, 64)),\(hex(7, 40)),\(time),\(perBlock)\n"
            for i in 0..<perBlock {
                let tx = hex(number * 100 + i, 64)
                txs += "\(tx),\(i),\(hash),\(number),\(i),\(hex(from(b, i), 40)),\(hex(to(b, i), 40)),\(value(b, i)),30000,7,\(time)\n"
                receipts += "\(tx),\(i),\(hash),\(number),\(21000 * (i + 1)),21000,,,1,7\n"
            }
        }
        var paths: [String] = []
        for (name, text) in [("blocks", blockRows), ("transactions", txs), ("receipts", receipts)] {
            paths.append(dir.appendingPathComponent("\(name).csv").path)
            try text.write(toFile: paths.last!, atomically: true, encoding: .utf8)
        }
        return paths
    }

    static func journalMode(_ db: String) throws -> String {
        try Store(path: db, readOnly: true).db.prepare("PRAGMA journal_mode").rows { $0.text(0) }.first ?? ""
    }

    @Test func aNewStoreBuiltAsideEqualsOneGrownInPlace() throws {
        try withTemporaryDirectory { dir in
            let aside = dir.appendingPathComponent("aside.sqlite").path, inPlace = dir.appendingPathComponent("in-place.sqlite").path
            let a = runCLI(["ingest", "eth-etl"] + Self.files + ["--db", aside, "--batch-rows", "100"])
            #expect(a.exitCode == 0, "\(a.stderr)")
            let b = runCLI(["ingest", "eth-etl"] + Self.files + ["--db", inPlace, "--batch-rows", "100", "--in-place"])
            #expect(b.exitCode == 0, "\(b.stderr)")
            let dump = try Self.dump(aside)
            #expect(dump.filter { $0.hasPrefix("transfers: ") }.count > 500)
            #expect(dump == (try Self.dump(inPlace)))
            // Placed whole: nothing left beside it, a write-ahead log like every store, intact.
            #expect(!FileManager.default.fileExists(atPath: aside + "-building"))
            #expect(try Self.journalMode(aside) == "wal")
            #expect(try Store(path: aside, readOnly: true).db.prepare("PRAGMA integrity_check").rows { $0.text(0) } == ["ok"])
            // The placed store is an ordinary one: the next run ingests into it in place, and changes nothing here.
            let again = runCLI(["ingest", "eth-etl"] + Self.files + ["--db", aside])
            #expect(again.exitCode == 0 && again.stderr.contains("already ingested"), "\(again.stderr)")
            #expect(try Self.dump(aside) == dump)
        }
    }

    /// A derivation refused mid-way (a value beyond what the store holds) undoes its transfers and new addresses,
    /// but the indexes it dropped for the load — the transfers' and the addresses' unique one — are built again
    /// before the store is placed, with the files it read: the same store as in place, intact.
    @Test func aRefusedDerivationLeavesEveryIndexInThePlacedStore() throws {
        try withTemporaryDirectory { dir in
            // Block 103's second transaction moves 2^200 wei.
            let files = try Self.writeExport(in: dir, first: 100, blocks: 5, perBlock: 3, from: { b, i in 1 + b * 3 + i },
                                             to: { b, i in 500 + b * 3 + i },
                                             value: { b, i in b == 3 && i == 1 ? "1606938044258990275541962092341162602522202993782792835301376" : "\(i + 1)" })
            let aside = dir.appendingPathComponent("aside.sqlite").path, inPlace = dir.appendingPathComponent("in-place.sqlite").path
            let a = runCLI(["ingest", "eth-etl"] + files + ["--db", aside])
            let b = runCLI(["ingest", "eth-etl"] + files + ["--db", inPlace, "--in-place"])
            #expect(a.exitCode == 65 && b.exitCode == 65)
            #expect(a.stderr.contains("the value of the transaction in block 103") && a.stderr.contains("refusing to truncate it"), "\(a.stderr)")
            let store = try Store(path: aside, readOnly: true)
            let indexes = Set(try store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").rows { $0.text(0) })
            #expect(indexes.isSuperset(of: ["addresses_address", "transfers_from", "transfers_to"]), "\(indexes)")
            #expect(try store.db.prepare("PRAGMA integrity_check").rows { $0.text(0) } == ["ok"])
            let dump = try Self.dump(aside)
            #expect(dump.filter { $0.hasPrefix("eth_transactions: ") }.count == 15)
            #expect(dump.contains { $0.hasPrefix("sources: ") && $0.contains("|eth-derive|failed|") }, "\(dump.filter { $0.hasPrefix("sources: ") })")
            #expect(dump == (try Self.dump(inPlace)))
        }
    }

    /// A bad file refuses its own rows only: the files before it are in the placed store, as in place.
    @Test func aBadFileLeavesTheFilesBeforeItInThePlacedStore() throws {
        try withTemporaryDirectory { dir in
            let bad = dir.appendingPathComponent("bad.json").path
            try #"{"type": "transaction", "hash": "0x01"}"#.write(toFile: bad, atomically: true, encoding: .utf8)
            let aside = dir.appendingPathComponent("aside.sqlite").path, inPlace = dir.appendingPathComponent("in-place.sqlite").path
            let a = runCLI(["ingest", "eth-etl"] + Self.files.prefix(2) + [bad, "--db", aside])
            let b = runCLI(["ingest", "eth-etl"] + Self.files.prefix(2) + [bad, "--db", inPlace, "--in-place"])
            #expect(a.exitCode == 65 && b.exitCode == 65)
            #expect(a.stderr.contains("bad.json"), "\(a.stderr)")
            let dump = try Self.dump(aside)
            #expect(dump.contains { $0.hasPrefix("eth_transactions: ") })
            #expect(dump.contains { $0.hasPrefix("sources: ") && $0.contains("|failed|")
                                   && $0.contains("|<store>: \(bad):1: transaction without block_number") },
                    "\(dump.filter { $0.hasPrefix("sources: ") })")
            #expect(a.stderr.contains("error: \(aside): \(bad):1:"), "\(a.stderr)")
            #expect(!FileManager.default.fileExists(atPath: aside + "-building"))
            #expect(dump == (try Self.dump(inPlace)))
        }
    }

    /// While a build holds its file, a second build of the same store is refused (exit 75) and creates nothing; a
    /// build file no one holds (a killed run's) is replaced.
    @Test func aSecondBuildOfTheSameStoreIsRefused() throws {
        try withTemporaryDirectory { (dir: URL) throws in
            let db = dir.appendingPathComponent("s.sqlite").path, building = db + "-building"
            #expect(FileManager.default.createFile(atPath: building, contents: Data("not a store".utf8)))
            let fd = open(building, O_RDONLY)
            #expect(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
            let refused = runCLI(["ingest", "eth-etl"] + Self.files + ["--db", db])
            #expect(refused.exitCode == 75, "\(refused.stderr)")
            #expect(refused.stderr.contains("another ingest is building a new store for \(db)"), "\(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: db))
            #expect(try String(contentsOfFile: building, encoding: .utf8) == "not a store")
            _ = Glibc.close(fd)
            let built = runCLI(["ingest", "eth-etl"] + Self.files + ["--db", db])
            #expect(built.exitCode == 0, "\(built.stderr)")
            #expect(!FileManager.default.fileExists(atPath: building))
            #expect(try Self.dump(db).contains { $0.hasPrefix("transfers: ") })
        }
    }

    /// Without a write-ahead log, the derivation's reading connection and the writer share the file's locks: a
    /// writer whose cache overflows must keep its pages rather than spill them into the file (which would lock the
    /// reader out while the writer waits for its next blocks). With a 64 KiB cache and every block derived in one
    /// transaction the writer's pages overflow at once; the derivation still completes, as in place, and so it does
    /// committing every few blocks, and with the address ids given on the derivation's thread only for a while.
    @Test func aDerivationBesideTheWriterSurvivesACacheOverflow() throws {
        try withTemporaryDirectory { dir in
            let paths = try Self.writeExport(in: dir, first: 5_000, blocks: 300, perBlock: 20, from: { b, i in 1 + (b * 20 + i) % 997 },
                                             to: { b, i in 2_000 + b * 20 + i }, value: { _, i in "\(1 + i)" })
            // Whether the addresses' unique index was there at each commit of the derivation.
            var indexAtCommits: [Bool] = []
            func load(_ store: Store, chunkBlocks: Int = 1_000_000, addressCapacity: Int = 8_000_000) throws -> Int {
                indexAtCommits = []
                for path in paths {
                    let writer = try EthWriter(store: store, source: SourceDescription(path: path, sha256: nil, format: "eth-etl", chain: .named("ethereum"), bytes: nil),
                                               deferDerivation: true)
                    try EthETLReader.readRows(path: path, columns: EthWriter.fieldsRead) { try writer.add($0) }
                    try writer.finish()
                }
                try store.db.execute("PRAGMA cache_size = -64")
                let writer = try EthWriter(store: store, source: SourceDescription(path: "derive", sha256: nil, format: "eth-derive", chain: .named("ethereum"), bytes: nil))
                let derived = try writer.derivePending(chunkBlocks: chunkBlocks, addressCapacity: addressCapacity) { _ in
                    indexAtCommits.append((try? store.db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'addresses_address'")) == 1)
                }
                #expect(writer.newAddresses == 997 + 6_000 + 1, "the senders, the receivers and the fee sink")
                try writer.finish()
                return derived
            }
            /// The addresses' unique index is there, holds every address, and refuses a second row of one.
            func expectAddressIndex(_ path: String) throws {
                let store = try Store(path: path)
                #expect(try store.db.prepare("PRAGMA integrity_check").rows { $0.text(0) } == ["ok"])
                #expect(try store.db.scalarInt("SELECT count(*) FROM addresses INDEXED BY addresses_address WHERE address > ''") == 997 + 6_000 + 1)
                #expect(throws: StoreError.self) {
                    try store.db.execute("INSERT INTO addresses(address, script_type) SELECT address, script_type FROM addresses LIMIT 1")
                }
            }
            let built = try #require(try Store.beginBuild(at: dir.appendingPathComponent("built.sqlite").path))
            #expect(try load(built) == 300)
            // Built aside with the ids given on the derivation's thread, the index is built once, at the end.
            #expect(indexAtCommits == [false])
            try built.completeBuild()
            try expectAddressIndex(dir.appendingPathComponent("built.sqlite").path)
            let inPlace = dir.appendingPathComponent("in-place.sqlite").path
            #expect(try load(Store(path: inPlace)) == 300)
            #expect(indexAtCommits == [true])  // in place, others may read: the index stays
            try expectAddressIndex(inPlace)
            let dump = try Self.dump(dir.appendingPathComponent("built.sqlite").path)
            #expect(dump.filter { $0.hasPrefix("transfers: ") }.count == 12_000)
            #expect(dump == (try Self.dump(inPlace)))
            // Committing every 7 blocks while the derivation reads (each commit waits for the reader's lock): the same.
            let chunked = try #require(try Store.beginBuild(at: dir.appendingPathComponent("chunked.sqlite").path))
            #expect(try load(chunked, chunkBlocks: 7) == 300)
            #expect(indexAtCommits.count == 43 && !indexAtCommits.contains(true))
            try chunked.completeBuild()
            try expectAddressIndex(dir.appendingPathComponent("chunked.sqlite").path)
            #expect(try Self.dump(dir.appendingPathComponent("chunked.sqlite").path).filter { !$0.hasPrefix("sources: ") }
                    == dump.filter { !$0.hasPrefix("sources: ") })
            // Address ids are given on the derivation's thread while it holds at most 3,000 addresses, then interned
            // by the writer: the same ids.
            let capped = try #require(try Store.beginBuild(at: dir.appendingPathComponent("capped.sqlite").path))
            #expect(try load(capped, chunkBlocks: 7, addressCapacity: 3_000) == 300)
            // Once the writer interns, the index is built first (inside its open transaction) and kept.
            #expect(indexAtCommits.first == false && indexAtCommits.last == true && indexAtCommits.drop { !$0 }.allSatisfy { $0 },
                    "\(indexAtCommits)")
            try capped.completeBuild()
            try expectAddressIndex(dir.appendingPathComponent("capped.sqlite").path)
            #expect(try Self.dump(dir.appendingPathComponent("capped.sqlite").path).filter { !$0.hasPrefix("sources: ") }
                    == dump.filter { !$0.hasPrefix("sources: ") })
        }
    }

    /// A file that appears at the store's path during a build is never replaced: placing fails, naming the build
    /// file, which is kept whole.
    @Test func aFileThatAppearsAtThePathIsNotReplaced() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("s.sqlite").path
            let store = try #require(try Store.beginBuild(at: db))
            #expect(store.isBuilding && store.path == db && store.file == db + "-building")
            #expect(!FileManager.default.fileExists(atPath: db))
            try store.db.execute("INSERT INTO meta(key, value) VALUES ('note', 'built')")
            #expect(FileManager.default.createFile(atPath: db, contents: Data("someone else's".utf8)))
            do {
                try store.completeBuild()
                Issue.record("placed over an existing file")
            } catch let e as StoreError {
                #expect(e.isBusy && "\(e)".contains("appeared") && e.path == db + "-building", "\(e)")
            }
            #expect(try String(contentsOfFile: db, encoding: .utf8) == "someone else's")
            let kept = try Store(path: db + "-building", readOnly: true)
            #expect(try kept.db.prepare("SELECT value FROM meta WHERE key = 'note'").rows { $0.text(0) } == ["built"])
            // Something at the path: no build, the store opens in place.
            #expect(try Store.beginBuild(at: db) == nil)
        }
    }
}
