import FlowCore

/// Reads token lists in the tokenlists.org schema (Uniswap's, CoinGecko's and most wallets' lists):
/// `{"name": …, "tokens": [{"chainId": 1, "address": "0x…", "symbol": "USDC", "name": "USD Coin", "decimals": 6}, …]}`,
/// into ``EthRecord`` `token` records for one chain.
///
/// Addresses are checked (mixed case must carry a valid EIP-55 checksum) and lower-cased; errors name the file and
/// the JSON path of the offending member (`tokens[3].decimals`).
public enum TokenListReader {
    /// EIP-155 chain ids of the chains FlowTrace names.
    public static let chainIDs: [String: Int64] = [
        "ethereum": 1, "optimism": 10, "bsc": 56, "gnosis": 100, "polygon": 137, "base": 8453, "arbitrum": 42161,
        "avalanche": 43114, "sepolia": 11155111,
    ]

    /// The tokens of chain `chainID` in a parsed token list, and how many entries were for other chains.
    public static func records(from json: JSONValue, chainID: Int64, path: String) throws -> (records: [EthRecord], otherChains: Int) {
        func fail(_ at: String, _ message: String) -> IngestError { IngestError(.unexpectedShape, "\(at): \(message)", path: path) }
        guard case .object = json else { throw fail("the file", "a token list is a JSON object with a `tokens` array") }
        guard let tokens = json["tokens"]?.arrayValue else { throw fail("tokens", "missing or not an array") }
        /// A JSON number that is an integer (the schema's `integer`; a numeric string is not one).
        func integer(_ v: JSONValue?) -> Int64? {
            if case .number(let n)? = v { return Int64(n) }
            return nil
        }
        var out: [EthRecord] = []
        var others = 0
        for (i, t) in tokens.enumerated() {
            let at = "tokens[\(i)]"
            guard case .object = t else { throw fail(at, "not an object") }
            guard let chain = integer(t["chainId"]) else { throw fail("\(at).chainId", "missing or not an integer") }
            if chain != chainID { others += 1; continue }
            guard let text = t["address"]?.stringValue else { throw fail("\(at).address", "missing or not a string") }
            guard let address = EthAddress.normalized(text) else {
                throw fail("\(at).address", "'\(text.prefix(70))' is not an Ethereum address (0x and 40 hex digits, EIP-55 checksum when mixed-case)")
            }
            guard let decimals = integer(t["decimals"]), (0...255).contains(decimals) else {
                throw fail("\(at).decimals", "missing or not an integer from 0 to 255")
            }
            guard let symbol = t["symbol"]?.stringValue else { throw fail("\(at).symbol", "missing or not a string") }
            var r = EthRecord(kind: .token, origin: "\(path) \(at)")
            r["address"] = .text(address)
            r["symbol"] = .text(symbol)
            if let name = t["name"]?.stringValue { r["name"] = .text(name) }
            r["decimals"] = .number(String(decimals))
            out.append(r)
        }
        return (out, others)
    }
}
