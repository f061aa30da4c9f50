import FlowCore
import Foundation

/// Reads what Etherscan (and its clones: Arbiscan, BscScan, Snowtrace…) gives an investigator about an address:
///
/// - API replies `{"status", "message", "result": [...]}` of `account` `txlist` (transactions, with their outcome:
///   positioned in their block, so they merge with node and ETL data), `txlistinternal`, `tokentx` (also the
///   token's symbol and decimals) and `tokennfttx`;
/// - the CSV exports of its web pages, both header generations (`"Txhash"` and `"Transaction Hash"`): normal
///   transactions, internal transactions, ERC-20 transfers of an address page, and a token contract page's
///   transfers (whose token the file does not name: `token`). These carry amounts in decimal ETH or token units
///   ("display precision"), which the store converts to base units exactly with the asset's decimals.
///
/// Movements without a position in their block (internal and token transfers; CSV transactions) become
/// ``EthRecord/Kind/explorerTransfer`` records. Errors name the file and the JSON path or line.
public enum EtherscanReader {
    /// Reads one file; `token` names the contract of a token-contract-page CSV export.
    public static func read(path: String, token: String? = nil) throws -> [EthRecord] {
        let bytes = try InputFile.bytes(path: path)
        let first = bytes.first { $0 != 0x20 && $0 != 0x0a && $0 != 0x0d && $0 != 0x09 && $0 != 0xef && $0 != 0xbb && $0 != 0xbf }
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
            let json: JSONValue
            do { json = try JSONParser.parse(bytes) } catch let e as IngestError { throw e.at(path: path) }
            return try apiRecords(json, path: path)
        }
        return try csvRecords(path: path, token: token)
    }

    // MARK: API replies

    static func apiRecords(_ json: JSONValue, path: String) throws -> [EthRecord] {
        func fail(_ at: String, _ message: String) -> IngestError { IngestError(.unexpectedShape, "\(at): \(message)", path: path) }
        guard case .object = json, let status = json["status"]?.stringValue else {
            throw fail("the reply", "not an Etherscan API reply (an object with status, message and result)")
        }
        let message = json["message"]?.stringValue ?? ""
        guard let items = json["result"]?.arrayValue else {
            let detail = json["result"]?.stringValue ?? json["result"]?.jsonText ?? "no result"
            throw IngestError(.rpcFailure, "the reply is an error: \(message): \(detail)", path: path)
        }
        if status != "1" && !items.isEmpty { throw IngestError(.rpcFailure, "the reply has status \(status): \(message)", path: path) }
        var out: [EthRecord] = []
        var occurrences: [String: Int] = [:]
        var tokensSeen: Set<String> = []
        for (i, item) in items.enumerated() {
            let at = "result[\(i)]"
            guard case .object(let o) = item else { throw fail(at, "not an object") }
            func string(_ key: String) throws -> String {
                guard let v = o[key] else { throw fail("\(at).\(key)", "missing") }
                guard let s = v.stringValue else { throw fail("\(at).\(key)", "expected a string") }
                return s
            }
            func number(_ key: String) throws -> String {
                let s = try string(key)
                guard UInt256(decimal: s) != nil else { throw fail("\(at).\(key)", "'\(s.prefix(70))' is not a non-negative integer") }
                return s
            }
            func address(_ key: String, optional: Bool = false) throws -> String? {
                let s = try string(key)
                if s.isEmpty && optional { return nil }
                guard let a = EthAddress.normalized(s) else {
                    throw fail("\(at).\(key)", "'\(s.prefix(70))' is not an Ethereum address (0x and 40 hex digits, EIP-55 checksum when mixed-case)")
                }
                return a
            }
            func hash(_ key: String) throws -> String {
                let s = try string(key)
                guard s.utf8.count == 66, s.hasPrefix("0x"), s.utf8.dropFirst(2).allSatisfy(isHexDigit) else {
                    throw fail("\(at).\(key)", "'\(s.prefix(70))' is not a 32-byte hash")
                }
                return s.lowercased()
            }
            let origin = "\(path) \(at)"
            if o["tokenID"] != nil || o["tokenSymbol"] != nil {
                // tokentx / tokennfttx
                let contract = try address("contractAddress")!
                let nft = o["tokenID"] != nil
                var r = EthRecord(kind: .explorerTransfer, origin: origin)
                r["block_number"] = .number(try number("blockNumber")); r["block_timestamp"] = .number(try number("timeStamp"))
                let tx = try hash("hash")
                r["transaction_hash"] = .text(tx); r["movement"] = .text(nft ? "nft" : "token"); r["token_address"] = .text(contract)
                let from = try address("from")!, to = try address("to")!
                r["from_address"] = .text(from); r["to_address"] = .text(to)
                let value = try number(nft ? "tokenID" : "value")
                r["value"] = .number(value); r["status"] = .number("1"); r["precision"] = .text("exact")
                let content = "\(tx)|\(contract)|\(from)|\(to)|\(value)|\(nft)"
                r["occurrence"] = .number(String(occurrences[content, default: 0])); occurrences[content, default: 0] += 1
                out.append(r)
                if !nft, !tokensSeen.contains(contract) {
                    tokensSeen.insert(contract)
                    var t = EthRecord(kind: .token, origin: origin)
                    t["address"] = .text(contract)
                    if let symbol = o["tokenSymbol"]?.stringValue { t["symbol"] = .text(symbol) }
                    if let name = o["tokenName"]?.stringValue { t["name"] = .text(name) }
                    if let d = o["tokenDecimal"]?.stringValue, !d.isEmpty {
                        guard Int(d) != nil else { throw fail("\(at).tokenDecimal", "'\(d.prefix(20))' is not an integer") }
                        t["decimals"] = .number(d)
                    }
                    out.append(t)
                }
            } else if o["nonce"] != nil && o["transactionIndex"] != nil {
                // txlist: a positioned transaction and its outcome.
                let tx = try hash("hash"), block = try number("blockNumber"), index = try number("transactionIndex")
                let to = try address("to", optional: true), created = try address("contractAddress", optional: true)
                var t = EthRecord(kind: .transaction, origin: origin)
                t["hash"] = .text(tx); t["block_number"] = .number(block); t["transaction_index"] = .number(index)
                t["block_timestamp"] = .number(try number("timeStamp"))
                if let bh = o["blockHash"]?.stringValue, !bh.isEmpty { t["block_hash"] = .text(try hash("blockHash")) }
                t["from_address"] = .text(try address("from")!)
                if let to { t["to_address"] = .text(to) }
                t["value"] = .number(try number("value")); t["gas"] = .number(try number("gas")); t["gas_price"] = .number(try number("gasPrice"))
                out.append(t)
                var r = EthRecord(kind: .receipt, origin: origin)
                r["transaction_hash"] = .text(tx); r["block_number"] = .number(block); r["transaction_index"] = .number(index)
                r["gas_used"] = .number(try number("gasUsed"))
                r["effective_gas_price"] = .number(try number("gasPrice"))
                if let created { r["contract_address"] = .text(created) }
                // txreceipt_status is empty before Byzantium; isError covers every era.
                let receiptStatus = o["txreceipt_status"]?.stringValue ?? ""
                let isError = try string("isError")
                guard ["0", "1"].contains(isError), ["", "0", "1"].contains(receiptStatus) else {
                    throw fail(at, "isError '\(isError)' / txreceipt_status '\(receiptStatus)' are not 0 or 1")
                }
                r["status"] = .number(receiptStatus.isEmpty ? (isError == "1" ? "0" : "1") : receiptStatus)
                out.append(r)
            } else if o["isError"] != nil && o["type"] != nil {
                // txlistinternal
                var r = EthRecord(kind: .explorerTransfer, origin: origin)
                let tx = try hash("hash")
                r["block_number"] = .number(try number("blockNumber")); r["block_timestamp"] = .number(try number("timeStamp"))
                r["transaction_hash"] = .text(tx); r["movement"] = .text("internal")
                let from = try address("from")!
                guard let to = try address("to", optional: true) ?? address("contractAddress", optional: true) else {
                    throw fail(at, "neither to nor contractAddress")
                }
                r["from_address"] = .text(from); r["to_address"] = .text(to)
                let value = try number("value")
                r["value"] = .number(value)
                let isError = try string("isError")
                guard ["0", "1"].contains(isError) else { throw fail("\(at).isError", "'\(isError)' is not 0 or 1") }
                r["status"] = .number(isError == "1" ? "0" : "1"); r["precision"] = .text("exact")
                let content = "\(tx)|\(from)|\(to)|\(value)"
                r["occurrence"] = .number(String(occurrences[content, default: 0])); occurrences[content, default: 0] += 1
                out.append(r)
            } else {
                throw fail(at, "not a txlist, txlistinternal, tokentx or tokennfttx item (members: \(o.keys.sorted().prefix(8).joined(separator: ", ")))")
            }
        }
        return out
    }

    // MARK: Web CSV exports

    static func csvRecords(path: String, token: String?) throws -> [EthRecord] {
        var csv = try CSVReader(path: path)
        guard let header = try csv.next() else { return [] }
        let names = header.map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\u{feff}", with: "").lowercased() }
        func column(_ candidates: String...) -> Int? {
            for c in candidates { if let i = names.firstIndex(of: c.lowercased()) { return i } }
            return nil
        }
        func fail(_ line: Int, _ message: String) -> IngestError { IngestError(.unexpectedShape, message, path: path, line: line) }
        guard let txColumn = column("Transaction Hash", "Txhash"), let blockColumn = column("Blockno"),
              let timeColumn = column("UnixTimestamp") else {
            throw IngestError(.unknownFormat, "not an Etherscan CSV export: the header (\(header.prefix(6).joined(separator: ","))…) lacks "
                              + "Transaction Hash (or Txhash), Blockno and UnixTimestamp", path: path, line: 1)
        }
        enum Kind { case normal, internalTx, tokens, tokenPage }
        let kind: Kind
        let fromColumn: Int, toColumn: Int
        if let from = column("From"), let to = column("TxTo"), column("ParentTxFrom") != nil {
            kind = .internalTx; fromColumn = from; toColumn = to
        } else if let from = column("From"), let to = column("To"), column("TokenValue") != nil {
            kind = .tokens; fromColumn = from; toColumn = to
        } else if let from = column("From"), let to = column("To"), column("Quantity") != nil {
            kind = .tokenPage; fromColumn = from; toColumn = to
            guard let token, EthAddress.normalized(token) != nil else {
                throw IngestError(.unknownFormat, "a token contract page export does not name its token: give --token 0x…", path: path, line: 1)
            }
        } else if let from = column("From"), let to = column("To"), column("Value_IN(ETH)") != nil {
            kind = .normal; fromColumn = from; toColumn = to
        } else {
            throw IngestError(.unknownFormat, "an Etherscan CSV export of an unknown page: the header has none of Value_IN(ETH), TokenValue, "
                              + "Quantity, ParentTxFrom", path: path, line: 1)
        }
        let contractColumn = column("ContractAddress")
        let valueIn = column("Value_IN(ETH)"), valueOut = column("Value_OUT(ETH)")
        let feeColumn = column("TxnFee(ETH)"), statusColumn = column("Status"), errColumn = column("ErrCode")
        let tokenValue = column("TokenValue", "Quantity"), symbolColumn = column("TokenSymbol"), nameColumn = column("TokenName")
        var out: [EthRecord] = []
        var occurrences: [String: Int] = [:]
        var tokensSeen: Set<String> = []
        while let row = try csv.next() {
            let line = csv.recordLine
            if row.count == 1 && row[0].isEmpty { continue }
            guard row.count >= names.count else { throw fail(line, "\(row.count) fields where the header has \(names.count)") }
            func field(_ i: Int?) -> String { i.map { row[$0].trimmingCharacters(in: .whitespaces) } ?? "" }
            func address(_ i: Int, _ name: String) throws -> String? {
                let s = field(i)
                if s.isEmpty { return nil }
                guard let a = EthAddress.normalized(s) else { throw fail(line, "\(name) '\(s.prefix(70))' is not an Ethereum address") }
                return a
            }
            let tx = field(txColumn).lowercased()
            guard tx.utf8.count == 66, tx.hasPrefix("0x"), tx.utf8.dropFirst(2).allSatisfy(isHexDigit) else {
                throw fail(line, "transaction hash '\(tx.prefix(70))' is not a 32-byte hash")
            }
            guard let block = UInt64(field(blockColumn)) else { throw fail(line, "Blockno '\(field(blockColumn))' is not a block number") }
            guard let time = UInt64(field(timeColumn)) else { throw fail(line, "UnixTimestamp '\(field(timeColumn))' is not a Unix time") }
            guard let from = try address(fromColumn, "From") else { throw fail(line, "no From address") }
            var to = try address(toColumn, "To")
            if to == nil, let c = contractColumn { to = try address(c, "ContractAddress") }
            guard let to else { throw fail(line, "neither To nor ContractAddress") }
            /// A displayed amount: thousands separators dropped, digits and one point only.
            func display(_ i: Int?, _ name: String) throws -> String? {
                let s = field(i).replacingOccurrences(of: ",", with: "")
                if s.isEmpty { return nil }
                guard s.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), s.filter({ $0 == "." }).count <= 1 else {
                    throw fail(line, "\(name) '\(s.prefix(40))' is not a decimal amount")
                }
                return s
            }
            var r = EthRecord(kind: .explorerTransfer, origin: "\(path):\(line)")
            r["block_number"] = .number(String(block)); r["block_timestamp"] = .number(String(time)); r["transaction_hash"] = .text(tx)
            r["from_address"] = .text(from); r["to_address"] = .text(to); r["precision"] = .text("display")
            let status = field(statusColumn).lowercased(), err = field(errColumn)
            let failed = !err.isEmpty || status.contains("error") || status.contains("fail")
            r["status"] = .number(failed ? "0" : "1")
            var value: String
            switch kind {
            case .normal, .internalTx:
                r["movement"] = .text(kind == .normal ? "native" : "internal")
                let inValue = try display(valueIn, "Value_IN(ETH)"), outValue = try display(valueOut, "Value_OUT(ETH)")
                // One of the two is the movement (the other is zero), seen from the exported address.
                value = [inValue, outValue].compactMap { $0 }.first { $0.contains { $0 != "0" && $0 != "." } } ?? "0"
                if kind == .normal, let fee = try display(feeColumn, "TxnFee(ETH)") { r["fee_display"] = .text(fee) }
            case .tokens, .tokenPage:
                r["movement"] = .text("token")
                let contract = kind == .tokenPage ? EthAddress.normalized(token!)! : try contractColumn.flatMap { try address($0, "ContractAddress") }
                guard let contract else { throw fail(line, "no ContractAddress") }
                r["token_address"] = .text(contract)
                guard let v = try display(tokenValue, kind == .tokens ? "TokenValue" : "Quantity") else { throw fail(line, "no token amount") }
                value = v
                if kind == .tokens, !tokensSeen.contains(contract) {
                    tokensSeen.insert(contract)
                    var t = EthRecord(kind: .token, origin: "\(path):\(line)")
                    t["address"] = .text(contract)
                    if !field(symbolColumn).isEmpty { t["symbol"] = .text(field(symbolColumn)) }
                    if !field(nameColumn).isEmpty { t["name"] = .text(field(nameColumn)) }
                    out.append(t)
                }
            }
            r["value_display"] = .text(value)
            let content = "\(tx)|\(r.text("movement")!)|\(r.text("token_address") ?? "")|\(from)|\(to)|\(value)"
            r["occurrence"] = .number(String(occurrences[content, default: 0])); occurrences[content, default: 0] += 1
            out.append(r)
        }
        return out
    }
}
