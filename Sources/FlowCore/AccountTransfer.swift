/// One value movement in the account model (Ethereum and generic transfer data): `amount` of `asset` from one
/// address to another at a point in time, identified by its transaction and its index within it.
public struct AccountTransfer: Hashable, Sendable {
    /// Chain identifier as the data names it (`ethereum`, `bitcoin-mainnet`, or any label for generic data).
    public var chain: String
    public var asset: String
    /// Decimal places of the asset when the source states them.
    public var decimals: Int?
    public var from: String
    public var to: String
    /// Exact amount in base units (never negative).
    public var amount: Amount
    public var timestampUnix: Int64
    public var tx: String
    public var block: Int64?
    /// Position within the transaction (a log index, or the row's order among the transaction's rows).
    public var index: Int64

    public init(chain: String, asset: String, decimals: Int?, from: String, to: String, amount: Amount,
                timestampUnix: Int64, tx: String, block: Int64?, index: Int64) {
        self.chain = chain; self.asset = asset; self.decimals = decimals; self.from = from; self.to = to
        self.amount = amount; self.timestampUnix = timestampUnix; self.tx = tx; self.block = block; self.index = index
    }

    /// Normalises an account address: `0x` + 40 hex digits is lower-cased (EIP-55 case carries no identity);
    /// anything else is kept as written, trimmed.
    public static func normalizedAddress(_ text: Substring) -> String {
        var u = text.utf8[...]
        while let f = u.first, f == 0x20 || f == 0x09 { u = u.dropFirst() }
        while let l = u.last, l == 0x20 || l == 0x09 { u = u.dropLast() }
        if u.count == 42, u.first == UInt8(ascii: "0"), let x = u.dropFirst().first, x == UInt8(ascii: "x") || x == UInt8(ascii: "X"),
           u.dropFirst(2).allSatisfy({ Hex.nibble($0) != nil }) {
            var bytes: [UInt8] = [UInt8(ascii: "0"), UInt8(ascii: "x")]
            bytes.reserveCapacity(42)
            for c in u.dropFirst(2) { bytes.append(c >= UInt8(ascii: "A") && c <= UInt8(ascii: "F") ? c + 32 : c) }
            return String(decoding: bytes, as: UTF8.self)
        }
        return String(decoding: u, as: UTF8.self)
    }
}
