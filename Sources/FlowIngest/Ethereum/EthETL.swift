import FlowCore
import Foundation

/// Reads blockchain-etl ethereum-etl exports — CSV, or JSON Lines (plain rows, or the `stream` command's records
/// with a `type` member) — into ``EthRecord``s. The kind of a CSV file is found from its header names (`blocks`,
/// `transactions`, `receipts`, `logs`, `token_transfers`, `traces`, `tokens`; extra columns are kept and
/// ignored). A transaction exported with its receipt (`receipt_*` columns) also yields the receipt; a block's
/// `withdrawals` (a JSON list, or the Python-style list the CSV export writes) yields withdrawal records.
///
/// Format reference: ethereum-etl `ethereumetl/jobs/exporters/*_exporter.py` and its `stream` item format.
public enum EthETLReader {
    /// Integer columns per kind (exact decimal text; empty is null).
    static let numberColumns: [EthRecord.Kind: Set<String>] = [
        .block: ["number", "difficulty", "total_difficulty", "size", "gas_limit", "gas_used", "timestamp", "transaction_count",
                 "base_fee_per_gas", "blob_gas_used", "excess_blob_gas"],
        .transaction: ["nonce", "block_number", "transaction_index", "value", "gas", "gas_price", "block_timestamp", "max_fee_per_gas",
                       "max_priority_fee_per_gas", "transaction_type", "receipt_cumulative_gas_used", "receipt_gas_used",
                       "receipt_status", "receipt_effective_gas_price"],
        .receipt: ["transaction_index", "block_number", "cumulative_gas_used", "gas_used", "status", "effective_gas_price"],
        .log: ["log_index", "transaction_index", "block_number", "block_timestamp"],
        .tokenTransfer: ["value", "log_index", "block_number", "block_timestamp"],
        .trace: ["block_number", "transaction_index", "value", "gas", "gas_used", "subtraces", "status", "block_timestamp"],
        .withdrawal: ["block_number", "index", "validator_index", "amount"],
        .token: ["decimals", "total_supply", "block_number"],
    ]
    static let listColumns: Set<String> = ["topics", "trace_address"]
    static let addressColumns: Set<String> = ["from_address", "to_address", "miner", "address", "token_address", "contract_address",
                                              "receipt_contract_address"]

    /// The kind a set of column names describes, or nil.
    public static func kind(ofColumns c: Set<String>) -> EthRecord.Kind? {
        if c.contains("trace_type") { return .trace }
        if c.contains("token_address") && c.contains("value") { return .tokenTransfer }
        if c.contains("topics") && c.contains("log_index") { return .log }
        if c.contains("cumulative_gas_used") && !c.contains("nonce") { return .receipt }
        if c.contains("hash") && c.contains("nonce") && c.contains("from_address") { return .transaction }
        if c.contains("parent_hash") && c.contains("number") { return .block }
        if c.contains("validator_index") && c.contains("amount") { return .withdrawal }
        if c.contains("symbol") && c.contains("decimals") && c.contains("address") { return .token }
        return nil
    }

    /// How a column's text becomes a value, decided once per column.
    enum ColumnType { case number, list, withdrawals, address, other }

    static func columnType(_ column: String, kind: EthRecord.Kind) -> ColumnType {
        if column == "withdrawals" && kind == .block { return .withdrawals }
        if numberColumns[kind]?.contains(column) == true { return .number }
        if listColumns.contains(column) { return .list }
        if addressColumns.contains(column) { return .address }
        return .other
    }

    /// Whether a projection keeps a column of a kind (the columns a transaction's receipt or a block's withdrawals
    /// are made of go with them).
    static func wanted(_ column: String, kind: EthRecord.Kind, _ columns: [EthRecord.Kind: Set<String>]?) -> Bool {
        guard let columns else { return true }
        if columns[kind]?.contains(column) == true { return true }
        if kind == .transaction, column.hasPrefix("receipt_") { return columns[.receipt]?.contains(String(column.dropFirst(8))) == true }
        if kind == .block, column == "withdrawals" { return columns[.withdrawal] != nil }
        return false
    }

    /// Reads a whole export file (CSV or JSON Lines, told apart by its first byte) and calls `body` with each
    /// record, in file order. Contracts and other kinds FlowTrace does not use are skipped.
    /// - Parameter columns: when given, only these columns of each kind are read (and checked); the others are
    ///   skipped unparsed. A transaction's `receipt_*` columns and a block's `withdrawals` are kept when the
    ///   receipt's or withdrawal's columns are wanted.
    /// - Throws: ``IngestError`` naming the file and line.
    public static func read(path: String, columns: [EthRecord.Kind: Set<String>]? = nil, _ body: (EthRecord) throws -> Void) throws {
        try read(path: path, columns: columns, typedRows: false, typed: { _, _ in }, body)
    }

    /// Like ``read(path:columns:_:)``; with `typedRows`, the rows of CSV files of the ``typedKinds`` go to `typed`
    /// as typed rows (with their lines) instead of to `body`.
    static func read(path: String, columns: [EthRecord.Kind: Set<String>]?, typedRows: Bool, typed: (EthRow, Int) throws -> Void,
                     _ body: (EthRecord) throws -> Void) throws {
        guard let h = FileHandle(forReadingAtPath: path) else {
            throw IngestError(FileManager.default.fileExists(atPath: path) ? .unreadable : .missingFile,
                              FileManager.default.fileExists(atPath: path) ? "cannot open the file" : "no such file", path: path)
        }
        let head = (try? h.read(upToCount: 64)) ?? Data()
        try? h.close()
        let firstByte = head.first { $0 != 0x20 && $0 != 0x0a && $0 != 0x0d && $0 != 0x09 && $0 != 0xef && $0 != 0xbb && $0 != 0xbf }
        if firstByte == nil { return }
        if firstByte == UInt8(ascii: "{") {
            try JSONFile.forEachLine(path: path) { value, line in
                for r in try records(fromJSON: value, origin: "\(path):\(line)", path: path, line: line, columns: columns) { try body(r) }
            }
        } else if firstByte == UInt8(ascii: "[") {
            throw IngestError(.unknownFormat, "a JSON array, not ethereum-etl JSON Lines (one object per line): "
                              + "is this a node reply? use eth-rpc-json", path: path, line: 1)
        } else {
            guard case (var csv, let names, let kind)? = try csvHeader(path: path) else { return }
            if typedRows, typedKinds.contains(kind) {
                var rows = TypedCSVRows(csv: csv, kind: kind, names: names, columns: columns, path: path)
                while let (row, line) = try rows.next() { try typed(row, line) }
                return
            }
            let plan = names.enumerated().filter { wanted($1, kind: kind, columns) }.map { (index: $0, name: $1, type: columnType($1, kind: kind)) }
            while let row = try csv.next() {
                let line = csv.recordLine
                guard row.count == names.count else {
                    throw IngestError(.corrupt, "\(row.count) fields where the header has \(names.count)", path: path, line: line)
                }
                var r = EthRecord(kind: kind, origin: "\(path):\(line)")
                r.fields.reserveCapacity(plan.count)
                for c in plan {
                    r[c.name] = try value(csvText: row[c.index], column: c.name, type: c.type, path: path, line: line)
                }
                for x in try expand(r, path: path, line: line) { try body(x) }
            }
        }
    }

    /// A CSV export's reader past its header, the header's column names (trimmed, lower-cased, byte-order mark
    /// removed) and the kind they describe; nil for an empty file.
    /// - Throws: ``IngestError`` for a header of no ethereum-etl export.
    static func csvHeader(path: String) throws -> (CSVReader, [String], EthRecord.Kind)? {
        var csv = try CSVReader(path: path)
        guard let header = try csv.next() else { return nil }
        let names = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: "\u{feff}", with: "") }
        guard let kind = kind(ofColumns: Set(names)) else {
            throw IngestError(.unknownFormat, "not an ethereum-etl export: the header (\(names.prefix(8).joined(separator: ","))…) "
                              + "is none of blocks, transactions, receipts, logs, token_transfers, traces, tokens", path: path, line: 1)
        }
        return (csv, names, kind)
    }

    /// The records in one JSON Lines object.
    public static func records(fromJSON v: JSONValue, origin: String, path: String, line: Int,
                               columns: [EthRecord.Kind: Set<String>]? = nil) throws -> [EthRecord] {
        guard case .object(let o) = v else { throw IngestError(.unexpectedShape, "expected one JSON object per line", path: path, line: line) }
        let kind: EthRecord.Kind
        if let t = o["type"]?.stringValue {
            if let k = EthRecord.Kind(rawValue: t) { kind = k } else { return [] }  // e.g. "contract"
        } else if let k = EthETLReader.kind(ofColumns: Set(o.keys)) {
            kind = k
        } else {
            throw IngestError(.unknownFormat, "an object with none of ethereum-etl's record shapes (members: "
                              + "\(o.keys.sorted().prefix(8).joined(separator: ", ")))", path: path, line: line)
        }
        var r = EthRecord(kind: kind, origin: origin)
        for (name, x) in o where name != "type" && wanted(name, kind: kind, columns) {
            r[name] = try value(json: x, column: name, kind: kind, path: path, line: line)
        }
        return try expand(r, path: path, line: line)
    }

    static func fail(_ column: String, _ message: String, _ path: String, _ line: Int) -> IngestError {
        IngestError(.corrupt, "column \(column): \(message)", path: path, line: line)
    }

    static func value(csvText raw: String, column: String, kind: EthRecord.Kind, path: String, line: Int) throws -> EthRecord.Value {
        try value(csvText: raw, column: column, type: columnType(column, kind: kind), path: path, line: line)
    }

    static func value(csvText raw: String, column: String, type: ColumnType, path: String, line: Int) throws -> EthRecord.Value {
        let text = raw.asciiTrimmed
        if text.isEmpty { return type == .list || column == "withdrawals" ? .list([]) : .null }
        switch type {
        case .withdrawals:
            // The CSV export joins the withdrawals' JSON with commas; JSON exports hold a Python-style list literal.
            var json = text.replacingOccurrences(of: "'", with: "\"")
            if !json.hasPrefix("[") { json = "[" + json + "]" }
            guard let list = try? JSONParser.parse(Array(json.utf8)) else { throw fail(column, "not a list of withdrawals", path, line) }
            return .list(try withdrawals(list, path: path, line: line).map(EthRecord.withdrawalText))
        case .number:
            // Canonical digits (no sign, no leading zero, short enough to be below 2^256) are kept as they are.
            let u = text.utf8
            if u.count < 78, u.first != UInt8(ascii: "0") || u.count == 1, u.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }) {
                return .number(text)
            }
            guard let n = UInt256(decimal: text) else { throw fail(column, "'\(text.prefix(70))' is not a non-negative integer below 2^256", path, line) }
            return .number(n.description)
        case .list:
            return .list(text.split(separator: ",").map { String($0).asciiTrimmed })
        case .address, .other:
            if text == "True" || text == "False" { return .bool(text == "True") }
            if type == .address {
                guard let a = EthAddress.normalized(text) else { throw fail(column, "'\(text.prefix(70))' is not an Ethereum address", path, line) }
                return .text(a)
            }
            return .text(text.hasPrefix("0x") ? text.lowercased() : text)
        }
    }

    static func value(json: JSONValue, column: String, kind: EthRecord.Kind, path: String, line: Int) throws -> EthRecord.Value {
        switch json {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number(let n):
            guard let v = UInt256(decimal: n) else { throw fail(column, "\(n.prefix(70)) is not a non-negative integer below 2^256", path, line) }
            return .number(v.description)
        case .string(let s):
            return try value(csvText: s, column: column, kind: kind, path: path, line: line)
        case .array(let items):
            if column == "withdrawals" { return .list(try withdrawals(json, path: path, line: line).map(EthRecord.withdrawalText)) }
            return .list(items.map { $0.stringValue ?? $0.numberText ?? $0.jsonText })
        case .object:
            return .text(json.jsonText)
        }
    }

    /// Withdrawal records from a JSON list of `{index, validator_index, address, amount}` objects.
    static func withdrawals(_ list: JSONValue, path: String, line: Int) throws -> [EthRecord] {
        guard let items = list.arrayValue else { throw fail("withdrawals", "not a list of withdrawals", path, line) }
        return try items.enumerated().map { i, item in
            var x = EthRecord(kind: .withdrawal, origin: "\(path):\(line)")
            for k in ["index", "validator_index", "address", "amount"] {
                guard let v = item[k], !v.isNull else { throw fail("withdrawals", "withdrawal \(i) lacks \(k)", path, line) }
                x[k] = try value(json: v, column: k, kind: .withdrawal, path: path, line: line)
            }
            return x
        }
    }

    /// The extra records one export row implies: a transaction's embedded receipt, a block's withdrawals.
    static func expand(_ r: EthRecord, path: String, line: Int) throws -> [EthRecord] {
        var out = [r]
        if r.kind == .transaction, r.fields.keys.contains(where: { $0.hasPrefix("receipt_") }),
           r["receipt_gas_used"] != nil, r["receipt_gas_used"] != .null {
            var x = EthRecord(kind: .receipt, origin: r.origin)
            x["transaction_hash"] = r["hash"] ?? .null
            x["transaction_index"] = r["transaction_index"] ?? .null
            x["block_hash"] = r["block_hash"] ?? .null
            x["block_number"] = r["block_number"] ?? .null
            x["from_address"] = r["from_address"] ?? .null
            for k in ["cumulative_gas_used", "gas_used", "contract_address", "root", "status", "effective_gas_price"] {
                x[k] = r["receipt_" + k] ?? .null
            }
            out.append(x)
        }
        if r.kind == .block, let list = r.list("withdrawals"), !list.isEmpty {
            let parsed = try withdrawals(.array(list.compactMap { try? JSONParser.parse(Array($0.utf8)) }), path: path, line: line)
            for (i, var x) in parsed.enumerated() {
                x.origin = "\(r.origin) withdrawals[\(i)]"
                x["block_number"] = r["number"] ?? .null
                out.append(x)
            }
        }
        return out
    }
}
