import FlowCore
import FlowIngest
import FlowStore
import Foundation

/// Ingests files into a store the way `flowtrace ingest` does, for tests below the CLI.
public enum StoreBuilder {
    /// Reads every block of `paths` (raw or blk framing) into `store`, one ingest-log source per file.
    @discardableResult
    public static func ingestRaw(_ paths: [String], into store: Store, xorKey: [UInt8]? = nil) throws -> IngestCounts {
        var total = IngestCounts()
        for path in paths {
            var reader = try BlockFileReader(path: path, xorKey: xorKey)
            let writer = try BitcoinWriter(store: store, source: SourceDescription(
                path: path, sha256: try FileDigest.sha256Hex(path: path), format: "btc-raw",
                chain: .bitcoin(reader.network), bytes: nil))
            do {
                while let r = try reader.nextBlock() { try writer.add(block: r.block) }
                if let tx = reader.looseTransaction { try writer.add(transactions: [tx], indexes: [nil], in: nil) }
                try writer.finish()
            } catch {
                try writer.finish(error: "\(error)")
                throw error
            }
            total.blocks += writer.counts.blocks
            total.transactions += writer.counts.transactions
            total.outputs += writer.counts.outputs
            total.inputs += writer.counts.inputs
        }
        return total
    }

    /// Writes blocks in `blk*.dat` framing, in the given order.
    public static func writeBlkFile(_ blocks: [[UInt8]], to url: URL, magic: [UInt8] = BitcoinNetwork.mainnet.magic) throws {
        var out = [UInt8]()
        for b in blocks {
            out += magic
            let n = UInt32(b.count)
            out += [UInt8(n & 0xff), UInt8(n >> 8 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 24)]
            out += b
        }
        try Data(out).write(to: url)
    }

    /// The raw bytes of each framed block of a blk file (no XOR).
    public static func rawBlocks(ofBlkFile path: String) throws -> [[UInt8]] {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var out: [[UInt8]] = []
        var o = 0
        while o + 8 <= data.count {
            let size = Int(data[o + 4]) | Int(data[o + 5]) << 8 | Int(data[o + 6]) << 16 | Int(data[o + 7]) << 24
            out.append(Array(data[(o + 8)..<(o + 8 + size)]))
            o += 8 + size
        }
        return out
    }

    /// A canonical dump of the chain tables (not the ingest log), for comparing two stores.
    public static func dump(_ store: Store) throws -> [String] {
        let queries = [
            "SELECT hex(hash), chain, height, hex(prev_hash), time, version, hex(merkle_root), bits, nonce, tx_count, size, stripped_size, weight, is_complete FROM blocks ORDER BY hash",
            "SELECT hex(t.txid), hex(b.hash), t.block_index, t.version, t.lock_time, t.size, t.weight, t.is_coinbase, t.input_count, t.output_count, t.output_value, t.known_input_value, t.unknown_inputs, t.fee FROM transactions t LEFT JOIN blocks b ON b.id = t.block_id ORDER BY t.txid",
            "SELECT hex(t.txid), o.vout, o.value, a.address, o.script_type FROM outputs o JOIN transactions t ON t.id = o.tx_id JOIN addresses a ON a.id = o.address_id ORDER BY t.txid, o.vout",
            "SELECT hex(t.txid), i.vin, hex(i.prev_txid), i.prev_vout, i.sequence, hex(p.txid), i.value, a.address FROM inputs i JOIN transactions t ON t.id = i.tx_id LEFT JOIN transactions p ON p.id = i.prev_tx_id LEFT JOIN addresses a ON a.id = i.address_id ORDER BY t.txid, i.vin",
            "SELECT address, script_type, hex(public_key) FROM addresses ORDER BY address",
        ]
        var lines: [String] = []
        for q in queries {
            let s = try store.db.prepare(q)
            try s.bind([])
            let columns = q.components(separatedBy: " FROM ")[0].components(separatedBy: ",").count
            while try s.step() {
                lines.append((0..<Int32(columns)).map { s.isNull($0) ? "∅" : s.text($0) }.joined(separator: "|"))
            }
        }
        return lines
    }
}

/// Opens ingest readers for tests of other modules.
public enum FlowIngestBridge {
    public static func reader(_ path: String, chain: String = "generic") throws -> TransfersCSVReader {
        try TransfersCSVReader(path: path, defaultChain: chain)
    }
}
