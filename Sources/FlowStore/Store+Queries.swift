import FlowCore
import Foundation

/// Counts of what a store holds.
public struct StoreStats: Codable, Sendable, Equatable {
    public var storeSchemaVersion: Int
    public var generation: Int64
    public var chains: [String]
    public var blocks: Int64
    public var completeBlocks: Int64
    public var transactions: Int64
    public var transactionsWithUnknownFee: Int64
    public var outputs: Int64
    public var inputs: Int64
    public var unresolvedInputs: Int64
    public var addresses: Int64
    @NullEncoded public var minHeight: Int64?
    @NullEncoded public var maxHeight: Int64?
    public var blocksWithoutHeight: Int64
    public var sources: Int64
    /// Account-model transfers (Ethereum, generic transfer data).
    public var transfers: Int64
    public var assets: Int64
}

/// Which input spends an output.
public struct Spender: Codable, Sendable, Equatable {
    public var txid: String
    public var vin: Int64
}

/// A transaction as the store knows it. Amounts are satoshi strings.
public struct TransactionDetail: Codable, Sendable, Equatable {
    public struct Input: Codable, Sendable, Equatable {
        public var vin: Int64
        public var prevTxid: String
        public var prevVout: Int64
        @NullEncoded public var address: String?
        @NullEncoded public var value: String?
        public var resolved: Bool
    }
    public struct Output: Codable, Sendable, Equatable {
        public var vout: Int64
        public var address: String
        public var value: String
        public var scriptType: String
        @NullEncoded public var spentBy: Spender?
    }
    public var txid: String
    @NullEncoded public var blockHeight: Int64?
    @NullEncoded public var blockHash: String?
    @NullEncoded public var blockIndex: Int64?
    @NullEncoded public var time: String?
    public var isCoinbase: Bool
    public var version: Int64
    public var lockTime: Int64
    public var size: Int64
    public var weight: Int64
    public var vsize: Int64
    @NullEncoded public var inputValue: String?
    public var outputValue: String
    @NullEncoded public var fee: String?
    public var inputs: [Input]
    public var outputs: [Output]
}

/// An address's history: totals and each transaction's net effect on it. Amounts are satoshi strings.
public struct AddressHistory: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var txid: String
        @NullEncoded public var blockHeight: Int64?
        @NullEncoded public var time: String?
        public var received: String
        public var sent: String
        public var net: String
    }
    public var address: String
    public var scriptType: String
    @NullEncoded public var publicKey: String?
    /// True when some output paid this address as a bare public key (P2PK): the address text is derived.
    public var isDerivedFromPublicKey: Bool
    /// UTXO ledger (Bitcoin) totals in satoshis; null for an address with account-model activity only.
    @NullEncoded public var received: String?
    @NullEncoded public var sent: String?
    @NullEncoded public var balance: String?
    @NullEncoded public var unspentOutputs: Int64?
    /// UTXO transactions touching the address.
    public var txCount: Int64
    @NullEncoded public var firstSeen: String?
    @NullEncoded public var lastSeen: String?
    public var transactions: [Entry]
    /// Account-model activity (ETH, tokens, generic transfers): per asset received, sent and balance.
    public var assets: [AccountAssetFlow]
    /// Account-model transfers to or from the address, in time order.
    public var transfers: [AccountTransferEntry]
}

extension Store {
    /// Formats a Unix time as ISO-8601 UTC.
    public static func isoTime(_ unix: Int64?) -> String? {
        unix.flatMap(UnixTime.iso8601)
    }

    /// What the store holds.
    public func stats() throws -> StoreStats {
        func count(_ sql: String) throws -> Int64 { try db.scalarInt(sql) ?? 0 }
        let chains = try db.prepare("SELECT chain FROM blocks UNION SELECT chain FROM transfers ORDER BY chain").rows { $0.text(0) }
        return StoreStats(
            storeSchemaVersion: Store.schemaVersion,
            generation: try generation(),
            chains: chains,
            blocks: try count("SELECT count(*) FROM blocks"),
            completeBlocks: try count("SELECT count(*) FROM blocks WHERE is_complete = 1"),
            transactions: try count("SELECT count(*) FROM transactions"),
            transactionsWithUnknownFee: try count("SELECT count(*) FROM transactions WHERE is_coinbase = 0 AND fee IS NULL"),
            outputs: try count("SELECT count(*) FROM outputs"),
            inputs: try count("SELECT count(*) FROM inputs"),
            unresolvedInputs: try count("SELECT count(*) FROM inputs WHERE prev_tx_id IS NULL"),
            addresses: try count("SELECT count(*) FROM addresses"),
            minHeight: try db.scalarInt("SELECT min(height) FROM blocks"),
            maxHeight: try db.scalarInt("SELECT max(height) FROM blocks"),
            blocksWithoutHeight: try count("SELECT count(*) FROM blocks WHERE height IS NULL"),
            sources: try count("SELECT count(*) FROM sources"),
            transfers: try count("SELECT count(*) FROM transfers"),
            assets: try count("SELECT count(*) FROM assets"))
    }

    /// The transaction with `txid`, or `nil` when the store does not hold it.
    public func transaction(txid: Hash256) throws -> TransactionDetail? {
        let s = try db.prepare("""
            SELECT t.id, b.height, b.hash, t.block_index, b.time, t.is_coinbase, t.version, t.lock_time, t.size,
                   t.weight, t.known_input_value, t.unknown_inputs, t.output_value, t.fee
            FROM transactions t LEFT JOIN blocks b ON b.id = t.block_id WHERE t.txid = ?1
            """)
        try s.bind([.blob(txid.displayBytes)])
        guard try s.step() else { return nil }
        let row = s.int(0)
        let isCoinbase = s.int(5) != 0
        let unknown = s.int(11)
        var detail = TransactionDetail(
            txid: txid.displayHex, blockHeight: s.optionalInt(1), blockHash: s.optionalBlob(2).map { Hex.encode($0) },
            blockIndex: s.optionalInt(3), time: Store.isoTime(s.optionalInt(4)), isCoinbase: isCoinbase,
            version: s.int(6), lockTime: s.int(7), size: s.int(8), weight: s.int(9), vsize: (s.int(9) + 3) / 4,
            inputValue: isCoinbase || unknown > 0 ? nil : String(s.int(10)), outputValue: String(s.int(12)),
            fee: s.optionalInt(13).map { String($0) }, inputs: [], outputs: [])
        s.reset()
        detail.inputs = try db.prepare("""
            SELECT i.vin, i.prev_txid, i.prev_vout, a.address, i.value, i.prev_tx_id IS NOT NULL
            FROM inputs i LEFT JOIN addresses a ON a.id = i.address_id WHERE i.tx_id = ?1 ORDER BY i.vin
            """).rows([.int(row)]) { r in
            TransactionDetail.Input(vin: r.int(0), prevTxid: Hex.encode(r.blob(1)), prevVout: r.int(2),
                                    address: r.optionalText(3), value: r.optionalInt(4).map { String($0) },
                                    resolved: r.int(5) != 0)
        }
        detail.outputs = try db.prepare("""
            SELECT o.vout, a.address, o.value, o.script_type, st.txid, sp.vin
            FROM outputs o JOIN addresses a ON a.id = o.address_id
            LEFT JOIN inputs sp ON sp.prev_tx_id = o.tx_id AND sp.prev_vout = o.vout
            LEFT JOIN transactions st ON st.id = sp.tx_id
            WHERE o.tx_id = ?1 ORDER BY o.vout
            """).rows([.int(row)]) { r in
            TransactionDetail.Output(
                vout: r.int(0), address: r.text(1), value: String(r.int(2)),
                scriptType: (ScriptType(rawValue: Int(r.int(3))) ?? .nonstandard).name,
                spentBy: r.isNull(4) ? nil : Spender(txid: Hex.encode(r.blob(4)), vin: r.int(5)))
        }
        return detail
    }

    /// The history of `address`, or `nil` when the store has never seen it.
    /// - Parameter limit: at most this many transactions in ``AddressHistory/transactions`` (newest last).
    public func addressHistory(_ address: String, limit: Int? = nil) throws -> AddressHistory? {
        let a = try db.prepare("SELECT id, script_type, public_key FROM addresses WHERE address = ?1")
        try a.bind([.text(address)])
        guard try a.step() else { return nil }
        let id = a.int(0)
        let type = ScriptType(rawValue: Int(a.int(1))) ?? .nonstandard
        let key = a.optionalBlob(2)
        a.reset()
        let entries = try db.prepare("""
            WITH flows(tx_id, received, sent) AS (
                SELECT tx_id, value, 0 FROM outputs WHERE address_id = ?1
                UNION ALL
                SELECT tx_id, 0, value FROM inputs WHERE address_id = ?1
            )
            SELECT t.txid, b.height, b.time, sum(f.received), sum(f.sent)
            FROM flows f JOIN transactions t ON t.id = f.tx_id LEFT JOIN blocks b ON b.id = t.block_id
            GROUP BY f.tx_id
            ORDER BY b.height IS NULL, b.height, t.block_index, t.txid
            """).rows([.int(id)]) { r in
            (txid: Hex.encode(r.blob(0)), height: r.optionalInt(1), time: r.optionalInt(2), received: r.int(3), sent: r.int(4))
        }
        let received = entries.reduce(Int64(0)) { $0 + $1.received }
        let sent = entries.reduce(Int64(0)) { $0 + $1.sent }
        let unspent = try db.scalarInt("""
            SELECT count(*) FROM outputs o WHERE o.address_id = ?1
            AND NOT EXISTS (SELECT 1 FROM inputs i WHERE i.prev_tx_id = o.tx_id AND i.prev_vout = o.vout)
            """, [.int(id)]) ?? 0
        let times = entries.compactMap(\.time)
        var list = entries.map { e in
            AddressHistory.Entry(txid: e.txid, blockHeight: e.height, time: Store.isoTime(e.time), received: String(e.received),
                                 sent: String(e.sent), net: String(e.received - e.sent))
        }
        if let limit, list.count > limit { list = Array(list.suffix(limit)) }
        let account = try accountActivity(addressID: id, limit: limit)
        let utxo = !entries.isEmpty || account.assets.isEmpty
        let accountTimes = account.assets.flatMap { [$0.firstSeen, $0.lastSeen] }.compactMap { $0 }
        let utxoTimes = [Store.isoTime(times.min()), Store.isoTime(times.max())].compactMap { $0 }
        return AddressHistory(
            address: address, scriptType: type.name, publicKey: key.map { Hex.encode($0) },
            isDerivedFromPublicKey: key != nil,
            received: utxo ? String(received) : nil, sent: utxo ? String(sent) : nil, balance: utxo ? String(received - sent) : nil,
            unspentOutputs: utxo ? unspent : nil,
            txCount: Int64(entries.count), firstSeen: (utxoTimes + accountTimes).min(), lastSeen: (utxoTimes + accountTimes).max(),
            transactions: list, assets: account.assets, transfers: account.transfers)
    }
}
