import FlowCore
import Foundation

/// What one JSON document (or one JSON Lines record) of Bitcoin data holds.
public enum BitcoinRecord: Sendable {
    /// A whole block with every transaction.
    case block(BitcoinBlock)
    /// Transactions of one block known only by reference, or unconfirmed (`nil`), with their positions when known.
    case transactions([BitcoinTransaction], indexes: [Int?], block: BitcoinBlockReference?)
    /// A block header without transactions (e.g. `getblock` verbosity 1, bitcoin-etl `blocks.json`).
    case headerOnly(BitcoinBlockReference)
    /// A reply that carries no block data (`getblockhash`, `getblockcount`): named so the caller can say so.
    case nothing(String)
}

/// Shared field decoding for the JSON formats; every error is an ``IngestError`` with a JSON path in its message.
struct BitcoinJSONFields {
    let network: BitcoinNetwork

    func fail(_ message: String, _ where: String) -> IngestError {
        IngestError(.unexpectedShape, "\(`where`): \(message)")
    }

    func string(_ v: JSONValue?, _ name: String, _ at: String) throws -> String {
        guard let s = v?.stringValue else { throw fail("missing or non-string '\(name)'", at) }
        return s
    }

    func int(_ v: JSONValue?, _ name: String, _ at: String) throws -> Int64 {
        guard let n = v?.int64Value else { throw fail("missing or non-integer '\(name)'", at) }
        return n
    }

    func hash(_ v: JSONValue?, _ name: String, _ at: String) throws -> Hash256 {
        let s = try string(v, name, at)
        guard let h = Hash256(displayHex: s) else { throw fail("'\(name)' is not a 64-digit hex hash: \(s.prefix(70))", at) }
        return h
    }

    func hex(_ v: JSONValue?, _ name: String, _ at: String) throws -> [UInt8] {
        let s = try string(v, name, at)
        guard let b = Hex.decode(s) else { throw fail("'\(name)' is not hex", at) }
        return b
    }

    /// A BTC decimal (JSON number text such as `50.00000000`) converted exactly to satoshis.
    func satsFromBTC(_ v: JSONValue?, _ name: String, _ at: String) throws -> Int64 {
        guard let text = v?.numberText else { throw fail("missing '\(name)'", at) }
        switch Amount.parse(decimal: text[...], decimals: 8) {
        case .success(let a):
            guard a.baseUnits >= 0, a.baseUnits <= 2_100_000_000_000_000 else { throw fail("'\(name)' \(text) is out of range", at) }
            return Int64(a.baseUnits)
        case .failure(let f):
            throw fail("'\(name)' \(text) is not an exact BTC amount (\(f))", at)
        }
    }

    /// A satoshi integer.
    func sats(_ v: JSONValue?, _ name: String, _ at: String) throws -> Int64 {
        let n = try int(v, name, at)
        guard n >= 0, n <= 2_100_000_000_000_000 else { throw fail("'\(name)' \(n) sat is out of range", at) }
        return n
    }

    /// Derives the address from script bytes and checks it against the address the source states.
    func address(script: [UInt8], stated: String?, _ at: String) throws -> ScriptAddress {
        let ours = ScriptAddress(script: script, network: network)
        if let stated, !ours.scriptType.usesPseudoAddress, stated != ours.text,
           !stated.hasPrefix("nonstandard")  // bitcoin-etl's synthetic addresses
        {
            throw IngestError(.inconsistent, "\(at): the source says \(stated), the script encodes \(ours.text) on \(network.rawValue) "
                              + "(wrong --network?)")
        }
        return ours
    }
}

/// Decodes Bitcoin Core JSON-RPC replies: `getblock` (verbosity 1, 2, 3), `getrawtransaction` (verbose or hex),
/// `getblock` verbosity 0 hex, bare or in a `{"result": …}` envelope, one reply or a batch (array) per file.
///
/// BTC amounts are JSON numbers with 8 decimals; they are parsed from their text, never through a Double.
/// Format reference: Bitcoin Core `rpc/blockchain.cpp` (`getblock`) and `core_write.cpp` (`TxToUniv`).
public struct BitcoinRPCDecoder: Sendable {
    public var network: BitcoinNetwork
    public init(network: BitcoinNetwork) { self.network = network }

    /// Decodes every reply in one file's JSON document.
    public func records(from document: JSONValue) throws -> [BitcoinRecord] {
        if case .array(let replies) = document, replies.first?["result"] != nil || replies.first?["error"] != nil {
            return try replies.enumerated().map { try record(fromReply: $1, at: "reply[\($0)]") }
        }
        return [try record(fromReply: document, at: "reply")]
    }

    func record(fromReply reply: JSONValue, at: String) throws -> BitcoinRecord {
        var value = reply
        if case .object(let o) = reply, o["result"] != nil || o["error"] != nil, o["tx"] == nil, o["vin"] == nil {
            if let e = o["error"], !e.isNull {
                let message = e["message"]?.stringValue ?? "\(e)"
                throw IngestError(.rpcFailure, "\(at): the node answered with an error: \(message)")
            }
            value = o["result"] ?? .null
        }
        return try record(fromResult: value, at: at)
    }

    /// Decodes a reply's `result`.
    public func record(fromResult value: JSONValue, at: String) throws -> BitcoinRecord {
        let f = BitcoinJSONFields(network: network)
        switch value {
        case .object(let o) where o["tx"] != nil:
            return try block(o, f, at: at)
        case .object(let o) where o["vin"] != nil && o["vout"] != nil:
            let tx = try transaction(value, f, at: at)
            var ref: BitcoinBlockReference?
            if let bh = o["blockhash"]?.stringValue {
                ref = BitcoinBlockReference(hash: try f.hash(.string(bh), "blockhash", at), height: nil,
                                            timestampUnix: o["blocktime"]?.int64Value.map { UInt32(clamping: $0) })
            }
            return .transactions([tx], indexes: [nil], block: ref)
        case .string(let s):
            guard s.utf8.count > 64, let bytes = Hex.decode(s) else {
                return .nothing(s.utf8.count == 64 ? "a block hash (getblockhash reply)" : "a string that is not block data")
            }
            let parser = RawBlockParser(network: network)
            if bytes.count >= 81, let block = try? bytes.withUnsafeBytes({ try parser.parseBlock($0) }) {
                return .block(block)
            }
            do {
                let tx = try bytes.withUnsafeBytes { try parser.parseTransaction($0) }
                return .transactions([tx], indexes: [nil], block: nil)
            } catch let e as IngestError {
                throw IngestError(.corrupt, "\(at): hex is neither a block nor a transaction: \(e.message)", byteOffset: e.byteOffset)
            }
        case .number(let n):
            return .nothing("a number (\(n)), e.g. a getblockcount reply")
        case .null:
            return .nothing("null")
        default:
            throw IngestError(.unexpectedShape, "\(at): not a getblock or getrawtransaction reply")
        }
    }

    private func block(_ o: [String: JSONValue], _ f: BitcoinJSONFields, at: String) throws -> BitcoinRecord {
        let hash = try f.hash(o["hash"], "hash", at)
        let at = "\(at) block \(hash)"
        let prev = o["previousblockhash"].map { try? f.hash($0, "previousblockhash", at) } ?? Hash256.zero
        guard let prev else { throw f.fail("bad 'previousblockhash'", at) }
        let bitsText = try f.string(o["bits"], "bits", at)
        guard let bits = UInt32(bitsText, radix: 16) else { throw f.fail("'bits' is not hex", at) }
        let header = BitcoinBlockHeader(
            version: Int32(truncatingIfNeeded: try f.int(o["version"], "version", at)), previousHash: prev,
            merkleRoot: try f.hash(o["merkleroot"], "merkleroot", at),
            timestampUnix: UInt32(clamping: try f.int(o["time"], "time", at)), bits: bits,
            nonce: UInt32(clamping: try f.int(o["nonce"], "nonce", at)))
        guard header.hash == hash else {
            throw IngestError(.inconsistent, "\(at): the header fields hash to \(header.hash), not to the stated block hash")
        }
        let height = o["height"]?.int64Value.map { Int($0) }
        let txValues = o["tx"]?.arrayValue ?? []
        let nTx = o["nTx"]?.int64Value ?? Int64(txValues.count)
        if txValues.isEmpty && nTx > 0 || txValues.contains(where: { $0.stringValue != nil }) {
            return .headerOnly(BitcoinBlockReference(hash: hash, height: height, timestampUnix: header.timestampUnix))
        }
        var txs: [BitcoinTransaction] = []
        for (i, t) in txValues.enumerated() { txs.append(try transaction(t, f, at: "\(at) tx[\(i)]")) }
        let size = Int(o["size"]?.int64Value ?? 0)
        let stripped = Int(o["strippedsize"]?.int64Value ?? Int64(size))
        let block = BitcoinBlock(hash: hash, header: header, height: height, size: size, strippedSize: stripped,
                                 weight: Int(o["weight"]?.int64Value ?? Int64(stripped * 3 + size)), transactions: txs)
        guard block.computedMerkleRoot == header.merkleRoot else {
            throw IngestError(.inconsistent, "\(at): the transactions' merkle root \(block.computedMerkleRoot) differs from the header's")
        }
        return .block(block)
    }

    private func transaction(_ t: JSONValue, _ f: BitcoinJSONFields, at: String) throws -> BitcoinTransaction {
        let txid = try f.hash(t["txid"], "txid", at)
        let at = "\(at) \(txid)"
        var tx: BitcoinTransaction
        if let hex = t["hex"]?.stringValue {
            // The raw serialisation is the exact source: parse it, and check the node's txid.
            guard let bytes = Hex.decode(hex) else { throw f.fail("'hex' is not hex", at) }
            tx = try bytes.withUnsafeBytes { try RawBlockParser(network: network).parseTransaction($0) }
            guard tx.txid == txid else { throw IngestError(.inconsistent, "\(at): 'hex' hashes to txid \(tx.txid)") }
        } else {
            tx = try fields(t, txid: txid, f, at: at)
        }
        // Verbosity 3 states each input's prevout; the fee comes with undo data.
        let vin = t["vin"]?.arrayValue ?? []
        var inputIndex = 0
        for (n, v) in vin.enumerated() where v["coinbase"] == nil {
            if let p = v["prevout"], inputIndex < tx.inputs.count {
                let script = try f.hex(p["scriptPubKey"]?["hex"], "prevout.scriptPubKey.hex", "\(at) vin[\(n)]")
                let address = try f.address(script: script, stated: p["scriptPubKey"]?["address"]?.stringValue, "\(at) vin[\(n)] prevout")
                tx.inputs[inputIndex].prevout = BitcoinPrevout(valueSats: try f.satsFromBTC(p["value"], "prevout.value", "\(at) vin[\(n)]"),
                                                               address: address)
            }
            inputIndex += 1
        }
        if let fee = t["fee"] { tx.statedFeeSats = try f.satsFromBTC(fee, "fee", at) }
        // Check the stated output addresses against the scripts (catches a wrong --network).
        for (n, v) in (t["vout"]?.arrayValue ?? []).enumerated() where n < tx.outputs.count {
            let spk = v["scriptPubKey"]
            let stated = spk?["address"]?.stringValue ?? spk?["addresses"]?.arrayValue?.first?.stringValue
            let script = try f.hex(spk?["hex"], "scriptPubKey.hex", "\(at) vout[\(n)]")
            _ = try f.address(script: script, stated: stated, "\(at) vout[\(n)]")
        }
        return tx
    }

    /// Builds a transaction from `TxToUniv` fields when the reply carries no `hex`.
    private func fields(_ t: JSONValue, txid: Hash256, _ f: BitcoinJSONFields, at: String) throws -> BitcoinTransaction {
        var inputs: [BitcoinInput] = []
        var coinbase: [UInt8]?
        for (n, v) in (t["vin"]?.arrayValue ?? []).enumerated() {
            let where_ = "\(at) vin[\(n)]"
            if v["coinbase"] != nil {
                coinbase = try f.hex(v["coinbase"], "coinbase", where_)
                continue
            }
            inputs.append(BitcoinInput(previousTxid: try f.hash(v["txid"], "txid", where_),
                                       previousVout: UInt32(clamping: try f.int(v["vout"], "vout", where_)),
                                       sequence: UInt32(clamping: try f.int(v["sequence"], "sequence", where_))))
        }
        var outputs: [BitcoinOutput] = []
        for (n, v) in (t["vout"]?.arrayValue ?? []).enumerated() {
            let where_ = "\(at) vout[\(n)]"
            let script = try f.hex(v["scriptPubKey"]?["hex"], "scriptPubKey.hex", where_)
            outputs.append(BitcoinOutput(valueSats: try f.satsFromBTC(v["value"], "value", where_),
                                         address: ScriptAddress(script: script, network: network)))
        }
        let size = Int(try f.int(t["size"], "size", at))
        let vsize = Int(t["vsize"]?.int64Value ?? Int64(size))
        return BitcoinTransaction(
            txid: txid, version: Int32(truncatingIfNeeded: try f.int(t["version"], "version", at)),
            lockTime: UInt32(clamping: try f.int(t["locktime"], "locktime", at)), size: size,
            weight: Int(t["weight"]?.int64Value ?? Int64(vsize == size ? size * 4 : vsize * 4)),
            isCoinbase: coinbase != nil, coinbaseScript: coinbase, inputs: inputs, outputs: outputs)
    }
}

/// Decodes blockchain-etl bitcoin-etl exports (JSON Lines): `transactions.json` records (enriched inputs with the
/// spent output's value and addresses) and `blocks.json` records.
///
/// Values are integers in satoshis. Output addresses are derived from `script_hex` and checked against the export.
/// Format reference: blockchain-etl/bitcoin-etl `domain/transaction.py`, `mappers/transaction_mapper.py`.
public struct BitcoinETLDecoder: Sendable {
    public var network: BitcoinNetwork
    public init(network: BitcoinNetwork) { self.network = network }

    /// Decodes one line's object.
    public func record(from v: JSONValue, at: String) throws -> BitcoinRecord {
        let f = BitcoinJSONFields(network: network)
        guard case .object(let o) = v else { throw f.fail("a record must be a JSON object", at) }
        if o["inputs"] != nil || o["outputs"] != nil {
            let (tx, ref, index) = try transaction(o, f, at: at)
            return .transactions([tx], indexes: [index], block: ref)
        }
        if o["merkle_root"] != nil, o["number"] != nil {
            let hash = try f.hash(o["hash"], "hash", at)
            return .headerOnly(BitcoinBlockReference(hash: hash, height: Int(try f.int(o["number"], "number", at)),
                                                     timestampUnix: o["timestamp"]?.int64Value.map { UInt32(clamping: $0) }))
        }
        throw f.fail("neither a bitcoin-etl transaction (inputs/outputs) nor a block (number/merkle_root)", at)
    }

    private func transaction(_ o: [String: JSONValue], _ f: BitcoinJSONFields, at: String)
        throws -> (BitcoinTransaction, BitcoinBlockReference?, Int?)
    {
        let txid = try f.hash(o["hash"], "hash", at)
        let at = "\(at) \(txid)"
        let isCoinbase = o["is_coinbase"]?.boolValue ?? false
        var inputs: [BitcoinInput] = []
        for (n, v) in (o["inputs"]?.arrayValue ?? []).enumerated() {
            let w = "\(at) inputs[\(n)]"
            var prevout: BitcoinPrevout?
            if let value = v["value"], !value.isNull {
                let addressText = v["addresses"]?.arrayValue?.first?.stringValue
                let type = BitcoinETLDecoder.scriptType(v["type"]?.stringValue)
                let address = ScriptAddress(text: addressText ?? "nonstandard-unknown", scriptType: type)
                prevout = BitcoinPrevout(valueSats: try f.sats(value, "value", w), address: address)
            }
            inputs.append(BitcoinInput(previousTxid: try f.hash(v["spent_transaction_hash"], "spent_transaction_hash", w),
                                       previousVout: UInt32(clamping: try f.int(v["spent_output_index"], "spent_output_index", w)),
                                       sequence: UInt32(clamping: v["sequence"]?.int64Value ?? 0xffff_ffff), prevout: prevout))
        }
        var outputs: [BitcoinOutput] = []
        for (n, v) in (o["outputs"]?.arrayValue ?? []).enumerated() {
            let w = "\(at) outputs[\(n)]"
            let script = try f.hex(v["script_hex"], "script_hex", w)
            let address = try f.address(script: script, stated: v["addresses"]?.arrayValue?.first?.stringValue, w)
            outputs.append(BitcoinOutput(valueSats: try f.sats(v["value"], "value", w), address: address))
        }
        let size = Int(try f.int(o["size"], "size", at))
        let vsize = Int(o["virtual_size"]?.int64Value ?? Int64(size))
        var tx = BitcoinTransaction(
            txid: txid, version: Int32(truncatingIfNeeded: try f.int(o["version"], "version", at)),
            lockTime: UInt32(clamping: o["lock_time"]?.int64Value ?? 0), size: size,
            weight: vsize == size ? size * 4 : vsize * 4, isCoinbase: isCoinbase, inputs: isCoinbase ? [] : inputs,
            outputs: outputs)
        if !isCoinbase, let fee = o["fee"], !fee.isNull, inputs.allSatisfy({ $0.prevout != nil }) {
            tx.statedFeeSats = try f.sats(fee, "fee", at)
        }
        var ref: BitcoinBlockReference?
        if let bh = o["block_hash"], !bh.isNull {
            ref = BitcoinBlockReference(hash: try f.hash(bh, "block_hash", at),
                                        height: o["block_number"]?.int64Value.map { Int($0) },
                                        timestampUnix: o["block_timestamp"]?.int64Value.map { UInt32(clamping: $0) })
        }
        return (tx, ref, o["index"]?.int64Value.map { Int($0) })
    }

    /// Maps Bitcoin Core / bitcoin-etl script type names to ``ScriptType``.
    static func scriptType(_ name: String?) -> ScriptType {
        switch name {
        case "pubkeyhash": return .p2pkh
        case "scripthash": return .p2sh
        case "pubkey": return .p2pk
        case "multisig": return .multisig
        case "nulldata": return .nullData
        case "witness_v0_keyhash", "v0_p2wpkh": return .p2wpkh
        case "witness_v0_scripthash", "v0_p2wsh": return .p2wsh
        case "witness_v1_taproot", "v1_p2tr": return .p2tr
        case "witness_unknown": return .witnessUnknown
        case "anchor": return .anchor
        default: return .nonstandard
        }
    }
}

/// Decodes Esplora REST replies: `/tx/:txid` (one transaction), `/address/:address/txs` and `/block/:hash/txs`
/// (arrays of transactions). Each transaction carries its inputs' prevouts and its confirmation status.
///
/// Format reference: Blockstream Esplora `API.md` (transaction format).
public struct EsploraDecoder: Sendable {
    public var network: BitcoinNetwork
    public init(network: BitcoinNetwork) { self.network = network }

    /// Decodes a whole reply into records grouped by block.
    public func records(from document: JSONValue) throws -> [BitcoinRecord] {
        let items: [JSONValue]
        switch document {
        case .array(let a): items = a
        case .object: items = [document]
        default: throw IngestError(.unexpectedShape, "an Esplora reply is a transaction object or an array of them")
        }
        var out: [BitcoinRecord] = []
        for (i, item) in items.enumerated() {
            let (tx, ref) = try transaction(item, at: "[\(i)]")
            out.append(.transactions([tx], indexes: [nil], block: ref))
        }
        return out
    }

    private func transaction(_ t: JSONValue, at: String) throws -> (BitcoinTransaction, BitcoinBlockReference?) {
        let f = BitcoinJSONFields(network: network)
        let txid = try f.hash(t["txid"], "txid", at)
        let at = "\(at) \(txid)"
        var inputs: [BitcoinInput] = []
        var coinbase: [UInt8]?
        for (n, v) in (t["vin"]?.arrayValue ?? []).enumerated() {
            let w = "\(at) vin[\(n)]"
            if v["is_coinbase"]?.boolValue == true {
                coinbase = (v["scriptsig"]?.stringValue).flatMap { Hex.decode($0) } ?? []
                continue
            }
            var prevout: BitcoinPrevout?
            if let p = v["prevout"], !p.isNull {
                let script = try f.hex(p["scriptpubkey"], "prevout.scriptpubkey", w)
                prevout = BitcoinPrevout(valueSats: try f.sats(p["value"], "prevout.value", w),
                                         address: try f.address(script: script, stated: p["scriptpubkey_address"]?.stringValue, w))
            }
            inputs.append(BitcoinInput(previousTxid: try f.hash(v["txid"], "txid", w),
                                       previousVout: UInt32(clamping: try f.int(v["vout"], "vout", w)),
                                       sequence: UInt32(clamping: v["sequence"]?.int64Value ?? 0xffff_ffff), prevout: prevout))
        }
        var outputs: [BitcoinOutput] = []
        for (n, v) in (t["vout"]?.arrayValue ?? []).enumerated() {
            let w = "\(at) vout[\(n)]"
            let script = try f.hex(v["scriptpubkey"], "scriptpubkey", w)
            outputs.append(BitcoinOutput(valueSats: try f.sats(v["value"], "value", w),
                                         address: try f.address(script: script, stated: v["scriptpubkey_address"]?.stringValue, w)))
        }
        let size = Int(try f.int(t["size"], "size", at))
        var tx = BitcoinTransaction(
            txid: txid, version: Int32(truncatingIfNeeded: try f.int(t["version"], "version", at)),
            lockTime: UInt32(clamping: try f.int(t["locktime"], "locktime", at)), size: size,
            weight: Int(t["weight"]?.int64Value ?? Int64(size * 4)), isCoinbase: coinbase != nil, coinbaseScript: coinbase,
            inputs: inputs, outputs: outputs)
        if coinbase == nil, let fee = t["fee"], !fee.isNull { tx.statedFeeSats = try f.sats(fee, "fee", at) }
        var ref: BitcoinBlockReference?
        if let status = t["status"], status["confirmed"]?.boolValue == true {
            ref = BitcoinBlockReference(hash: try f.hash(status["block_hash"], "status.block_hash", at),
                                        height: status["block_height"]?.int64Value.map { Int($0) },
                                        timestampUnix: status["block_time"]?.int64Value.map { UInt32(clamping: $0) })
        }
        return (tx, ref)
    }
}

/// Reads a file as JSON, naming the file in errors.
public enum JSONFile {
    public static func read(path: String) throws -> JSONValue {
        let bytes = try InputFile.bytes(path: path)
        do { return try JSONParser.parse(bytes) } catch let e as IngestError { throw e.at(path: path) }
    }

    /// Streams a JSON Lines file, one parsed value per non-blank line, with its 1-based line number.
    public static func forEachLine(path: String, _ body: (JSONValue, Int) throws -> Void) throws {
        let file = try FileStream(path: path)
        var buffer = [UInt8]()
        var lineNumber = 0
        var offset = 0
        func emit(_ line: ArraySlice<UInt8>) throws {
            lineNumber += 1
            defer { offset += line.count + 1 }
            guard line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0d }) else { return }
            do {
                let v = try JSONParser.parse(Array(line), lineOffset: lineNumber - 1, byteBase: offset)
                try body(v, lineNumber)
            } catch let e as IngestError {
                var located = e.at(path: path)
                if located.line == nil { located.line = lineNumber }
                throw located
            }
        }
        while try file.read(appendingTo: &buffer, upTo: 1 << 20) > 0 {
            var start = 0
            while let nl = buffer[start...].firstIndex(of: 0x0a) {
                try emit(buffer[start..<nl])
                start = nl + 1
            }
            buffer.removeFirst(start)
        }
        if !buffer.isEmpty { try emit(buffer[...]) }
    }
}
