import FlowCore
import Foundation

extension EthETLReader {
    /// The kinds whose CSV rows are read straight into typed fields (the bulk of an export).
    static let typedKinds: Set<EthRecord.Kind> = [.transaction, .receipt, .tokenTransfer]

    /// Reads an export file into rows for the writer on a second thread, handing `body` batches of up to
    /// `chunkSize` rows in file order while the next batch is read. CSV transactions, receipts and token transfers
    /// become typed rows, parsed from the bytes without a string per field; everything else (other kinds, JSON
    /// Lines) becomes record rows, as ``read(path:columns:_:)`` gives them. Both hold the same values: a field in
    /// anything but its plain form (canonical digits, lower-case `0x` hex) is converted by the same code as a
    /// record's. An input error reaches the caller after every row before it.
    /// - Parameter columns: as for ``read(path:columns:_:)``; the wanted columns of a typed row are checked too.
    public static func readRows(path: String, columns: [EthRecord.Kind: Set<String>]? = nil, chunkSize: Int = 4096,
                                _ body: (EthRowBatch) throws -> Void) throws {
        try Pipeline.produceOnThread({ push in
            var batch = EthRowBatch(path: path, capacity: chunkSize)
            func add(_ row: EthRow, _ line: Int) throws {
                batch.append(row, line: line)
                if batch.count >= chunkSize {
                    try push(batch)
                    batch = EthRowBatch(path: path, capacity: chunkSize)
                }
            }
            try read(path: path, columns: columns, typedRows: true, typed: add) { try add(.record($0), 0) }
            if !batch.isEmpty { try push(batch) }
        }, consume: body)
    }

    /// Reads the rows of a CSV export of a typed kind, calling `body` with each row and its line.
    static func readTyped(_ csv: inout CSVReader, kind: EthRecord.Kind, names: [String], columns: [EthRecord.Kind: Set<String>]?,
                          path: String, _ body: (EthRow, Int) throws -> Void) throws {
        struct Column { let index: Int; let name: String; let type: ColumnType }
        var used: Set<Int> = []
        func column(_ name: String) -> Column? {
            guard let i = names.firstIndex(of: name), wanted(name, kind: kind, columns) else { return nil }
            used.insert(i)
            return Column(index: i, name: name, type: columnType(name, kind: kind))
        }
        let blockNumber = column("block_number"), blockTimestamp = column("block_timestamp"), from = column("from_address"),
            to = column("to_address"), amount = column("value"), transactionIndex = column("transaction_index")
        let hash = column("hash"), blockHash = column("block_hash"), gas = column("gas"), gasPrice = column("gas_price")
        let receiptStatus = column("receipt_status"), receiptGasUsed = column("receipt_gas_used"),
            receiptPrice = column("receipt_effective_gas_price"), receiptContract = column("receipt_contract_address")
        let transactionHash = column("transaction_hash"), status = column("status"), gasUsed = column("gas_used"),
            effectivePrice = column("effective_gas_price"), contract = column("contract_address")
        let logIndex = column("log_index"), token = column("token_address")
        // Wanted columns the typed fields do not hold are still checked, as a record's would be.
        let others = names.enumerated().filter { !used.contains($0.offset) && wanted($0.element, kind: kind, columns) }
            .map { Column(index: $0.offset, name: $0.element, type: columnType($0.element, kind: kind)) }
        let hasReceipt = names.contains { $0.hasPrefix("receipt_") && wanted($0, kind: kind, columns) }

        while try csv.nextRecord() {
            let line = csv.recordLine
            try csv.withFields { f in
                guard f.count == names.count else {
                    throw IngestError(.corrupt, "\(f.count) fields where the header has \(names.count)", path: path, line: line)
                }
                func slow(_ c: Column) throws -> EthRecord.Value {
                    try value(csvText: String(decoding: f[c.index], as: UTF8.self), column: c.name, type: c.type, path: path, line: line)
                }
                func int(_ c: Column?) throws -> Int64? {
                    guard let c else { return nil }
                    if c.type == .number, let v = plainInt(f[c.index]) { return v }
                    return try slow(c).intValue
                }
                func uint(_ c: Column?) throws -> UInt256? {
                    guard let c else { return nil }
                    let b = f[c.index]
                    if c.type == .number, isCanonicalDigits(b) { return UInt256(decimalDigits: b) }
                    return try slow(c).uintValue
                }
                func text(_ c: Column?) throws -> String? {
                    guard let c else { return nil }
                    let b = f[c.index]
                    if c.type == .address ? isPlainAddress(b) : (c.type == .other && isPlainHex(b)) { return String(decoding: b, as: UTF8.self) }
                    return try slow(c).textValue
                }
                func isNull(_ c: Column?) -> Bool {
                    guard let c else { return true }
                    return f[c.index].allSatisfy { $0 == 0x20 || $0 == 0x09 }  // null: empty once trimmed
                }
                for c in others { _ = try slow(c) }
                switch kind {
                case .transaction:
                    let t = EthTransactionFields(block: try int(blockNumber), blockTimestamp: try int(blockTimestamp), blockHash: try text(blockHash),
                                                 hash: try text(hash), index: try int(transactionIndex), from: try text(from), to: try text(to),
                                                 value: try uint(amount), gas: try int(gas), gasPrice: try uint(gasPrice))
                    // A transaction exported with its receipt (see `expand`): both, written together.
                    if hasReceipt, !isNull(receiptGasUsed) {
                        let r = EthReceiptFields(block: t.block, transactionHash: t.hash, index: t.index, from: t.from, status: try int(receiptStatus),
                                                 gasUsed: try int(receiptGasUsed), effectiveGasPrice: try uint(receiptPrice),
                                                 contractAddress: try text(receiptContract))
                        try body(.transactionWithReceipt(t, r), line)
                    } else {
                        try body(.transaction(t), line)
                    }
                case .receipt:
                    try body(.receipt(EthReceiptFields(block: try int(blockNumber), transactionHash: try text(transactionHash),
                                                       index: try int(transactionIndex), from: try text(from), status: try int(status),
                                                       gasUsed: try int(gasUsed), effectiveGasPrice: try uint(effectivePrice),
                                                       contractAddress: try text(contract))), line)
                default:
                    try body(.tokenTransfer(EthTokenTransferFields(block: try int(blockNumber), blockTimestamp: try int(blockTimestamp),
                                                                   transactionHash: try text(transactionHash), logIndex: try int(logIndex),
                                                                   token: try text(token), from: try text(from), to: try text(to),
                                                                   value: try uint(amount))), line)
                }
            }
        }
    }

    /// Canonical decimal digits (no sign, no leading zero, fewer than 78): what a record keeps as it is.
    @inline(__always)
    static func isCanonicalDigits(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = b.first, b.count < 78, first != UInt8(ascii: "0") || b.count == 1 else { return false }
        for c in b where c &- UInt8(ascii: "0") >= 10 { return false }
        return true
    }

    /// Canonical digits of at most 18 digits, as an integer.
    @inline(__always)
    static func plainInt(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard b.count <= 18, isCanonicalDigits(b) else { return nil }
        var v: Int64 = 0
        for c in b { v = v * 10 + Int64(c &- UInt8(ascii: "0")) }
        return v
    }

    /// `0x` and 40 lower-case hex digits: an address as it is stored.
    @inline(__always)
    static func isPlainAddress(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        b.count == 42 && isPlainHex(b)
    }

    /// `0x` and lower-case hex digits: text a record keeps as it is.
    @inline(__always)
    static func isPlainHex(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard b.count >= 2, b[0] == UInt8(ascii: "0"), b[1] == UInt8(ascii: "x") else { return false }
        for c in b[2...] where !(c &- UInt8(ascii: "0") < 10 || c &- UInt8(ascii: "a") < 6) { return false }
        return true
    }
}
