/// One Ethereum record in ethereum-etl's vocabulary — kind (`block`, `transaction`, `receipt`, `log`,
/// `token_transfer`, `trace`, `withdrawal`) and its fields by ETL column name — whatever format it came from
/// (JSON-RPC replies, ETL CSV or JSON Lines). Quantities are exact decimal text, never floating point.
///
/// Format reference: blockchain-etl/ethereum-etl `ethereumetl/jobs/exporters/*_exporter.py` (field names and order).
public struct EthRecord: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case block, transaction, receipt, log, tokenTransfer = "token_transfer", trace, withdrawal, token
        /// A value movement as a block explorer lists it for an address (Etherscan and its clones): `movement`
        /// `native` (a transaction's value and fee, when its position in the block is not known), `internal`,
        /// `token` or `nft`; `precision` `exact` (API) or `display` (web CSV exports). Used for a transaction only
        /// while the store has no node or ETL data of the same kind for it.
        case explorerTransfer = "explorer_transfer"
    }

    public enum Value: Sendable, Equatable {
        case null
        /// A non-negative integer, exact, in decimal.
        case number(String)
        case text(String)
        /// Multi-valued fields (`topics`, `trace_address`).
        case list([String])
        case bool(Bool)

        /// The value as text (nil when null, a list or a boolean).
        public var textValue: String? {
            switch self {
            case .text(let s): return s
            case .number(let n): return n
            default: return nil
            }
        }

        /// The value as an integer that fits 64 bits.
        public var intValue: Int64? {
            switch self {
            case .number(let n): return Int64(n)
            case .text(let s): return Int64(s)
            default: return nil
            }
        }

        /// The value as a uint256 (decimal, or a `0x` quantity).
        public var uintValue: UInt256? {
            switch self {
            case .number(let n): return UInt256(decimal: n)
            case .text(let s): return s.hasPrefix("0x") ? UInt256(hexQuantity: s) : UInt256(decimal: s)
            default: return nil
            }
        }
    }

    public var kind: Kind
    public var fields: [String: Value]
    /// Where the record came from, for errors (file and line or byte offset).
    public var origin: String

    public init(kind: Kind, fields: [String: Value] = [:], origin: String) {
        self.kind = kind; self.fields = fields; self.origin = origin
    }

    public subscript(name: String) -> Value? {
        get { fields[name] }
        set { fields[name] = newValue }
    }

    /// A text field (nil when null or missing).
    public func text(_ name: String) -> String? { fields[name]?.textValue }

    /// An integer field that fits 64 bits.
    public func int(_ name: String) -> Int64? { fields[name]?.intValue }

    /// A uint256 field.
    public func uint(_ name: String) -> UInt256? { fields[name]?.uintValue }

    public func list(_ name: String) -> [String]? {
        if case .list(let l) = fields[name] { return l }
        return nil
    }

    /// The field as ethereum-etl writes it in CSV: null empty, lists comma-joined, booleans `True`/`False`.
    public func csvText(_ name: String) -> String {
        switch fields[name] {
        case nil, .null?: return ""
        case .number(let n)?: return n
        case .text(let s)?: return s
        case .list(let l)?: return l.joined(separator: ",")
        case .bool(let b)?: return b ? "True" : "False"
        }
    }

    /// ethereum-etl's columns per kind, in export order.
    public static let columns: [Kind: [String]] = [
        .block: ["number", "hash", "parent_hash", "nonce", "sha3_uncles", "logs_bloom", "transactions_root", "state_root",
                 "receipts_root", "miner", "difficulty", "total_difficulty", "size", "extra_data", "gas_limit", "gas_used",
                 "timestamp", "transaction_count", "base_fee_per_gas", "withdrawals_root", "withdrawals"],
        .transaction: ["hash", "nonce", "block_hash", "block_number", "transaction_index", "from_address", "to_address", "value",
                       "gas", "gas_price", "input", "block_timestamp", "max_fee_per_gas", "max_priority_fee_per_gas",
                       "transaction_type"],
        .receipt: ["transaction_hash", "transaction_index", "block_hash", "block_number", "cumulative_gas_used", "gas_used",
                   "contract_address", "root", "status", "effective_gas_price"],
        .log: ["log_index", "transaction_hash", "transaction_index", "block_hash", "block_number", "address", "data", "topics"],
        .tokenTransfer: ["token_address", "from_address", "to_address", "value", "transaction_hash", "log_index", "block_number"],
        .trace: ["block_number", "transaction_hash", "transaction_index", "from_address", "to_address", "value", "input", "output",
                 "trace_type", "call_type", "reward_type", "gas", "gas_used", "subtraces", "trace_address", "error", "status",
                 "trace_id"],
        .withdrawal: ["block_number", "index", "validator_index", "address", "amount"],
        .token: ["address", "symbol", "name", "decimals", "total_supply"],
        .explorerTransfer: ["block_number", "block_timestamp", "transaction_hash", "movement", "token_address", "from_address",
                            "to_address", "value", "value_display", "fee", "status", "precision"],
    ]
}

extension EthRecord {
    /// A withdrawal as ethereum-etl writes it inside a block row: `{"index":…,"validator_index":…,"address":"0x…","amount":…}`.
    public static func withdrawalText(_ w: EthRecord) -> String {
        "{\"index\":\(w.csvText("index")),\"validator_index\":\(w.csvText("validator_index")),\"address\":\"\(w.csvText("address"))\",\"amount\":\(w.csvText("amount"))}"
    }
}

/// The ERC-20 / ERC-721 `Transfer(address,address,uint256)` event: keccak-256 of the signature.
public let transferEventTopic = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"

extension EthRecord {
    /// The token movement a log records, when it is a `Transfer` event. The three arguments (from, to, value) are
    /// read from the indexed topics then the data words, in order, when topics + words make four (ethereum-etl's
    /// rule). Three topics and one data word is an ERC-20 amount; any other layout — four topics (ERC-721's
    /// indexed token id) or an unindexed variant — is a non-fungible or unknown movement (`isFungible` false),
    /// never a fungible amount. Anything else is nil. Addresses are the low 20 bytes of their words.
    public static func tokenTransfer(fromLog log: EthRecord) -> (transfer: EthRecord, isFungible: Bool)? {
        guard log.kind == .log, let topics = log.list("topics"), topics.first?.lowercased() == transferEventTopic,
              let token = log.text("address") else { return nil }
        let data = Array((log.text("data") ?? "0x").lowercased().utf8.dropFirst(2))
        guard data.count % 64 == 0 else { return nil }
        var words = topics.dropFirst().map { Array($0.lowercased().utf8.dropFirst(2)) }
        for k in stride(from: 0, to: data.count, by: 64) { words.append(Array(data[k..<(k + 64)])) }
        guard words.count == 3, words.allSatisfy({ $0.count == 64 }) else { return nil }
        func address(_ w: [UInt8]) -> String? {
            guard w[0..<24].allSatisfy({ $0 == UInt8(ascii: "0") }), UInt256(hexDigits: w[24...]) != nil else { return nil }
            return "0x" + String(decoding: w[24...], as: UTF8.self)
        }
        guard let from = address(words[0]), let to = address(words[1]), let value = UInt256(hexDigits: words[2][...]) else { return nil }
        var r = EthRecord(kind: .tokenTransfer, origin: log.origin)
        r["token_address"] = .text(token.lowercased())
        r["from_address"] = .text(from)
        r["to_address"] = .text(to)
        r["value"] = .number(value.description)
        r["transaction_hash"] = log["transaction_hash"] ?? .null
        r["log_index"] = log["log_index"] ?? .null
        r["block_number"] = log["block_number"] ?? .null
        if let t = log["block_timestamp"] { r["block_timestamp"] = t }
        return (r, topics.count == 3)
    }
}

extension EthRecord {
    /// Whether a trace moves ETH as an internal transfer: below the top level (the top level is the transaction's
    /// own value), status 1, value > 0, and a call, a creation or a self-destruct. Not delegatecall or staticcall
    /// (no value of their own), nor callcode (its value stays with the caller: Parity reports it as a transfer to
    /// the caller itself, geth names the code's address as `to`).
    public static func isInternalTransfer(type: String, callType: String?, status: Int64, value: UInt256, traceAddress: [String]) -> Bool {
        guard !traceAddress.isEmpty, status == 1, !value.isZero else { return false }
        switch type {
        case "call": return callType != "delegatecall" && callType != "staticcall" && callType != "callcode"
        case "create", "create2", "suicide": return true
        default: return false
        }
    }

    /// The internal transfers among trace records: (transaction index, trace address, from, to, value).
    public static func internalTransfers(_ traces: [EthRecord]) -> [[String]] {
        traces.filter {
            $0.kind == .trace && isInternalTransfer(type: $0.text("trace_type") ?? "", callType: $0.text("call_type"),
                                                    status: $0.int("status") ?? 0, value: $0.uint("value") ?? .zero,
                                                    traceAddress: $0.list("trace_address") ?? [])
        }.map { [$0.csvText("transaction_index"), $0.csvText("trace_address"), $0.csvText("from_address"), $0.csvText("to_address"), $0.csvText("value")] }
    }
}
