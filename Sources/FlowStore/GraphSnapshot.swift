import FlowCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a snapshot could not be used.
public struct SnapshotError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case missing, stale, corrupt, io }
    public var kind: Kind
    public var message: String
    public var path: String
    public var description: String { "\(path): \(message)" }
}

/// Both graphs of a snapshot: the account-model transfer graph and the UTXO transaction graph.
public struct CompiledGraphs: @unchecked Sendable {
    public let account: FlowGraph
    public let utxo: UTXOGraph
    public let storeGeneration: Int64
}

/// The compiled graph snapshot: the store's account-model transfers and its Bitcoin transactions as flat arrays in
/// one file, loaded by memory-mapping it (no parsing), and tied to the store generation it was built from.
///
/// File layout (little-endian): a 64-byte header — magic `FTGRAPH1`, format version (u32), section count (u32),
/// store generation (i64), node count (u64), edge count (u64), transaction count (u64), output count (u64), input
/// count (u64) — then a table of (offset, byte count) u64 pairs, one per section, then the sections, each 16-byte
/// aligned, in ``Section`` order.
public enum GraphSnapshot {
    public static let formatVersion: UInt32 = 3
    static let magic: [UInt8] = Array("FTGRAPH1".utf8)

    enum Section: Int, CaseIterable {
        // Account graph.
        case nodeAddressID, outRow, edgeSource, edgeTarget, edgeTime, edgeAmountLow, edgeAmountHigh, edgeAsset, edgeTransferID
        case inRow, inEdge, nodeOutTotal64
        // UTXO graph.
        case txStoreID, txRank, txTime, txOutRow, txInRow, outValue, outAddress, outSpender, inPrevOutput, inValue, inAddress, inTx

        enum Count { case nodes, nodesPlusOne, edges, txs, txsPlusOne, outputs, inputs }

        var count: Count {
            switch self {
            case .nodeAddressID, .nodeOutTotal64: return .nodes
            case .outRow, .inRow: return .nodesPlusOne
            case .edgeSource, .edgeTarget, .edgeTime, .edgeAmountLow, .edgeAmountHigh, .edgeAsset, .edgeTransferID, .inEdge: return .edges
            case .txStoreID, .txRank, .txTime: return .txs
            case .txOutRow, .txInRow: return .txsPlusOne
            case .outValue, .outAddress, .outSpender: return .outputs
            case .inPrevOutput, .inValue, .inAddress, .inTx: return .inputs
            }
        }

        var elementSize: Int {
            switch self {
            case .edgeSource, .edgeTarget, .edgeAsset, .inEdge, .txRank, .outSpender, .inPrevOutput, .inTx: return 4
            default: return 8
            }
        }
    }

    /// The snapshot path for a store: next to it, `<store>.graph`.
    public static func defaultPath(forStore path: String) -> String { path + ".graph" }

    /// What a build produced.
    public struct BuildSummary: Sendable, Codable {
        public var nodes: Int
        public var edges: Int
        public var transactions: Int
        public var outputs: Int
        public var inputs: Int
        public var bytes: Int
        public var storeGeneration: Int64
        public var path: String
    }

    /// Compiles the store into a snapshot at `path` (written to a temporary file, then renamed).
    /// - Complexity: O(E log E + T log T); O(N + E + T + inputs + outputs) memory while building.
    @discardableResult
    public static func build(from store: Store, to path: String) throws -> BuildSummary {
        let generation = try store.generation()
        var sections = [[UInt8]](repeating: [], count: Section.allCases.count)
        let (nodeCount, edgeCount) = try buildAccount(store, into: &sections)
        let (txCount, outputCount, inputCount) = try buildUTXO(store, into: &sections)

        var header = [UInt8](repeating: 0, count: 64)
        func put<T: FixedWidthInteger>(_ v: T, at offset: Int) {
            withUnsafeBytes(of: v.littleEndian) { for (i, b) in $0.enumerated() { header[offset + i] = b } }
        }
        for (i, b) in magic.enumerated() { header[i] = b }
        put(formatVersion, at: 8); put(UInt32(sections.count), at: 12); put(generation, at: 16)
        put(UInt64(nodeCount), at: 24); put(UInt64(edgeCount), at: 32)
        put(UInt64(txCount), at: 40); put(UInt64(outputCount), at: 48); put(UInt64(inputCount), at: 56)
        var offset = 64 + sections.count * 16
        var table = [UInt8]()
        var layout: [(Int, Int)] = []
        for section in sections {
            offset = (offset + 15) & ~15
            layout.append((offset, section.count))
            withUnsafeBytes(of: UInt64(offset).littleEndian) { table += $0 }
            withUnsafeBytes(of: UInt64(section.count).littleEndian) { table += $0 }
            offset += section.count
        }
        let temp = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temp, contents: nil), let out = FileHandle(forWritingAtPath: temp) else {
            throw SnapshotError(kind: .io, message: "cannot create the snapshot file", path: temp)
        }
        do {
            try out.write(contentsOf: header + table)
            var position = 64 + table.count
            for (section, (start, _)) in zip(sections, layout) {
                if start > position { try out.write(contentsOf: [UInt8](repeating: 0, count: start - position)) }
                try out.write(contentsOf: section)
                position = start + section.count
            }
            try out.synchronize()
            try out.close()
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: temp, toPath: path)
        } catch {
            try? FileManager.default.removeItem(atPath: temp)
            throw SnapshotError(kind: .io, message: "cannot write the snapshot: \(error)", path: path)
        }
        return BuildSummary(nodes: nodeCount, edges: edgeCount, transactions: txCount, outputs: outputCount, inputs: inputCount,
                            bytes: offset, storeGeneration: generation, path: path)
    }

    static func raw<T>(_ a: [T]) -> [UInt8] { a.withUnsafeBytes { Array($0) } }

    /// The account graph: CSR over the transfers, out-edges in (source, time, transfer id) order.
    private static func buildAccount(_ store: Store, into sections: inout [[UInt8]]) throws -> (Int, Int) {
        var fromIDs: [Int64] = [], toIDs: [Int64] = []
        var times: [Int64] = [], lows: [UInt64] = [], highs: [Int64] = [], assets: [UInt32] = [], transferIDs: [Int64] = []
        let s = try store.db.prepare("SELECT from_id, to_id, amount, time, asset_id, id FROM transfers ORDER BY from_id, time, id")
        try s.bind([])
        while try s.step() {
            let amount: Int128
            if s.isInteger(2) {
                amount = Int128(s.int(2))
            } else if let big = Int128(s.text(2)) {
                amount = big
            } else {
                throw StoreError(resultCode: 19, message: "transfer \(s.int(5)) has amount '\(s.text(2))', not an integer", path: store.path)
            }
            fromIDs.append(s.int(0)); toIDs.append(s.int(1)); times.append(s.int(3))
            lows.append(UInt64(truncatingIfNeeded: amount)); highs.append(Int64(truncatingIfNeeded: amount >> 64))
            assets.append(UInt32(truncatingIfNeeded: s.int(4))); transferIDs.append(s.int(5))
        }
        s.reset()
        let edgeCount = fromIDs.count
        guard edgeCount < Int(UInt32.max) else {
            throw StoreError(resultCode: 13, message: "\(edgeCount) edges exceed the snapshot's 32-bit edge ids", path: store.path)
        }
        // Dense node ids in address-id order, so sources stay sorted.
        let addressIDs = Array(Set(fromIDs).union(toIDs)).sorted()
        var dense: [Int64: UInt32] = [:]
        dense.reserveCapacity(addressIDs.count)
        for (i, a) in addressIDs.enumerated() { dense[a] = UInt32(i) }
        let nodeCount = addressIDs.count
        var sources = [UInt32](repeating: 0, count: edgeCount), targets = [UInt32](repeating: 0, count: edgeCount)
        var outRow = [UInt64](repeating: 0, count: nodeCount + 1), inRow = [UInt64](repeating: 0, count: nodeCount + 1)
        for e in 0..<edgeCount {
            sources[e] = dense[fromIDs[e]] ?? 0
            targets[e] = dense[toIDs[e]] ?? 0
            outRow[Int(sources[e]) + 1] += 1
            inRow[Int(targets[e]) + 1] += 1
        }
        for v in 0..<nodeCount { outRow[v + 1] += outRow[v]; inRow[v + 1] += inRow[v] }
        // In-edges grouped by target, each group in (time, transfer id) order.
        var inEdge = Array(0..<UInt32(edgeCount))
        inEdge.sort { a, b in
            let (x, y) = (Int(a), Int(b))
            if targets[x] != targets[y] { return targets[x] < targets[y] }
            if times[x] != times[y] { return times[x] < times[y] }
            return transferIDs[x] < transferIDs[y]
        }
        sections[Section.nodeAddressID.rawValue] = raw(addressIDs); sections[Section.outRow.rawValue] = raw(outRow)
        sections[Section.edgeSource.rawValue] = raw(sources); sections[Section.edgeTarget.rawValue] = raw(targets)
        sections[Section.edgeTime.rawValue] = raw(times); sections[Section.edgeAmountLow.rawValue] = raw(lows)
        sections[Section.edgeAmountHigh.rawValue] = raw(highs); sections[Section.edgeAsset.rawValue] = raw(assets)
        sections[Section.edgeTransferID.rawValue] = raw(transferIDs); sections[Section.inRow.rawValue] = raw(inRow)
        sections[Section.inEdge.rawValue] = raw(inEdge)
        sections[Section.nodeOutTotal64.rawValue] = raw(FlowGraph.outTotals64(outRow: outRow, lows: lows, highs: highs))
        return (nodeCount, edgeCount)
    }

    /// The UTXO graph: transactions in store-id order with a topological rank, outputs linked to their spenders.
    private static func buildUTXO(_ store: Store, into sections: inout [[UInt8]]) throws -> (Int, Int, Int) {
        var storeIDs: [Int64] = [], heights: [Int64] = [], positions: [Int64] = [], times: [Int64] = []
        let t = try store.db.prepare("""
            SELECT t.id, b.height, t.block_index, b.time FROM transactions t LEFT JOIN blocks b ON b.id = t.block_id ORDER BY t.id
            """)
        try t.bind([])
        while try t.step() {
            storeIDs.append(t.int(0))
            // Blockless transactions, and blocks whose height is unknown, come after every block of known height.
            heights.append(t.optionalInt(1) ?? (t.optionalInt(3) == nil ? Int64.max : Int64.max - 1))
            positions.append(t.optionalInt(2) ?? 0)
            times.append(t.optionalInt(3) ?? Int64.max)
        }
        t.reset()
        let txCount = storeIDs.count
        var dense: [Int64: Int] = [:]
        dense.reserveCapacity(txCount)
        for (i, id) in storeIDs.enumerated() { dense[id] = i }
        let order = (0..<txCount).sorted { a, b in (heights[a], positions[a], storeIDs[a]) < (heights[b], positions[b], storeIDs[b]) }
        var rank = [UInt32](repeating: 0, count: txCount)
        for (r, tx) in order.enumerated() { rank[tx] = UInt32(r) }

        var outRow = [UInt64](repeating: 0, count: txCount + 1)
        var outValue: [Int64] = [], outAddress: [Int64] = []
        let o = try store.db.prepare("SELECT tx_id, vout, value, address_id FROM outputs ORDER BY tx_id, vout")
        try o.bind([])
        var lastTx = -1, expectedVout: Int64 = 0
        while try o.step() {
            guard let tx = dense[o.int(0)] else { continue }
            if tx != lastTx { lastTx = tx; expectedVout = 0 }
            guard o.int(1) == expectedVout else {
                throw StoreError(resultCode: 19, message: "transaction \(o.int(0)) has output \(o.int(1)) but not \(expectedVout)", path: store.path)
            }
            expectedVout += 1
            outValue.append(o.int(2)); outAddress.append(o.int(3))
            outRow[tx + 1] += 1
        }
        o.reset()
        for i in 0..<txCount { outRow[i + 1] += outRow[i] }
        var outSpender = [UInt32](repeating: UTXOGraph.noIndex, count: outValue.count)

        var inRow = [UInt64](repeating: 0, count: txCount + 1)
        var inPrev: [UInt32] = [], inValue: [Int64] = [], inAddress: [Int64] = [], inTx: [UInt32] = []
        let i = try store.db.prepare("SELECT tx_id, prev_tx_id, prev_vout, value, address_id FROM inputs ORDER BY tx_id, vin")
        try i.bind([])
        while try i.step() {
            guard let tx = dense[i.int(0)] else { continue }
            var prev = UTXOGraph.noIndex
            if let prevID = i.optionalInt(1), let prevTx = dense[prevID] {
                let index = Int(outRow[prevTx]) + Int(i.int(2))
                if index < Int(outRow[prevTx + 1]) {
                    prev = UInt32(index)
                    outSpender[index] = UInt32(inPrev.count)
                }
            }
            inPrev.append(prev); inValue.append(i.optionalInt(3) ?? -1); inAddress.append(i.optionalInt(4) ?? 0); inTx.append(UInt32(tx))
            inRow[tx + 1] += 1
        }
        i.reset()
        for k in 0..<txCount { inRow[k + 1] += inRow[k] }
        guard outValue.count < Int(UInt32.max), inPrev.count < Int(UInt32.max) else {
            throw StoreError(resultCode: 13, message: "too many outputs or inputs for the snapshot's 32-bit ids", path: store.path)
        }
        sections[Section.txStoreID.rawValue] = raw(storeIDs); sections[Section.txRank.rawValue] = raw(rank)
        sections[Section.txTime.rawValue] = raw(times); sections[Section.txOutRow.rawValue] = raw(outRow)
        sections[Section.txInRow.rawValue] = raw(inRow); sections[Section.outValue.rawValue] = raw(outValue)
        sections[Section.outAddress.rawValue] = raw(outAddress); sections[Section.outSpender.rawValue] = raw(outSpender)
        sections[Section.inPrevOutput.rawValue] = raw(inPrev); sections[Section.inValue.rawValue] = raw(inValue)
        sections[Section.inAddress.rawValue] = raw(inAddress); sections[Section.inTx.rawValue] = raw(inTx)
        return (txCount, outValue.count, inPrev.count)
    }

    /// Maps the snapshot at `path` and returns its account graph (see ``loadAll(path:expectedGeneration:)``).
    public static func load(path: String, expectedGeneration: Int64?) throws -> FlowGraph {
        try loadAll(path: path, expectedGeneration: expectedGeneration).account
    }

    /// Maps the snapshot at `path` and checks it was built from store generation `expectedGeneration`.
    /// - Throws: ``SnapshotError`` `.missing`, `.stale` (built from another generation: never used silently), `.corrupt`.
    /// - Complexity: O(1): the file is mapped, not read.
    public static func loadAll(path: String, expectedGeneration: Int64?) throws -> CompiledGraphs {
        let file = try MappedFile(path: path)
        let base = file.bytes
        guard base.count >= 64, Array(base[0..<8]) == magic else {
            throw SnapshotError(kind: .corrupt, message: "not a FlowTrace graph snapshot", path: path)
        }
        func read<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T { T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        guard read(UInt32.self, at: 8) == formatVersion, Int(read(UInt32.self, at: 12)) == Section.allCases.count else {
            throw SnapshotError(kind: .stale, message: "snapshot format \(read(UInt32.self, at: 8)) is not \(formatVersion); run flowtrace compile",
                                path: path)
        }
        let generation = read(Int64.self, at: 16)
        if let expectedGeneration, generation != expectedGeneration {
            throw SnapshotError(kind: .stale, message: "snapshot was built from store generation \(generation), the store is at "
                                + "\(expectedGeneration); run flowtrace compile", path: path)
        }
        let nodes = Int(read(UInt64.self, at: 24)), edges = Int(read(UInt64.self, at: 32))
        let txs = Int(read(UInt64.self, at: 40)), outputs = Int(read(UInt64.self, at: 48)), inputs = Int(read(UInt64.self, at: 56))
        var ranges = [(Int, Int)](repeating: (0, 0), count: Section.allCases.count)
        for section in Section.allCases {
            let entry = 64 + section.rawValue * 16
            guard entry + 16 <= base.count else { throw SnapshotError(kind: .corrupt, message: "section table cut short", path: path) }
            let offset = Int(read(UInt64.self, at: entry)), bytes = Int(read(UInt64.self, at: entry + 8))
            let count: Int
            switch section.count {
            case .nodes: count = nodes
            case .nodesPlusOne: count = nodes + 1
            case .edges: count = edges
            case .txs: count = txs
            case .txsPlusOne: count = txs + 1
            case .outputs: count = outputs
            case .inputs: count = inputs
            }
            guard offset % 16 == 0, bytes == count * section.elementSize, offset + bytes <= base.count else {
                throw SnapshotError(kind: .corrupt, message: "section \(section) is out of bounds or the wrong size", path: path)
            }
            ranges[section.rawValue] = (offset, count)
        }
        func view<T>(_ s: Section, _: T.Type) -> UnsafeBufferPointer<T> {
            let (offset, count) = ranges[s.rawValue]
            guard let start = base.baseAddress else { return UnsafeBufferPointer(start: nil, count: 0) }
            return UnsafeBufferPointer(start: (start + offset).assumingMemoryBound(to: T.self), count: count)
        }
        let account = FlowGraph(
            nodeCount: nodes, edgeCount: edges, nodeAddressID: view(.nodeAddressID, Int64.self), outRow: view(.outRow, UInt64.self),
            edgeTarget: view(.edgeTarget, UInt32.self), edgeSource: view(.edgeSource, UInt32.self), edgeTime: view(.edgeTime, Int64.self),
            edgeAmountLow: view(.edgeAmountLow, UInt64.self), edgeAmountHigh: view(.edgeAmountHigh, Int64.self),
            edgeAsset: view(.edgeAsset, UInt32.self), edgeTransferID: view(.edgeTransferID, Int64.self),
            inRow: view(.inRow, UInt64.self), inEdge: view(.inEdge, UInt32.self), nodeOutTotal64: view(.nodeOutTotal64, UInt64.self),
            owner: file)
        let utxo = UTXOGraph(
            txStoreID: view(.txStoreID, Int64.self), txRank: view(.txRank, UInt32.self), txTime: view(.txTime, Int64.self),
            txOutRow: view(.txOutRow, UInt64.self), txInRow: view(.txInRow, UInt64.self), outValue: view(.outValue, Int64.self),
            outAddress: view(.outAddress, Int64.self), outSpender: view(.outSpender, UInt32.self),
            inPrevOutput: view(.inPrevOutput, UInt32.self), inValue: view(.inValue, Int64.self), inAddress: view(.inAddress, Int64.self),
            inTx: view(.inTx, UInt32.self), owner: file)
        return CompiledGraphs(account: account, utxo: utxo, storeGeneration: generation)
    }
}

/// A read-only memory mapping of a whole file, unmapped when released.
final class MappedFile {
    let bytes: UnsafeRawBufferPointer
    private let length: Int

    init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw SnapshotError(kind: errno == ENOENT ? .missing : .io, message: errno == ENOENT ? "no snapshot (run flowtrace compile)"
                                : "cannot open the snapshot", path: path)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SnapshotError(kind: .io, message: "cannot stat the snapshot", path: path) }
        length = Int(st.st_size)
        guard length > 0 else { throw SnapshotError(kind: .corrupt, message: "empty snapshot file", path: path) }
        guard let p = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw SnapshotError(kind: .io, message: "cannot map the snapshot", path: path)
        }
        bytes = UnsafeRawBufferPointer(start: p, count: length)
    }

    deinit {
        if let p = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: p), length) }
    }
}
