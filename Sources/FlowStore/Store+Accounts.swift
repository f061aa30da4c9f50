import FlowCore
import Foundation

/// What one address received, sent and holds of one account-model asset (ETH, a token), from the stored
/// transfers. Amounts are exact base units as decimal text; the decimal forms appear only when the asset's
/// decimals are known (else `decimals` is null and amounts stay in raw units).
public struct AccountAssetFlow: Codable, Sendable, Equatable {
    public var chain: String
    /// The store's asset key: `ETH` for native ether, the contract address for a token.
    public var asset: String
    /// The token contract, when the asset is a token.
    @NullEncoded public var token: String?
    /// The token's symbol from token metadata (or the native asset's symbol); null when unknown.
    @NullEncoded public var symbol: String?
    @NullEncoded public var name: String?
    /// Null when no source stated them: amounts are then raw units (`units` says so).
    @NullEncoded public var decimals: Int?
    /// `base units` (with decimals known: shown also as decimals) or `raw units, decimals unknown`.
    public var units: String
    public var received: String
    public var sent: String
    /// received − sent; negative when the store lacks earlier inflows.
    public var balance: String
    @NullEncoded public var receivedDecimal: String?
    @NullEncoded public var sentDecimal: String?
    @NullEncoded public var balanceDecimal: String?
    /// The part of `sent` that paid gas fees (native asset only).
    @NullEncoded public var feesPaid: String?
    public var transfersIn: Int64
    public var transfersOut: Int64
    @NullEncoded public var firstSeen: String?
    @NullEncoded public var lastSeen: String?
}

/// One account-model transfer to or from an address.
public struct AccountTransferEntry: Codable, Sendable, Equatable {
    @NullEncoded public var time: String?
    @NullEncoded public var block: Int64?
    public var tx: String
    public var index: Int64
    /// How the transfer arose (`native`, `fee`, `internal`, `token`, `reward`, `withdrawal`; null for generic transfers).
    @NullEncoded public var kind: String?
    /// `in`, `out`, or `self`.
    public var direction: String
    public var counterparty: String
    public var asset: String
    @NullEncoded public var symbol: String?
    public var amount: String
    @NullEncoded public var amountDecimal: String?
}

extension Store {
    /// An address's account-model activity: per asset totals (ordered by chain, native first, then by asset)
    /// and its transfers in time order (the latest `limit` of them).
    public func accountActivity(addressID id: Int64, limit: Int?) throws -> (assets: [AccountAssetFlow], transfers: [AccountTransferEntry]) {
        struct Totals { var received = UInt256.zero, sent = UInt256.zero, fees = UInt256.zero
                        var inCount: Int64 = 0, outCount: Int64 = 0, first: Int64?, last: Int64? }
        struct AssetInfo { var chain: String, key: String, decimals: Int?, symbol: String?, name: String? }
        var totals: [Int64: Totals] = [:]
        var infos: [Int64: AssetInfo] = [:]
        let info = try db.prepare("""
            SELECT a.chain, a.symbol, a.decimals, m.symbol, m.name, m.decimals FROM assets a
            LEFT JOIN token_metadata m ON m.chain = a.chain AND m.address = a.symbol WHERE a.id = ?1
            """)
        func assetInfo(_ asset: Int64) throws -> AssetInfo {
            if let known = infos[asset] { return known }
            info.rewind()
            info.bind(1, asset)
            guard try info.step() else { throw StoreError(resultCode: 1, message: "transfer of unknown asset \(asset)", path: path) }
            let key = info.text(1)
            let decimals = (info.optionalInt(2) ?? info.optionalInt(5)).map { Int($0) }
            let isToken = key.hasPrefix("0x")
            let a = AssetInfo(chain: info.text(0), key: key, decimals: decimals, symbol: info.optionalText(3) ?? (isToken ? nil : key),
                              name: info.optionalText(4))
            info.rewind()
            infos[asset] = a
            return a
        }
        func amount(_ s: Statement, _ col: Int32) throws -> UInt256 {
            if s.isInteger(col) {
                guard let v = UInt256(exactly: Int128(s.int(col))) else { throw StoreError(resultCode: 19, message: "negative amount", path: path) }
                return v
            }
            guard let v = UInt256(decimal: s.text(col)) else {
                throw StoreError(resultCode: 19, message: "stored amount '\(s.text(col))' is not an integer", path: path)
            }
            return v
        }
        func add(_ a: UInt256, _ b: UInt256) throws -> UInt256 {
            guard let sum = UInt256.adding(a, b) else { throw StoreError(resultCode: 19, message: "sum beyond 2^256", path: path) }
            return sum
        }
        var entries: [(time: Int64, block: Int64?, tx: String, index: Int64, entry: AccountTransferEntry)] = []
        let rows = try db.prepare("""
            SELECT t.asset_id, t.from_id, t.to_id, t.amount, t.time, t.block, t.tx, t.log_index, t.kind, f.address, r.address
            FROM transfers t JOIN addresses f ON f.id = t.from_id JOIN addresses r ON r.id = t.to_id WHERE t.to_id = ?1
            UNION ALL
            SELECT t.asset_id, t.from_id, t.to_id, t.amount, t.time, t.block, t.tx, t.log_index, t.kind, f.address, r.address
            FROM transfers t JOIN addresses f ON f.id = t.from_id JOIN addresses r ON r.id = t.to_id WHERE t.from_id = ?1 AND t.to_id <> ?1
            """)
        rows.bind(1, id)
        while try rows.step() {
            let asset = rows.int(0)
            let value = try amount(rows, 3)
            let time = rows.int(4)
            let incoming = rows.int(2) == id, outgoing = rows.int(1) == id
            var t = totals[asset] ?? Totals()
            if incoming { t.received = try add(t.received, value); t.inCount += 1 }
            if outgoing {
                t.sent = try add(t.sent, value); t.outCount += 1
                if rows.optionalText(8) == "fee" { t.fees = try add(t.fees, value) }
            }
            t.first = min(t.first ?? time, time)
            t.last = max(t.last ?? time, time)
            totals[asset] = t
            let a = try assetInfo(asset)
            let direction = incoming && outgoing ? "self" : incoming ? "in" : "out"
            entries.append((time, rows.optionalInt(5), rows.text(6), rows.int(7), AccountTransferEntry(
                time: Store.isoTime(time), block: rows.optionalInt(5), tx: rows.text(6), index: rows.int(7), kind: rows.optionalText(8),
                direction: direction, counterparty: incoming ? rows.text(9) : rows.text(10), asset: a.key, symbol: a.symbol,
                amount: value.description, amountDecimal: a.decimals.map { Amount.formatted(baseUnits: value.description, decimals: $0) })))
        }
        rows.rewind()
        var assets: [AccountAssetFlow] = []
        for (asset, t) in totals {
            let a = try assetInfo(asset)
            let balance = UInt256.signedDifference(t.received, t.sent)
            let decimal = { (text: String) in a.decimals.map { Amount.formatted(baseUnits: text, decimals: $0) } }
            let isToken = a.key.hasPrefix("0x")
            assets.append(AccountAssetFlow(
                chain: a.chain, asset: a.key, token: isToken ? a.key : nil, symbol: a.symbol, name: a.name, decimals: a.decimals,
                units: a.decimals == nil ? "raw units, decimals unknown" : "base units",
                received: t.received.description, sent: t.sent.description, balance: balance,
                receivedDecimal: decimal(t.received.description), sentDecimal: decimal(t.sent.description), balanceDecimal: decimal(balance),
                feesPaid: isToken ? nil : t.fees.description, transfersIn: t.inCount, transfersOut: t.outCount,
                firstSeen: Store.isoTime(t.first), lastSeen: Store.isoTime(t.last)))
        }
        assets.sort { ($0.chain, $0.token == nil ? 0 : 1, $0.asset) < ($1.chain, $1.token == nil ? 0 : 1, $1.asset) }
        entries.sort { ($0.time, $0.block ?? -1, $0.tx, $0.index) < ($1.time, $1.block ?? -1, $1.tx, $1.index) }
        var list = entries.map(\.entry)
        if let limit, list.count > limit { list = Array(list.suffix(limit)) }
        return (assets, list)
    }
}
