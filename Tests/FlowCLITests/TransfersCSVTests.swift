import FlowCore
import FlowIngest
import FlowStore
import Foundation
import Testing
import TestSupport

@Suite("transfers-csv ingest")
struct TransfersCSVTests {
    private let example = Paths.fixture("transfers/worked-example.csv")

    @Test func readsHeaderNamedColumnsExactly() throws {
        var reader = try TransfersCSVReader(path: example, defaultChain: "generic")
        var rows: [AccountTransfer] = []
        while let t = try reader.next() { rows.append(t) }
        #expect(rows.count == 6)
        #expect(rows[0].from == "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "0x addresses are lower-cased")
        #expect(rows[0].amount.baseUnits == 4_000_000_000_000_000_000)
        #expect(rows.map(\.timestampUnix) == [1_700_000_001, 1_700_000_002, 1_700_000_003, 1_700_000_004, 1_700_000_005, 1_700_000_006])
        #expect(rows[4].decimals == nil && rows[4].index == 0)
        #expect(rows[5].amount.baseUnits == Int128(1) << 100, "2^100 base units, beyond 64 bits, exact")
    }

    @Test func withoutAnIndexColumnRowsAreNumberedWithinTheirTransactionAcrossTheFile() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("t.csv").path
            // Rows of 0xa come back after other transactions: numbering resumes where it stopped.
            let txs = ["0xa", "0xa", "0xb", "0xa", "0xc", "0xb", "0xa"]
            var text = "from,to,amount,asset,timestamp,tx\n"
            for (i, tx) in txs.enumerated() { text += "0x\(String(repeating: "1", count: 40)),0x\(String(repeating: "2", count: 40)),\(i + 1),ETH,\(1_700_000_000 + i),\(tx)\n" }
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            var reader = try TransfersCSVReader(path: path, defaultChain: "generic")
            var indexes: [String] = []
            while let t = try reader.next() { indexes.append("\(t.tx):\(t.index)") }
            #expect(indexes == ["0xa:0", "0xa:1", "0xb:0", "0xa:2", "0xc:0", "0xb:1", "0xa:3"])
            let db = dir.appendingPathComponent("t.sqlite").path
            let run = runCLI(["ingest", "transfers-csv", path, "--db", db])
            #expect(run.stderr.contains("ingested 7 transfers (0 already stored)"), "\(run.stderr)")
        }
    }

    @Test func ingestsIdempotentlyAndKeepsAmountsBeyond64Bits() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("t.sqlite").path
            let run = runCLI(["ingest", "transfers-csv", example, "--db", db])
            #expect(run.exitCode == 0, "\(run.stderr)")
            #expect(run.stderr.contains("ingested 6 transfers (0 already stored)"))
            let stats = try jsonObject(runCLI(["stats", "--db", db, "--json"]).stdout)
            #expect(stats["transfers"] as? Int == 6)
            #expect(stats["assets"] as? Int == 2)
            #expect(stats["chains"] as? [String] == ["ethereum"])
            let store = try Store(path: db, readOnly: true)
            let big = try store.db.prepare("SELECT amount, typeof(amount) FROM transfers WHERE tx = '0xt6'").rows { ($0.text(0), $0.text(1)) }
            #expect(big.first?.0 == "1267650600228229401496703205376")
            #expect(big.first?.1 == "text")
            let small = try store.db.prepare("SELECT typeof(amount) FROM transfers WHERE tx = '0xt1'").rows { $0.text(0) }
            #expect(small == ["integer"])
            let indexes = Set(try store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").rows { $0.text(0) })
            #expect(indexes.isSuperset(of: ["transfers_from", "transfers_to"]), "deferred indexes are rebuilt after the load")
            // The same rows in another file (new hash) are recognised row by row.
            let copy = dir.appendingPathComponent("copy.csv")
            try (String(contentsOfFile: example, encoding: .utf8) + "\n").write(to: copy, atomically: true, encoding: .utf8)
            let again = runCLI(["ingest", "transfers-csv", copy.path, "--db", db])
            #expect(again.exitCode == 0)
            #expect(again.stderr.contains("ingested 0 transfers (6 already stored)"), "\(again.stderr)")
            #expect(runCLI(["ingest", "transfers-csv", example, "--db", db]).stderr.contains("already ingested"))
        }
    }

    @Test func badRowsNameTheLineAndKeepTheRowsBefore() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("t.sqlite").path
            let bad = dir.appendingPathComponent("bad.csv")
            try """
            from,to,amount,asset,timestamp,tx
            a,b,100,ETH,1700000000,t1
            a,c,1.5,ETH,1700000001,t2
            """.write(to: bad, atomically: true, encoding: .utf8)
            let run = runCLI(["ingest", "transfers-csv", bad.path, "--db", db])
            #expect(run.exitCode == 65)
            #expect(run.stderr.contains("bad.csv") && run.stderr.contains("line 3") && run.stderr.contains("1.5"), "\(run.stderr)")
            #expect(try jsonObject(runCLI(["stats", "--db", db, "--json"]).stdout)["transfers"] as? Int == 1)

            let noHeader = dir.appendingPathComponent("noheader.csv")
            try "from,to,value\na,b,1\n".write(to: noHeader, atomically: true, encoding: .utf8)
            let h = runCLI(["ingest", "transfers-csv", noHeader.path, "--db", db])
            #expect(h.exitCode == 65)
            #expect(h.stderr.contains("line 1") && h.stderr.contains("amount"))

            // A value the store cannot hold (2^128 − 1 exceeds the signed 128-bit amount) is reported, never truncated.
            let huge = dir.appendingPathComponent("huge.csv")
            try "from,to,amount,asset,timestamp,tx\na,b,340282366920938463463374607431768211455,TOK,1700000000,t9\n"
                .write(to: huge, atomically: true, encoding: .utf8)
            let hugeRun = runCLI(["ingest", "transfers-csv", huge.path, "--db", db])
            #expect(hugeRun.exitCode == 65)
            #expect(hugeRun.stderr.contains("line 2") && hugeRun.stderr.contains("exceeds 128 bits"))

            let quote = dir.appendingPathComponent("quote.csv")
            try "from,to,amount,asset,timestamp,tx\na,b,1,ETH,1700000000,\"t1\n".write(to: quote, atomically: true, encoding: .utf8)
            let q = runCLI(["ingest", "transfers-csv", quote.path, "--db", db])
            #expect(q.exitCode == 65)
            #expect(q.stderr.contains("unterminated"))
        }
    }

    @Test func compileWritesTheSnapshotNextToTheStore() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("t.sqlite").path
            #expect(runCLI(["ingest", "transfers-csv", example, "--db", db, "--quiet"]).exitCode == 0)
            let run = runCLI(["compile", "--db", db, "--json"])
            #expect(run.exitCode == 0, "\(run.stderr)")
            let summary = try jsonObject(run.stdout)
            #expect(summary["edges"] as? Int == 6)
            #expect(summary["nodes"] as? Int == 6)
            #expect(FileManager.default.fileExists(atPath: db + ".graph"))
            let g = try GraphSnapshot.load(path: db + ".graph", expectedGeneration: try Store(path: db, readOnly: true).generation())
            #expect(g.validate() == nil)
            #expect(runCLI(["compile", "--db", dir.appendingPathComponent("none.sqlite").path]).exitCode == 66)
        }
    }

    @Test func aVersion1StoreIsUpgradedInPlaceToTheCurrentVersion() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("v1.sqlite").path
            #expect(runCLI(["ingest", "btc-raw", Paths.fixture("btc/blk/blocks-0-438.blk"), "--db", db, "--quiet"]).exitCode == 0)
            // Turn it back into a version-1 store: only the Bitcoin tables and the ingest log.
            let raw = try Database(path: db)
            let version1: Set<String> = ["meta", "sources", "addresses", "blocks", "transactions", "outputs", "inputs"]
            let later = try raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").rows { $0.text(0) }
                .filter { !version1.contains($0) }
            #expect(later.count >= 9)
            for table in later { try raw.execute("DROP TABLE \(table)") }
            try raw.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
            try raw.execute("ALTER TABLE sources DROP COLUMN transfers_added;")
            #expect(runCLI(["stats", "--db", db]).exitCode == 74)
            #expect(runCLI(["ingest", "transfers-csv", example, "--db", db, "--quiet"]).exitCode == 0)
            let stats = try jsonObject(runCLI(["stats", "--db", db, "--json"]).stdout)
            #expect(stats["storeSchemaVersion"] as? Int == Store.schemaVersion)
            #expect(stats["transfers"] as? Int == 6 && stats["blocks"] as? Int == 439)
        }
    }
}
