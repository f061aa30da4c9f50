import FlowCore

/// Decodes recorded Ethereum JSON-RPC replies into ``EthRecord``s: `eth_getBlockByNumber` with full transactions
/// (block, transactions, withdrawals), `eth_getTransactionReceipt` / `eth_getBlockReceipts` (receipts and their
/// logs), `eth_getLogs` / `eth_getFilterLogs` (logs), Parity/OpenEthereum `trace_block` and geth
/// `debug_traceBlockByNumber` with `callTracer` (traces, flattened as ethereum-etl does). A reply may be bare, in a
/// JSON-RPC envelope, or a batch (an array of envelopes). Replies that carry no chain data (a filter id,
/// `eth_chainId`, `eth_call` results, `true`) decode to nothing.
///
/// Errors name the file and the JSON path of the offending member (`result.transactions[3].value`).
/// Format reference: Ethereum execution-apis JSON-RPC spec; ethereum-etl `ethereumetl/mappers/*`.
public struct EthRPCDecoder {
    public let path: String
    /// The block a geth `debug_traceBlockByNumber` reply belongs to (the reply does not say); see ``decode(_:)``.
    public var gethBlockNumber: Int64?

    public init(path: String, gethBlockNumber: Int64? = nil) {
        self.path = path; self.gethBlockNumber = gethBlockNumber
    }

    /// The block a recorded geth trace reply is for, from a file name like ethereum-etl's
    /// `web3_response.debug_traceBlockByNumber_0xf4240_tracer_calltracer.json`.
    public static func gethBlock(fromFileName name: String) -> Int64? {
        guard let r = name.range(of: "debug_traceBlockByNumber_0x") else { return nil }
        let digits = name[r.upperBound...].prefix { isHexDigit($0.asciiValue ?? 0) }
        return Int64(digits, radix: 16)
    }

    func fail(_ at: String, _ message: String) -> IngestError {
        IngestError(.unexpectedShape, "\(at): \(message)", path: path)
    }

    /// The records in one reply file's JSON.
    public func decode(_ json: JSONValue) throws -> [EthRecord] {
        // A batch: an array of envelopes.
        if case .array(let items) = json, let first = items.first, isEnvelope(first) {
            var out: [EthRecord] = []
            for (i, item) in items.enumerated() { out += try decodeEnvelope(item, at: "[\(i)]") }
            return out
        }
        if isEnvelope(json) { return try decodeEnvelope(json, at: "") }
        return try decodeResult(json, at: "")
    }

    private func isEnvelope(_ v: JSONValue) -> Bool {
        guard case .object(let o) = v, o["result"] != nil || o["error"] != nil else { return false }
        return o.keys.allSatisfy { ["jsonrpc", "id", "result", "error"].contains($0) }
    }

    private func decodeEnvelope(_ v: JSONValue, at: String) throws -> [EthRecord] {
        if let e = v["error"], !e.isNull {
            let message = e["message"]?.stringValue ?? "?"
            let code = e["code"]?.numberText.map { " (code \($0))" } ?? ""
            throw IngestError(.rpcFailure, "\(at.isEmpty ? "the reply" : at) is an error: \(message)\(code)", path: path)
        }
        guard let result = v["result"] else { throw fail(at.isEmpty ? "the reply" : at, "has neither result nor error") }
        return try decodeResult(result, at: at + (at.isEmpty ? "result" : ".result"))
    }

    private func decodeResult(_ r: JSONValue, at: String) throws -> [EthRecord] {
        switch r {
        case .null, .bool, .number, .string:
            return []  // a filter id, a chain id, an eth_call word, `true`: no chain data
        case .object(let o):
            if o["transactions"] != nil && o["number"] != nil { return try block(r, at: at) }
            if o["transactionHash"] != nil && o["cumulativeGasUsed"] != nil { return try receipt(r, at: at) }
            if o["topics"] != nil && o["logIndex"] != nil { return try [log(r, at: at)] }
            throw fail(at, "not a block, receipt or log (members: \(o.keys.sorted().prefix(8).joined(separator: ", ")))")
        case .array(let items):
            guard let first = items.first else { return [] }
            if first["action"] != nil && first["type"] != nil { return try parityTraces(items, at: at) }
            if first["result"] != nil || first["calls"] != nil || (first["type"] != nil && first["from"] != nil && first["gasUsed"] != nil) {
                return try gethTraces(items, at: at)
            }
            var out: [EthRecord] = []
            for (i, item) in items.enumerated() {
                if item["transactionHash"] != nil && item["cumulativeGasUsed"] != nil { out += try receipt(item, at: "\(at)[\(i)]") }
                else if item["topics"] != nil && item["logIndex"] != nil { out.append(try log(item, at: "\(at)[\(i)]")) }
                else if item["transactions"] != nil && item["number"] != nil { out += try block(item, at: "\(at)[\(i)]") }
                else { throw fail("\(at)[\(i)]", "not a receipt, log, block or trace") }
            }
            return out
        }
    }

    // MARK: Field readers

    /// A quantity (`0x` hex or a JSON number) as exact decimal text; nil when absent or null.
    func quantity(_ v: JSONValue?, _ at: String) throws -> EthRecord.Value {
        guard let v, !v.isNull else { return .null }
        switch v {
        case .string(let s):
            guard let q = UInt256(hexQuantity: s) else { throw fail(at, "'\(s.prefix(70))' is not a hex quantity") }
            return .number(q.description)
        case .number(let n):
            guard let q = UInt256(decimal: n) else { throw fail(at, "\(n.prefix(70)) is not a non-negative integer") }
            return .number(q.description)
        default:
            throw fail(at, "expected a quantity, found \(kindName(v))")
        }
    }

    func requiredQuantity(_ o: JSONValue, _ key: String, _ at: String) throws -> EthRecord.Value {
        let q = try quantity(o[key], "\(at).\(key)")
        if case .null = q { throw fail("\(at).\(key)", "missing") }
        return q
    }

    /// Hex data or a hash, lower-cased; nil when absent or null.
    func data(_ v: JSONValue?, _ at: String) throws -> EthRecord.Value {
        guard let v, !v.isNull else { return .null }
        guard case .string(let s) = v, s.hasPrefix("0x"), s.utf8.dropFirst(2).allSatisfy({ isHexDigit($0) }) else {
            throw fail(at, "expected 0x hex data, found \(kindName(v))")
        }
        return .text(s.lowercased())
    }

    func hash(_ o: JSONValue, _ key: String, _ at: String, required: Bool = true) throws -> EthRecord.Value {
        let v = try data(o[key], "\(at).\(key)")
        if case .text(let s) = v, s.utf8.count != 66 { throw fail("\(at).\(key)", "'\(s.prefix(70))' is not a 32-byte hash") }
        if required, case .null = v { throw fail("\(at).\(key)", "missing") }
        return v
    }

    /// An address, checked (20 bytes; mixed case must carry a valid EIP-55 checksum) and lower-cased.
    func address(_ v: JSONValue?, _ at: String) throws -> EthRecord.Value {
        guard let v, !v.isNull else { return .null }
        guard case .string(let s) = v else { throw fail(at, "expected an address, found \(kindName(v))") }
        guard let a = EthAddress.normalized(s) else {
            throw fail(at, "'\(s.prefix(70))' is not an Ethereum address (0x and 40 hex digits, EIP-55 checksum when mixed-case)")
        }
        return .text(a)
    }

    private func kindName(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string(let s): return "'\(s.prefix(40))'"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// Copies optional hex-data and quantity members (RPC name → ETL column).
    private func copy(into r: inout EthRecord, from o: JSONValue, at: String, data dataNames: KeyValuePairs<String, String>,
                      quantities: KeyValuePairs<String, String>) throws {
        for (column, member) in dataNames { r[column] = try data(o[member], "\(at).\(member)") }
        for (column, member) in quantities { r[column] = try quantity(o[member], "\(at).\(member)") }
    }

    // MARK: Blocks

    func block(_ b: JSONValue, at: String) throws -> [EthRecord] {
        var r = EthRecord(kind: .block, origin: "\(path) \(at)")
        r["number"] = try requiredQuantity(b, "number", at)
        r["hash"] = try hash(b, "hash", at)
        r["parent_hash"] = try hash(b, "parentHash", at)
        try copy(into: &r, from: b, at: at, data: ["nonce": "nonce", "sha3_uncles": "sha3Uncles", "logs_bloom": "logsBloom",
                                                   "transactions_root": "transactionsRoot", "state_root": "stateRoot",
                                                   "receipts_root": "receiptsRoot", "extra_data": "extraData", "withdrawals_root": "withdrawalsRoot"],
                 quantities: ["difficulty": "difficulty", "total_difficulty": "totalDifficulty", "size": "size", "gas_limit": "gasLimit",
                              "gas_used": "gasUsed", "base_fee_per_gas": "baseFeePerGas"])
        r["miner"] = try address(b["miner"], "\(at).miner")
        r["timestamp"] = try requiredQuantity(b, "timestamp", at)
        guard let txs = b["transactions"]?.arrayValue else { throw fail("\(at).transactions", "expected an array") }
        r["transaction_count"] = .number(String(txs.count))
        var withdrawals: [EthRecord] = []
        for (i, w) in (b["withdrawals"]?.arrayValue ?? []).enumerated() {
            let wat = "\(at).withdrawals[\(i)]"
            var x = EthRecord(kind: .withdrawal, origin: "\(path) \(wat)")
            x["block_number"] = r["number"]
            x["index"] = try requiredQuantity(w, "index", wat)
            x["validator_index"] = try requiredQuantity(w, "validatorIndex", wat)
            x["address"] = try address(w["address"], "\(wat).address")
            x["amount"] = try requiredQuantity(w, "amount", wat)  // gwei
            withdrawals.append(x)
        }
        r["withdrawals"] = .list(withdrawals.map(EthRecord.withdrawalText))
        // A block fetched without full transactions (`false`) lists hashes: only its header is usable.
        let hashesOnly = txs.contains { if case .string = $0 { return true }; return false }
        if hashesOnly { r["header_only"] = .bool(true) }
        var out = [r]
        for (i, t) in txs.enumerated() where !hashesOnly {
            let tat = "\(at).transactions[\(i)]"
            guard case .object = t else { throw fail(tat, "is neither a transaction nor a transaction hash") }
            out.append(try transaction(t, block: r, at: tat))
        }
        return out + withdrawals
    }

    func transaction(_ t: JSONValue, block: EthRecord, at: String) throws -> EthRecord {
        var r = EthRecord(kind: .transaction, origin: "\(path) \(at)")
        r["hash"] = try hash(t, "hash", at)
        r["block_hash"] = try hash(t, "blockHash", at, required: false)
        r["transaction_index"] = try requiredQuantity(t, "transactionIndex", at)
        r["from_address"] = try address(t["from"], "\(at).from")
        if case .null = r["from_address"]! { throw fail("\(at).from", "missing") }
        r["to_address"] = try address(t["to"], "\(at).to")
        r["value"] = try requiredQuantity(t, "value", at)
        try copy(into: &r, from: t, at: at, data: ["input": "input"],
                 quantities: ["nonce": "nonce", "block_number": "blockNumber", "gas": "gas", "gas_price": "gasPrice",
                              "max_fee_per_gas": "maxFeePerGas", "max_priority_fee_per_gas": "maxPriorityFeePerGas", "transaction_type": "type"])
        r["block_timestamp"] = block["timestamp"]
        if let n = block.text("number"), let own = r.text("block_number"), own != n {
            throw fail("\(at).blockNumber", "says block \(own) inside block \(n)")
        }
        return r
    }

    // MARK: Receipts and logs

    func receipt(_ x: JSONValue, at: String) throws -> [EthRecord] {
        var r = EthRecord(kind: .receipt, origin: "\(path) \(at)")
        r["transaction_hash"] = try hash(x, "transactionHash", at)
        r["transaction_index"] = try requiredQuantity(x, "transactionIndex", at)
        r["block_hash"] = try hash(x, "blockHash", at, required: false)
        r["block_number"] = try requiredQuantity(x, "blockNumber", at)
        r["gas_used"] = try requiredQuantity(x, "gasUsed", at)
        try copy(into: &r, from: x, at: at, data: ["root": "root"],
                 quantities: ["cumulative_gas_used": "cumulativeGasUsed", "status": "status", "effective_gas_price": "effectiveGasPrice"])
        r["contract_address"] = try address(x["contractAddress"], "\(at).contractAddress")
        // Not an ETL receipt column, but the fee needs the payer when no transaction is stored yet.
        r["from_address"] = try address(x["from"], "\(at).from")
        if let s = r.int("status"), s > 1 { throw fail("\(at).status", "\(s) is neither 0 nor 1") }
        var out = [r]
        for (i, l) in (x["logs"]?.arrayValue ?? []).enumerated() {
            let rec = try log(l, at: "\(at).logs[\(i)]")
            if rec.fields["removed"] == .bool(true) { continue }
            out.append(rec)
        }
        return out
    }

    func log(_ l: JSONValue, at: String) throws -> EthRecord {
        var r = EthRecord(kind: .log, origin: "\(path) \(at)")
        r["log_index"] = try requiredQuantity(l, "logIndex", at)
        r["transaction_hash"] = try hash(l, "transactionHash", at)
        r["transaction_index"] = try quantity(l["transactionIndex"], "\(at).transactionIndex")
        r["block_hash"] = try hash(l, "blockHash", at, required: false)
        r["block_number"] = try requiredQuantity(l, "blockNumber", at)
        r["address"] = try address(l["address"], "\(at).address")
        r["data"] = try data(l["data"], "\(at).data")
        guard let topics = l["topics"]?.arrayValue else { throw fail("\(at).topics", "expected an array") }
        var list: [String] = []
        for (i, t) in topics.enumerated() {
            guard case .text(let s) = try data(t, "\(at).topics[\(i)]"), s.utf8.count == 66 else {
                throw fail("\(at).topics[\(i)]", "is not a 32-byte word")
            }
            list.append(s)
        }
        r["topics"] = .list(list)
        if l["removed"]?.boolValue == true { r["removed"] = .bool(true) }
        return r
    }

    // MARK: Traces

    /// Parity/OpenEthereum `trace_block`: one object per trace, already flat.
    func parityTraces(_ items: [JSONValue], at: String) throws -> [EthRecord] {
        var out: [EthRecord] = []
        for (i, t) in items.enumerated() {
            let tat = "\(at)[\(i)]"
            var r = EthRecord(kind: .trace, origin: "\(path) \(tat)")
            r["block_number"] = try requiredQuantity(t, "blockNumber", tat)
            r["transaction_hash"] = try hash(t, "transactionHash", tat, required: false)
            r["transaction_index"] = try quantity(t["transactionPosition"], "\(tat).transactionPosition")
            r["subtraces"] = try quantity(t["subtraces"], "\(tat).subtraces")
            var traceAddress: [String] = []
            for (k, a) in (t["traceAddress"]?.arrayValue ?? []).enumerated() {
                guard case .number(let n) = try quantity(a, "\(tat).traceAddress[\(k)]") else { throw fail("\(tat).traceAddress[\(k)]", "null") }
                traceAddress.append(n)
            }
            r["trace_address"] = .list(traceAddress)
            if let e = t["error"]?.stringValue, !e.isEmpty { r["error"] = .text(e) } else { r["error"] = .null }
            let action = t["action"] ?? .object([:]), result = (t["result"].flatMap { $0.isNull ? nil : $0 }) ?? .object([:])
            guard let type = t["type"]?.stringValue else { throw fail("\(tat).type", "missing") }
            r["trace_type"] = .text(type)
            for k in ["from_address", "to_address", "value", "input", "output", "call_type", "reward_type", "gas", "gas_used"] { r[k] = .null }
            let aat = "\(tat).action"
            if type == "call" || type == "create" {
                r["from_address"] = try address(action["from"], "\(aat).from")
                r["value"] = try quantity(action["value"], "\(aat).value")
                r["gas"] = try quantity(action["gas"], "\(aat).gas")
                r["gas_used"] = try quantity(result["gasUsed"], "\(tat).result.gasUsed")
            }
            switch type {
            case "call":
                r["call_type"] = action["callType"]?.stringValue.map { .text($0) } ?? .null
                r["to_address"] = try address(action["to"], "\(aat).to")
                r["input"] = try data(action["input"], "\(aat).input")
                r["output"] = try data(result["output"], "\(tat).result.output")
            case "create":
                r["to_address"] = try address(result["address"], "\(tat).result.address")
                r["input"] = try data(action["init"], "\(aat).init")
                r["output"] = try data(result["code"], "\(tat).result.code")
            case "suicide":
                r["from_address"] = try address(action["address"], "\(aat).address")
                r["to_address"] = try address(action["refundAddress"], "\(aat).refundAddress")
                r["value"] = try quantity(action["balance"], "\(aat).balance")
            case "reward":
                r["to_address"] = try address(action["author"], "\(aat).author")
                r["value"] = try quantity(action["value"], "\(aat).value")
                r["reward_type"] = action["rewardType"]?.stringValue.map { .text($0) } ?? .null
            default:
                throw fail("\(tat).type", "unknown trace type '\(type)'")
            }
            out.append(r)
        }
        EthTraces.computeStatusesAndIDs(&out)
        return out
    }

    /// geth `debug_traceBlockByNumber` with `callTracer`: one call tree per transaction, in transaction order,
    /// flattened depth-first (trace addresses as Parity's). The reply names neither the block nor (before geth
    /// 1.11) the transactions: the block comes from ``gethBlockNumber``, transactions are matched by index.
    func gethTraces(_ items: [JSONValue], at: String) throws -> [EthRecord] {
        guard let block = gethBlockNumber else {
            throw fail(at, "geth call traces do not name their block: record the request with the reply or name the file "
                       + "…debug_traceBlockByNumber_0x<block>…")
        }
        var out: [EthRecord] = []
        for (i, item) in items.enumerated() {
            let tat = "\(at)[\(i)]"
            if let e = item["error"]?.stringValue, item["result"] == nil {
                throw IngestError(.rpcFailure, "\(tat): the node could not trace this transaction: \(e)", path: path)
            }
            let root = item["result"] ?? item
            let txHash = try hash(item, "txHash", tat, required: false)
            try flatten(root, block: block, txIndex: i, txHash: txHash, address: [], at: item["result"] != nil ? "\(tat).result" : tat, into: &out)
        }
        EthTraces.computeStatusesAndIDs(&out)
        return out
    }

    private func flatten(_ f: JSONValue, block: Int64, txIndex: Int, txHash: EthRecord.Value, address: [Int], at: String,
                         into out: inout [EthRecord]) throws {
        guard let rawType = f["type"]?.stringValue else { throw fail("\(at).type", "missing") }
        var r = EthRecord(kind: .trace, origin: "\(path) \(at)")
        r["block_number"] = .number(String(block))
        r["transaction_hash"] = txHash
        r["transaction_index"] = .number(String(txIndex))
        r["from_address"] = try self.address(f["from"], "\(at).from")
        r["to_address"] = try self.address(f["to"], "\(at).to")
        r["input"] = try data(f["input"], "\(at).input")
        r["output"] = try data(f["output"], "\(at).output")
        r["value"] = try quantity(f["value"], "\(at).value")
        r["gas"] = try quantity(f["gas"], "\(at).gas")
        r["gas_used"] = try quantity(f["gasUsed"], "\(at).gasUsed")
        if let e = f["error"]?.stringValue, !e.isEmpty { r["error"] = .text(e) } else { r["error"] = .null }
        r["reward_type"] = .null
        let type = rawType.lowercased()
        switch type {
        case "selfdestruct": r["trace_type"] = .text("suicide"); r["call_type"] = .null
        case "call", "callcode", "delegatecall", "staticcall": r["trace_type"] = .text("call"); r["call_type"] = .text(type)
        case "create", "create2": r["trace_type"] = .text(type); r["call_type"] = .null
        default: throw fail("\(at).type", "unknown call type '\(rawType)'")
        }
        let calls = f["calls"]?.arrayValue ?? []
        r["subtraces"] = .number(String(calls.count))
        r["trace_address"] = .list(address.map(String.init))
        if type == "selfdestruct" && (r.text("to_address") == nil || r.text("value") == nil) {
            // Older geth callTracers report a self-destruct without beneficiary or value: the ETH it moved cannot
            // be known from this reply (Parity's trace_block has it). Flagged, so the ingest can say so.
            r["incomplete"] = .bool(true)
        }
        out.append(r)
        for (k, c) in calls.enumerated() {
            try flatten(c, block: block, txIndex: txIndex, txHash: txHash, address: address + [k], at: "\(at).calls[\(k)]", into: &out)
        }
    }
}

@inline(__always) func isHexDigit(_ c: UInt8) -> Bool {
    (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "F"))
}

/// Trace post-processing shared by every trace source.
public enum EthTraces {
    /// ethereum-etl's rules: a trace with an error has status 0, and so has every trace below it in the same
    /// transaction (its effects were reverted); others 1. Ids: `{type}_{tx hash}_{trace address joined by _}`,
    /// and for block-level traces (rewards) `{type}_{block}_{n}` numbering each type's traces in block order.
    public static func computeStatusesAndIDs(_ traces: inout [EthRecord]) {
        var failed: [String: [[String]]] = [:]  // per transaction (hash or block:index), the failed trace addresses
        func txKey(_ t: EthRecord) -> String? {
            if let h = t.text("transaction_hash") { return h }
            if let b = t.text("block_number"), let i = t.text("transaction_index") { return "\(b):\(i)" }
            return nil
        }
        for t in traces where t.text("error") != nil {
            if let k = txKey(t) { failed[k, default: []].append(t.list("trace_address") ?? []) }
        }
        var blockScoped: [String: Int] = [:]
        for i in traces.indices {
            let t = traces[i]
            let address = t.list("trace_address") ?? []
            var ok = t.text("error") == nil
            if ok, let k = txKey(t), let f = failed[k] {
                ok = !f.contains { address.count >= $0.count && Array(address.prefix($0.count)) == $0 }
            }
            traces[i]["status"] = .number(ok ? "1" : "0")
            let type = t.text("trace_type") ?? "?"
            if let h = t.text("transaction_hash") {
                traces[i]["trace_id"] = .text("\(type)_\(h)_\(address.joined(separator: "_"))")
            } else if t.text("transaction_index") == nil, let b = t.text("block_number") {
                let key = "\(type)_\(b)"
                let n = blockScoped[key, default: 0]
                blockScoped[key] = n + 1
                traces[i]["trace_id"] = .text("\(key)_\(n)")
            } else {
                traces[i]["trace_id"] = .null
            }
        }
    }
}
