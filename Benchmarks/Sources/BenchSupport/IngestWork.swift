import FlowCore
import FlowIngest
import FlowStore
import Foundation

/// The ingest work the benchmarks measure, on the real raw blocks of `../shared/data/btc/raw-blocks`.
public enum IngestWork {
    /// `../shared/data` beside the FlowTrace checkout (this file is Benchmarks/Sources/BenchSupport/…).
    public static let sharedData = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/data")

    /// The bytes of every real single-block file, loaded once.
    public static func loadRawBlocks() throws -> [[UInt8]] {
        let dir = sharedData.appendingPathComponent("btc/raw-blocks")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".raw") }.sorted()
        guard !names.isEmpty else { throw CocoaError(.fileNoSuchFile) }
        return try names.map { [UInt8](try Data(contentsOf: dir.appendingPathComponent($0))) }
    }

    /// Parses every block (txids, block hash, address encoding of every output). Returns the output count.
    public static func parse(_ blocks: [[UInt8]]) throws -> (blocks: [BitcoinBlock], outputs: Int) {
        let parser = RawBlockParser(network: .mainnet)
        var parsed: [BitcoinBlock] = []
        var outputs = 0
        for b in blocks {
            let block = try b.withUnsafeBytes { try parser.parseBlock($0) }
            outputs += block.transactions.reduce(0) { $0 + $1.outputs.count }
            parsed.append(block)
        }
        return (parsed, outputs)
    }

    /// Parses every block on all cores (what `flowtrace ingest btc-raw` does with blk files). Returns the output count.
    public static func parseParallel(_ blocks: [[UInt8]]) throws -> (blocks: [BitcoinBlock], outputs: Int) {
        let parsed = try RawBlockParser(network: .mainnet).parseBlocks(blocks).map { try $0.get() }
        return (parsed, parsed.reduce(0) { $0 + $1.transactions.reduce(0) { $0 + $1.outputs.count } })
    }

    /// Stores parsed blocks into a fresh store at `path`; returns the rows written.
    public static func store(_ blocks: [BitcoinBlock], at path: String) throws -> Int {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let store = try Store(path: path)
        let writer = try BitcoinWriter(store: store, source: SourceDescription(path: "bench", sha256: nil, format: "btc-raw",
                                                                             chain: .bitcoin(.mainnet), bytes: nil))
        for b in blocks { try writer.add(block: b) }
        try writer.finish()
        return writer.counts.rows
    }
}
