import FlowCore

/// Parses consensus-serialised Bitcoin blocks and transactions, computing txids and the block hash.
///
/// Format reference: Bitcoin Core `primitives/block.h` and `primitives/transaction.h`; BIP 141/144 for the
/// segwit marker, flag and witness serialisation.
public struct RawBlockParser: Sendable {
    public var network: BitcoinNetwork

    public init(network: BitcoinNetwork) { self.network = network }

    /// Parses exactly one block occupying all of `bytes`.
    ///
    /// - Parameters:
    ///   - bytes: the block's bytes.
    ///   - baseOffset: the offset of `bytes` in its file, so errors name file offsets.
    /// - Throws: ``IngestError`` (`truncated`, `corrupt`) naming the byte offset.
    /// - Complexity: O(block size).
    public func parseBlock(_ bytes: UnsafeRawBufferPointer, baseOffset: Int = 0) throws -> BitcoinBlock {
        var r = ByteReader(bytes, baseOffset: baseOffset)
        guard bytes.count >= 80 else {
            throw IngestError(.truncated, "block is \(bytes.count) bytes, shorter than its 80-byte header", byteOffset: baseOffset)
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[0..<80])
        let hash = Hashing.sha256d(headerBytes)
        let version = Int32(bitPattern: try r.u32())
        let prev = try r.hash()
        let merkle = try r.hash()
        let time = try r.u32()
        let bits = try r.u32()
        let nonce = try r.u32()
        let header = BitcoinBlockHeader(version: version, previousHash: prev, merkleRoot: merkle,
                                        timestampUnix: time, bits: bits, nonce: nonce)
        let countOffset = r.fileOffset
        let count = try r.compactSize()
        // Each transaction is at least 60 bytes; reject absurd counts before allocating.
        guard count <= UInt64(bytes.count / 60) else {
            throw IngestError(.corrupt, "transaction count \(count) cannot fit in a \(bytes.count)-byte block", byteOffset: countOffset)
        }
        var txs: [BitcoinTransaction] = []
        txs.reserveCapacity(Int(count))
        var strippedSize = 80 + (r.position - 80)
        for i in 0..<Int(count) {
            let (tx, stripped) = try parseTransaction(&r, isFirst: i == 0)
            txs.append(tx)
            strippedSize += stripped
        }
        guard r.position == bytes.count else {
            throw IngestError(.corrupt, "\(bytes.count - r.position) unexpected bytes after the last transaction",
                              byteOffset: r.fileOffset)
        }
        return BitcoinBlock(hash: hash, header: header, height: nil, size: bytes.count, strippedSize: strippedSize,
                            weight: strippedSize * 3 + bytes.count, transactions: txs)
    }

    /// Parses one transaction occupying all of `bytes` (e.g. `getrawtransaction` hex).
    public func parseTransaction(_ bytes: UnsafeRawBufferPointer, baseOffset: Int = 0) throws -> BitcoinTransaction {
        var r = ByteReader(bytes, baseOffset: baseOffset)
        let (tx, _) = try parseTransaction(&r, isFirst: true)
        guard r.position == bytes.count else {
            throw IngestError(.corrupt, "unexpected bytes after the transaction", byteOffset: r.fileOffset)
        }
        return tx
    }

    /// Parses a transaction at the reader's position; returns it and its stripped (non-witness) size.
    func parseTransaction(_ r: inout ByteReader, isFirst: Bool) throws -> (BitcoinTransaction, Int) {
        let start = r.position
        let version = Int32(bitPattern: try r.u32())
        var hasWitness = false
        if r.remaining >= 2, r.peek(0) == 0, r.peek(1) == 1 {
            hasWitness = true
            r.skip(2)
        }
        let bodyStart = r.position
        let inputCountOffset = r.fileOffset
        let inputCount = try r.compactSize()
        guard inputCount <= UInt64(r.remaining / 41) else {
            throw IngestError(.corrupt, "input count \(inputCount) exceeds the remaining bytes", byteOffset: inputCountOffset)
        }
        var inputs: [BitcoinInput] = []
        inputs.reserveCapacity(Int(inputCount))
        var isCoinbase = false
        var coinbaseScript: [UInt8]?
        for i in 0..<Int(inputCount) {
            let prevTxid = try r.hash()
            let prevVout = try r.u32()
            let scriptLength = try r.compactSize()
            let script = try r.bytes(Int(clamping: scriptLength))
            let sequence = try r.u32()
            if i == 0 && inputCount == 1 && prevTxid.isZero && prevVout == 0xffff_ffff {
                isCoinbase = true
                coinbaseScript = Array(script)
            } else {
                inputs.append(BitcoinInput(previousTxid: prevTxid, previousVout: prevVout, sequence: sequence))
            }
        }
        let outputCountOffset = r.fileOffset
        let outputCount = try r.compactSize()
        guard outputCount <= UInt64(r.remaining / 9) else {
            throw IngestError(.corrupt, "output count \(outputCount) exceeds the remaining bytes", byteOffset: outputCountOffset)
        }
        var outputs: [BitcoinOutput] = []
        outputs.reserveCapacity(Int(outputCount))
        for _ in 0..<Int(outputCount) {
            let valueOffset = r.fileOffset
            let value = Int64(bitPattern: try r.u64())
            guard value >= 0, value <= 2_100_000_000_000_000 else {
                throw IngestError(.corrupt, "output value \(value) sat is outside 0…21,000,000 BTC", byteOffset: valueOffset)
            }
            let scriptLength = try r.compactSize()
            let script = try r.bytes(Int(clamping: scriptLength))
            outputs.append(BitcoinOutput(valueSats: value, address: ScriptAddress(script: script, network: network)))
        }
        let bodyEnd = r.position
        if hasWitness {
            for _ in 0..<(Int(inputCount)) {
                let items = try r.compactSize()
                for _ in 0..<items {
                    let len = try r.compactSize()
                    _ = try r.bytes(Int(clamping: len))
                }
            }
        }
        let lockTimeStart = r.position
        let lockTime = try r.u32()
        let end = r.position

        var hasher = DoubleSHA256Hasher()
        let base = r.base
        hasher.update(UnsafeRawBufferPointer(rebasing: base[start..<(start + 4)]))
        hasher.update(UnsafeRawBufferPointer(rebasing: base[bodyStart..<bodyEnd]))
        hasher.update(UnsafeRawBufferPointer(rebasing: base[lockTimeStart..<end]))
        let txid = hasher.finalize()
        let stripped = 4 + (bodyEnd - bodyStart) + 4
        let size = end - start
        let tx = BitcoinTransaction(txid: txid, version: version, lockTime: lockTime, size: size,
                                    weight: stripped * 3 + size, isCoinbase: isCoinbase, coinbaseScript: coinbaseScript,
                                    inputs: inputs, outputs: outputs)
        return (tx, stripped)
    }
}

/// A bounds-checked little-endian reader over a byte buffer; every failure names the file offset.
struct ByteReader {
    let base: UnsafeRawBufferPointer
    let baseOffset: Int
    private(set) var position = 0

    init(_ base: UnsafeRawBufferPointer, baseOffset: Int) {
        self.base = base
        self.baseOffset = baseOffset
    }

    var remaining: Int { base.count - position }
    var fileOffset: Int { baseOffset + position }

    func peek(_ i: Int) -> UInt8 { base[position + i] }
    mutating func skip(_ n: Int) { position += n }

    @inline(__always)
    private func need(_ n: Int) throws {
        guard n <= remaining else {
            throw IngestError(.truncated, "input ends after \(remaining) of \(n) needed bytes", byteOffset: fileOffset)
        }
    }

    @inline(__always)
    mutating func u32() throws -> UInt32 {
        try need(4)
        defer { position += 4 }
        return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: position, as: UInt32.self))
    }

    @inline(__always)
    mutating func u64() throws -> UInt64 {
        try need(8)
        defer { position += 8 }
        return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: position, as: UInt64.self))
    }

    @inline(__always)
    mutating func hash() throws -> Hash256 {
        try need(32)
        defer { position += 32 }
        return Hash256(loading: base, at: position)
    }

    @inline(__always)
    mutating func bytes(_ n: Int) throws -> UnsafeRawBufferPointer {
        try need(n)
        defer { position += n }
        return UnsafeRawBufferPointer(rebasing: base[position..<(position + n)])
    }

    /// CompactSize: < 0xFD in one byte, else 0xFD/0xFE/0xFF followed by a 2/4/8-byte integer.
    @inline(__always)
    mutating func compactSize() throws -> UInt64 {
        try need(1)
        let first = base[position]
        position += 1
        switch first {
        case 0xfd:
            try need(2)
            defer { position += 2 }
            return UInt64(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: position, as: UInt16.self)))
        case 0xfe:
            return UInt64(try u32())
        case 0xff:
            return try u64()
        default:
            return UInt64(first)
        }
    }
}
