import FlowCore
import FlowStore
import Foundation
import Testing
import TestSupport

@Suite("Graph snapshot")
struct GraphSnapshotTests {
    /// Writes random transfers (seeded) with several per address, equal timestamps and 128-bit amounts.
    private func randomStore(_ dir: URL, seed: UInt64, transfers: Int, addresses: Int) throws -> Store {
        let store = try Store(path: dir.appendingPathComponent("r\(seed).sqlite").path)
        let w = try TransferWriter(store: store, source: SourceDescription(path: "random", sha256: nil, format: "test",
                                                                           chain: .named("test"), bytes: nil))
        var rng = SeededRandom(seed: seed)
        for i in 0..<transfers {
            let from = Int.random(in: 0..<addresses, using: &rng)
            var to = Int.random(in: 0..<addresses, using: &rng)
            if to == from { to = (to + 1) % addresses }
            let big = Bool.random(using: &rng)
            let amount = big ? Int128(UInt64.random(in: 0...UInt64.max, using: &rng)) << 40 : Int128(UInt64.random(in: 0...1_000_000, using: &rng))
            try w.add(AccountTransfer(chain: "test", asset: Bool.random(using: &rng) ? "A" : "B", decimals: nil,
                                      from: "addr\(from)", to: "addr\(to)", amount: Amount(baseUnits: amount),
                                      timestampUnix: Int64.random(in: 0...50, using: &rng), tx: "t\(i)", block: nil, index: 0))
        }
        try w.finish()
        return store
    }

    /// Reference: the out-edges of every address straight from SQL, in (time, id) order.
    private func referenceAdjacency(_ store: Store) throws -> [Int64: [String]] {
        var out: [Int64: [String]] = [:]
        for row in try store.db.prepare("SELECT from_id, to_id, amount, time, asset_id, id FROM transfers ORDER BY from_id, time, id").rows([], {
            ($0.int(0), "\($0.int(1))|\($0.text(2))|\($0.int(3))|\($0.int(4))|\($0.int(5))")
        }) {
            out[row.0, default: []].append(row.1)
        }
        return out
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func snapshotEqualsTheStoreAndKeepsItsInvariants(seed: UInt64) throws {
        try withTemporaryDirectory { dir in
            let store = try randomStore(dir, seed: seed, transfers: 600, addresses: 40)
            let path = dir.appendingPathComponent("g.graph").path
            let summary = try GraphSnapshot.build(from: store, to: path)
            let g = try GraphSnapshot.load(path: path, expectedGeneration: try store.generation())
            #expect(summary.edges == 600 && g.edgeCount == 600)
            #expect(g.validate() == nil)
            var fromGraph: [Int64: [String]] = [:]
            for v in 0..<g.nodeCount {
                for e in g.outEdges(of: v) {
                    fromGraph[g.nodeAddressID[v], default: []].append(
                        "\(g.nodeAddressID[Int(g.edgeTarget[e])])|\(g.amount(of: e))|\(g.edgeTime[e])|\(g.edgeAsset[e])|\(g.edgeTransferID[e])")
                }
            }
            #expect(fromGraph == (try referenceAdjacency(store)))
            // In-adjacency: the same edges, grouped by target.
            var inCount = 0
            for v in 0..<g.nodeCount { inCount += g.inEdgePositions(of: v).count }
            #expect(inCount == 600)
        }
    }

    @Test func aStaleOrDamagedSnapshotIsNeverUsed() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("s.sqlite").path
            #expect(runIngest(db))
            let store = try Store(path: db)
            let path = GraphSnapshot.defaultPath(forStore: db)
            try GraphSnapshot.build(from: store, to: path)
            let g = try GraphSnapshot.load(path: path, expectedGeneration: try store.generation())
            #expect(g.edgeCount == 6)
            #expect(g.amount(of: Int(g.outEdges(of: 0).lowerBound)).baseUnits > 0)

            // Any later ingest bumps the generation: the snapshot is refused as stale.
            let w = try TransferWriter(store: store, source: SourceDescription(path: "x", sha256: nil, format: "test", chain: .named("t"), bytes: nil))
            try w.add(AccountTransfer(chain: "t", asset: "A", decimals: nil, from: "p", to: "q", amount: Amount(1), timestampUnix: 1,
                                      tx: "x", block: nil, index: 0))
            try w.finish()
            let stale = try #require(throws: SnapshotError.self) { try GraphSnapshot.load(path: path, expectedGeneration: try store.generation()) }
            #expect(stale.kind == .stale)

            // A truncated file is reported as corrupt, a missing one as missing.
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            bytes = bytes.prefix(bytes.count - 10)
            try bytes.write(to: URL(fileURLWithPath: path))
            #expect((try? GraphSnapshot.load(path: path, expectedGeneration: nil)) == nil)
            let missing = try #require(throws: SnapshotError.self) { try GraphSnapshot.load(path: path + ".nope", expectedGeneration: nil) }
            #expect(missing.kind == .missing)
        }
    }

    /// The UTXO sections: every stored transaction, output and input, spends linked both ways, ranks topological.
    @Test func utxoGraphOfRealBlocksMatchesTheStore() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("u.sqlite").path
            let store = try Store(path: db)
            _ = try StoreBuilder.ingestRaw([Paths.fixture("btc/blk/blocks-0-438.blk"), Paths.shared("btc/raw-blocks/block-227835.raw"),
                                            Paths.shared("btc/raw-blocks/block-227836.raw")], into: store)
            let path = GraphSnapshot.defaultPath(forStore: db)
            let summary = try GraphSnapshot.build(from: store, to: path)
            let u = try GraphSnapshot.loadAll(path: path, expectedGeneration: try store.generation()).utxo
            #expect(u.validate() == nil)
            let counts = try store.db.prepare("""
                SELECT (SELECT count(*) FROM transactions), (SELECT count(*) FROM outputs), (SELECT count(*) FROM inputs),
                       (SELECT count(*) FROM inputs WHERE prev_tx_id IS NOT NULL)
                """).rows { [Int($0.int(0)), Int($0.int(1)), Int($0.int(2)), Int($0.int(3))] }.first
            #expect([summary.transactions, summary.outputs, summary.inputs] == Array(counts?.prefix(3) ?? []))
            #expect((0..<u.outputCount).filter { u.outSpender[$0] != UTXOGraph.noIndex }.count == counts?[3])
            // Block 227836 spends outputs of block 227835: those spends are linked in the snapshot.
            #expect((counts?[3] ?? 0) > 7)
        }
    }

    private func runIngest(_ db: String) -> Bool {
        do {
            let store = try Store(path: db)
            var reader = try FlowIngestBridge.reader(Paths.fixture("transfers/worked-example.csv"))
            let w = try TransferWriter(store: store, source: SourceDescription(path: "f", sha256: nil, format: "transfers-csv",
                                                                               chain: .named("ethereum"), bytes: nil))
            while let t = try reader.next() { try w.add(t) }
            try w.finish()
            return true
        } catch {
            Issue.record("\(error)")
            return false
        }
    }
}
