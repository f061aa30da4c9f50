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

/// The compiled graph snapshot: the store's account-model transfers as flat CSR arrays in one file, loaded by
/// memory-mapping it (no parsing), and tied to the store generation it was built from.
///
/// File layout (little-endian): a 64-byte header — magic `FTGRAPH1`, format version (u32), section count (u32),
/// store generation (i64), node count (u64), edge count (u64), reserved — then a table of (offset, byte count)
/// u64 pairs, one per section, then the sections, each 16-byte aligned, in ``Section`` order.
public enum GraphSnapshot {
    public static let formatVersion: UInt32 = 1
    static let magic: [UInt8] = Array("FTGRAPH1".utf8)

    enum Section: Int, CaseIterable {
        case nodeAddressID, outRow, edgeSource, edgeTarget, edgeTime, edgeAmountLow, edgeAmountHigh, edgeAsset, edgeTransferID
        case inRow, inEdge
    }

    /// The snapshot path for a store: next to it, `<store>.graph`.
    public static func defaultPath(forStore path: String) -> String { path + ".graph" }

    /// What a build produced.
    public struct BuildSummary: Sendable, Codable {
        public var nodes: Int
        public var edges: Int
        public var bytes: Int
        public var storeGeneration: Int64
        public var path: String
    }

    /// Compiles the store's transfers into a snapshot at `path` (written to a temporary file, then renamed).
    /// - Complexity: O(E log E) for the in-edge ordering; O(N + E) memory while building.
    @discardableResult
    public static func build(from store: Store, to path: String) throws -> BuildSummary {
        let generation = try store.generation()
        // Edges in (source address, time, transfer id) order, straight from the (from_id, time) index.
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

        // Write the file.
        var sections: [[UInt8]] = []
        func raw<T>(_ a: [T]) -> [UInt8] { a.withUnsafeBytes { Array($0) } }
        sections.append(raw(addressIDs)); sections.append(raw(outRow)); sections.append(raw(sources)); sections.append(raw(targets))
        sections.append(raw(times)); sections.append(raw(lows)); sections.append(raw(highs)); sections.append(raw(assets))
        sections.append(raw(transferIDs)); sections.append(raw(inRow)); sections.append(raw(inEdge))
        var header = [UInt8](repeating: 0, count: 64)
        func put<T: FixedWidthInteger>(_ v: T, at offset: Int) {
            withUnsafeBytes(of: v.littleEndian) { for (i, b) in $0.enumerated() { header[offset + i] = b } }
        }
        for (i, b) in magic.enumerated() { header[i] = b }
        put(formatVersion, at: 8); put(UInt32(sections.count), at: 12); put(generation, at: 16)
        put(UInt64(nodeCount), at: 24); put(UInt64(edgeCount), at: 32)
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
        return BuildSummary(nodes: nodeCount, edges: edgeCount, bytes: offset, storeGeneration: generation, path: path)
    }

    /// Maps the snapshot at `path` and checks it was built from store generation `expectedGeneration`.
    /// - Throws: ``SnapshotError`` `.missing`, `.stale` (built from another generation: never used silently), `.corrupt`.
    /// - Complexity: O(1): the file is mapped, not read.
    public static func load(path: String, expectedGeneration: Int64?) throws -> FlowGraph {
        let file = try MappedFile(path: path)
        let base = file.bytes
        guard base.count >= 64, Array(base[0..<8]) == magic else {
            throw SnapshotError(kind: .corrupt, message: "not a FlowTrace graph snapshot", path: path)
        }
        func read<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T { T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        guard read(UInt32.self, at: 8) == formatVersion, Int(read(UInt32.self, at: 12)) == Section.allCases.count else {
            throw SnapshotError(kind: .corrupt, message: "snapshot format \(read(UInt32.self, at: 8)) is not \(formatVersion); run flowtrace compile",
                                path: path)
        }
        let generation = read(Int64.self, at: 16)
        if let expectedGeneration, generation != expectedGeneration {
            throw SnapshotError(kind: .stale, message: "snapshot was built from store generation \(generation), the store is at "
                                + "\(expectedGeneration); run flowtrace compile", path: path)
        }
        let nodes = Int(read(UInt64.self, at: 24)), edges = Int(read(UInt64.self, at: 32))
        let expectedCounts: [Section: Int] = [
            .nodeAddressID: nodes, .outRow: nodes + 1, .edgeSource: edges, .edgeTarget: edges, .edgeTime: edges,
            .edgeAmountLow: edges, .edgeAmountHigh: edges, .edgeAsset: edges, .edgeTransferID: edges, .inRow: nodes + 1, .inEdge: edges,
        ]
        let elementSize: [Section: Int] = [
            .nodeAddressID: 8, .outRow: 8, .edgeSource: 4, .edgeTarget: 4, .edgeTime: 8, .edgeAmountLow: 8, .edgeAmountHigh: 8,
            .edgeAsset: 4, .edgeTransferID: 8, .inRow: 8, .inEdge: 4,
        ]
        var ranges: [Section: (Int, Int)] = [:]
        for section in Section.allCases {
            let entry = 64 + section.rawValue * 16
            guard entry + 16 <= base.count else { throw SnapshotError(kind: .corrupt, message: "section table cut short", path: path) }
            let offset = Int(read(UInt64.self, at: entry)), bytes = Int(read(UInt64.self, at: entry + 8))
            let count = expectedCounts[section] ?? 0, size = elementSize[section] ?? 1
            guard offset % 16 == 0, bytes == count * size, offset + bytes <= base.count else {
                throw SnapshotError(kind: .corrupt, message: "section \(section) is out of bounds or the wrong size", path: path)
            }
            ranges[section] = (offset, count)
        }
        func view<T>(_ s: Section, _: T.Type) -> UnsafeBufferPointer<T> {
            let (offset, count) = ranges[s] ?? (0, 0)
            guard let start = base.baseAddress else { return UnsafeBufferPointer(start: nil, count: 0) }
            return UnsafeBufferPointer(start: (start + offset).assumingMemoryBound(to: T.self), count: count)
        }
        return FlowGraph(
            nodeCount: nodes, edgeCount: edges, nodeAddressID: view(.nodeAddressID, Int64.self), outRow: view(.outRow, UInt64.self),
            edgeTarget: view(.edgeTarget, UInt32.self), edgeSource: view(.edgeSource, UInt32.self), edgeTime: view(.edgeTime, Int64.self),
            edgeAmountLow: view(.edgeAmountLow, UInt64.self), edgeAmountHigh: view(.edgeAmountHigh, Int64.self),
            edgeAsset: view(.edgeAsset, UInt32.self), edgeTransferID: view(.edgeTransferID, Int64.self),
            inRow: view(.inRow, UInt64.self), inEdge: view(.inEdge, UInt32.self), owner: file)
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
