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
        let trimmed = text.trimmingCharacters(in: " \t")
        if trimmed.utf8.count == 42, trimmed.hasPrefix("0x") || trimmed.hasPrefix("0X"),
           trimmed.utf8.dropFirst(2).allSatisfy({ Hex.nibble($0) != nil }) {
            return "0x" + trimmed.dropFirst(2).lowercased()
        }
        return String(trimmed)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return s
    }
}
