/// The 80-byte header of a Bitcoin block.
public struct BitcoinBlockHeader: Hashable, Sendable {
    public var version: Int32
    public var previousHash: Hash256
    public var merkleRoot: Hash256
    public var timestampUnix: UInt32
    public var bits: UInt32
    public var nonce: UInt32

    public init(version: Int32, previousHash: Hash256, merkleRoot: Hash256, timestampUnix: UInt32, bits: UInt32, nonce: UInt32) {
        self.version = version; self.previousHash = previousHash; self.merkleRoot = merkleRoot
        self.timestampUnix = timestampUnix; self.bits = bits; self.nonce = nonce
    }

    /// The header serialised as consensus bytes.
    public var serialized: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(80)
        func le32(_ v: UInt32) { for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (UInt32(i) * 8))) } }
        le32(UInt32(bitPattern: version))
        out += previousHash.internalBytes
        out += merkleRoot.internalBytes
        le32(timestampUnix); le32(bits); le32(nonce)
        return out
    }

    /// The block hash: SHA-256d of the serialised header.
    public var hash: Hash256 { Hashing.sha256d(serialized) }
}

/// What a source says about the output an input spends (bitcoin-etl, Esplora and `getblock 3` carry it).
public struct BitcoinPrevout: Hashable, Sendable {
    public var valueSats: Int64
    public var address: ScriptAddress
    public init(valueSats: Int64, address: ScriptAddress) { self.valueSats = valueSats; self.address = address }
}

/// A transaction input: the outpoint it spends.
public struct BitcoinInput: Hashable, Sendable {
    public var previousTxid: Hash256
    public var previousVout: UInt32
    public var sequence: UInt32
    public var prevout: BitcoinPrevout?

    public init(previousTxid: Hash256, previousVout: UInt32, sequence: UInt32, prevout: BitcoinPrevout? = nil) {
        self.previousTxid = previousTxid; self.previousVout = previousVout; self.sequence = sequence; self.prevout = prevout
    }
}

/// A transaction output: an exact value in satoshis locked to an address.
public struct BitcoinOutput: Hashable, Sendable {
    public var valueSats: Int64
    public var address: ScriptAddress
    public init(valueSats: Int64, address: ScriptAddress) { self.valueSats = valueSats; self.address = address }
}

/// A Bitcoin transaction as FlowTrace keeps it. Coinbase transactions have no ``inputs``.
public struct BitcoinTransaction: Hashable, Sendable {
    public var txid: Hash256
    public var version: Int32
    public var lockTime: UInt32
    /// Serialised size in bytes, with witness data.
    public var size: Int
    public var weight: Int
    public var isCoinbase: Bool
    /// The coinbase input's script (BIP 34 puts the height there).
    public var coinbaseScript: [UInt8]?
    public var inputs: [BitcoinInput]
    public var outputs: [BitcoinOutput]
    /// The fee a source states (Esplora, bitcoin-etl, `getblock` with undo data); FlowTrace checks it.
    public var statedFeeSats: Int64?

    public init(txid: Hash256, version: Int32, lockTime: UInt32, size: Int, weight: Int, isCoinbase: Bool,
                coinbaseScript: [UInt8]? = nil, inputs: [BitcoinInput], outputs: [BitcoinOutput], statedFeeSats: Int64? = nil) {
        self.txid = txid; self.version = version; self.lockTime = lockTime; self.size = size; self.weight = weight
        self.isCoinbase = isCoinbase; self.coinbaseScript = coinbaseScript; self.inputs = inputs; self.outputs = outputs
        self.statedFeeSats = statedFeeSats
    }

    /// Virtual size: weight / 4, rounded up (BIP 141).
    public var virtualSize: Int { (weight + 3) / 4 }

    public var outputValueSats: Int64 { outputs.reduce(0) { $0 + $1.valueSats } }

    /// The height a BIP 34 coinbase states: the first push of the coinbase script, little-endian.
    public var bip34Height: Int? {
        guard isCoinbase, let s = coinbaseScript, let first = s.first else { return nil }
        if first >= 0x51 && first <= 0x60 { return Int(first) - 0x50 }
        guard first >= 1, first <= 8, s.count > Int(first) else { return nil }
        var h = 0
        for i in 0..<Int(first) { h |= Int(s[1 + i]) << (8 * i) }
        return h
    }
}

/// A block: its header, identity and the transactions it carries.
public struct BitcoinBlock: Sendable {
    public var hash: Hash256
    public var header: BitcoinBlockHeader
    /// The height when the source states it (RPC) — raw blocks derive it in the store.
    public var height: Int?
    public var size: Int
    public var strippedSize: Int
    public var weight: Int
    public var transactions: [BitcoinTransaction]

    public init(hash: Hash256, header: BitcoinBlockHeader, height: Int?, size: Int, strippedSize: Int, weight: Int,
                transactions: [BitcoinTransaction]) {
        self.hash = hash; self.header = header; self.height = height; self.size = size
        self.strippedSize = strippedSize; self.weight = weight; self.transactions = transactions
    }

    /// The merkle root recomputed from the transaction ids (Bitcoin's pairwise SHA-256d tree,
    /// duplicating the last hash of an odd level).
    public var computedMerkleRoot: Hash256 {
        var level = transactions.map(\.txid)
        guard !level.isEmpty else { return .zero }
        while level.count > 1 {
            if level.count % 2 == 1, let last = level.last { level.append(last) }
            var next: [Hash256] = []
            next.reserveCapacity(level.count / 2)
            for i in stride(from: 0, to: level.count, by: 2) {
                next.append(Hashing.sha256d(level[i].internalBytes + level[i + 1].internalBytes))
            }
            level = next
        }
        return level[0]
    }
}

/// A block known only by reference (Esplora and bitcoin-etl transactions name their block, not its header).
public struct BitcoinBlockReference: Hashable, Sendable {
    public var hash: Hash256
    public var height: Int?
    public var timestampUnix: UInt32?
    public init(hash: Hash256, height: Int?, timestampUnix: UInt32?) {
        self.hash = hash; self.height = height; self.timestampUnix = timestampUnix
    }
}
