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
    /// record's. A token transfer whose every field is in its plain form, read with only the columns the store
    /// keeps, is packed (``EthRow/packedTokenTransfer(_:)``: no string at all). An input error reaches the caller
    /// after every row before it.
    /// - Parameter columns: as for ``read(path:columns:_:)``; the wanted columns of a typed row are checked too.
    public static func readRows(path: String, columns: [EthRecord.Kind: Set<String>]? = nil, chunkSize: Int = 4096,
                                _ body: (EthRowBatch) throws -> Void) throws {
        try Pipeline.produceOnThread({ push in
            var batches = Batcher(paths: [path], size: chunkSize)
            func add(_ row: EthRow, _ line: Int) throws { try batches.add(row, line, file: 0, push) }
            try read(path: path, columns: columns, typedRows: true, typed: add) { try add(.record($0), 0) }
            try batches.flush(push)
        }, consume: body)
    }

    /// Collects rows into batches of `size`, handing each full one to `push`.
    struct Batcher {
        let paths: [String], size: Int
        private var batch: EthRowBatch

        init(paths: [String], size: Int) {
            self.paths = paths; self.size = size
            batch = EthRowBatch(paths: paths, capacity: size)
        }

        mutating func add(_ row: EthRow, _ line: Int, file: Int, _ push: (EthRowBatch) throws -> Void) throws {
            batch.append(row, line: line, file: file)
            if batch.count >= size { try flush(push) }
        }

        /// Hands on the rows collected, if any.
        mutating func flush(_ push: (EthRowBatch) throws -> Void) throws {
            guard !batch.isEmpty else { return }
            try push(batch)
            batch = EthRowBatch(paths: paths, capacity: size)
        }
    }

    /// Whether a file is a CSV export of transactions without their receipts (`receipt_*` columns), or of receipts:
    /// the two a run can read together (``readRows(transactions:receipts:columns:chunkSize:_:)``). Nil for any other
    /// file, and for one that cannot be read (reading it alone then reports why).
    public static func pairableKind(path: String) -> EthRecord.Kind? {
        guard let head = FileHandle(forReadingAtPath: path).flatMap({ h in defer { try? h.close() }; return try? h.read(upToCount: 1) }),
              let first = head.first, first != UInt8(ascii: "{"), first != UInt8(ascii: "["),
              let (_, names, kind) = try? csvHeader(path: path) else { return nil }
        if kind == .receipt { return kind }
        return kind == .transaction && !names.contains(where: { $0.hasPrefix("receipt_") }) ? kind : nil
    }

    /// Reads a CSV export of transactions and one of receipts together, on a second thread, like
    /// ``readRows(path:columns:chunkSize:_:)``: a transaction whose receipt comes next in the receipts file (same
    /// position, same hash; ethereum-etl writes both in block order) becomes one row with it, written once; every
    /// other receipt is a row of its own, in order. Rows name their own file and line. A pair whose every field is in
    /// its plain form is packed (``EthRow/packedTransaction(_:)``).
    public static func readRows(transactions: String, receipts: String, columns: [EthRecord.Kind: Set<String>]? = nil,
                                chunkSize: Int = 4096, _ body: (EthRowBatch) throws -> Void) throws {
        try Pipeline.produceOnThread({ push in
            var batches = Batcher(paths: [transactions, receipts], size: chunkSize)
            func add(_ row: EthRow, _ line: Int, _ file: Int) throws { try batches.add(row, line, file: file, push) }
            func open(_ path: String, _ expected: EthRecord.Kind) throws -> TypedCSVRows? {
                guard let (csv, names, kind) = try csvHeader(path: path) else { return nil }
                guard kind == expected else {
                    throw IngestError(.unexpectedShape, "expected an ethereum-etl \(expected.rawValue)s export, found \(kind.rawValue)s",
                                      path: path, line: 1)
                }
                return TypedCSVRows(csv: csv, kind: kind, names: names, columns: columns, path: path)
            }
            var txs = try open(transactions, .transaction), rxs = try open(receipts, .receipt)
            // Packed rows are read in place into `t` and `r` (large values: copying them per row cost as much as reading
            // their fields); any other row is read as a `Read`.
            var t = EthPackedTransaction.blank, r = PackedReceipt.blank
            // The next receipt, read when a transaction needs it: a receipt naming the hash of the transaction just
            // read (as a string) shares that string instead of making its own.
            var next: Pending = .unread
            func loadReceipt(after hash: String?) throws {
                guard case .unread = next else { return }
                guard rxs != nil else { next = .end; return }
                switch try rxs!.nextInto(&r, sharing: hash, pack: { $0.packReceipt($1, into: &$2) }) {
                case nil: next = .end
                case .packed?: next = .packed(line: rxs!.line)
                case .row(let row)?: next = .read(.row(row), line: rxs!.line)
                }
            }
            /// The pending receipt's position, nil when there is none (or it is not a receipt).
            func receiptPosition() -> (Int64, Int64)? {
                switch next {
                case .packed: return (r.block, r.index)
                case .read(let read, _): return read.position
                case .unread, .end: return nil
                }
            }
            /// Hands on the pending receipt as a row of its own.
            func addReceipt() throws {
                switch next {
                case .packed(let line): try add(.receipt(r.fields), line, 1)
                case .read(let read, let line): try add(read.row, line, 1)
                case .unread, .end: return
                }
                next = .unread
            }
            while txs != nil {
                guard let got = try txs!.nextInto(&t, sharing: nil, pack: { $0.packTransaction($1, into: &$2) }) else { break }
                let line = txs!.line
                let tx: TypedCSVRows.Read
                switch got {
                case .packed:
                    // Receipts before this transaction's position go first, on their own.
                    try loadReceipt(after: nil)
                    while let rp = receiptPosition(), rp < (t.block, t.index) { try addReceipt(); try loadReceipt(after: nil) }
                    if case .packed = next, r.block == t.block, r.index == t.index, r.hash == t.hash {
                        t.receiptFrom = r.from; t.status = r.status; t.gasUsed = r.gasUsed; t.effectiveGasPrice = r.effectiveGasPrice
                        t.contractAddress = r.contractAddress
                        try add(.packedTransaction(t), line, 0)
                        next = .unread
                        continue
                    }
                    tx = .transaction(t)
                case .row(let row):
                    tx = .row(row)
                }
                guard let position = tx.position, tx.hasHash else { try add(tx.row, line, 0); continue }
                let hash = tx.hashText
                try loadReceipt(after: hash)
                while let rp = receiptPosition(), rp < position { try addReceipt(); try loadReceipt(after: hash) }
                let pending: TypedCSVRows.Read?
                switch next {
                case .packed: pending = .receipt(r)
                case .read(let read, _): pending = read
                case .unread, .end: pending = nil
                }
                if let pending, let both = tx.paired(with: pending) {
                    try add(both, line, 0)
                    next = .unread
                } else {
                    try add(tx.row, line, 0)
                }
            }
            try loadReceipt(after: nil)
            while next.isHeld {
                try addReceipt()
                try loadReceipt(after: nil)
            }
            try batches.flush(push)
        }, consume: body)
    }

    /// The rows of a CSV export of a typed kind, read one at a time (past the header).
    struct TypedCSVRows {
        private var csv: CSVReader
        private let layout: TypedCSVLayout
        /// The block hash of the last transaction read: most rows repeat it, and share its string.
        private var lastBlockHash: String?

        init(csv: CSVReader, kind: EthRecord.Kind, names: [String], columns: [EthRecord.Kind: Set<String>]?, path: String) {
            self.csv = csv
            layout = TypedCSVLayout(kind: kind, names: names, columns: columns, path: path)
        }

        /// The next row and the line it starts on, or nil at the end of the file.
        /// - Parameter knownHash: a transaction hash the row's own, when equal, is given as (sharing its storage).
        mutating func next(sharing knownHash: String? = nil) throws -> (row: EthRow, line: Int)? {
            guard try csv.nextRecord() else { return nil }
            let line = csv.recordLine, layout = self.layout, lastBlockHash = self.lastBlockHash
            if layout.kind == .tokenTransfer, let t = csv.withFields({ layout.packedTokenTransfer($0) }) { return (.packedTokenTransfer(t), line) }
            let row = try csv.withFields { f in try layout.row(f, line: line, sharing: knownHash, lastBlockHash: lastBlockHash) }
            if case .transaction(let t) = row { self.lastBlockHash = t.blockHash }
            return (row, line)
        }

        /// A transaction or receipt as read for pairing: packed when every field is in its plain form, else a row.
        enum Read {
            case transaction(EthPackedTransaction)
            case receipt(PackedReceipt)
            case row(EthRow)

            /// The row it is on its own.
            var row: EthRow {
                switch self {
                case .transaction(let t): return .transaction(t.transaction)
                case .receipt(let r): return .receipt(r.fields)
                case .row(let row): return row
                }
            }

            /// Its (block, index), absent parts lowest; nil for anything but a transaction or receipt.
            var position: (Int64, Int64)? {
                switch self {
                case .transaction(let t): return (t.block, t.index)
                case .receipt(let r): return (r.block, r.index)
                case .row(.transaction(let t)): return (t.block ?? .min, t.index ?? .min)
                case .row(.receipt(let r)): return (r.block ?? .min, r.index ?? .min)
                case .row: return nil
                }
            }

            var hasHash: Bool {
                switch self {
                case .transaction, .receipt: return true
                case .row(.transaction(let t)): return t.hash != nil
                case .row(.receipt(let r)): return r.transactionHash != nil
                case .row: return false
                }
            }

            /// The hash as a string, when it is one already.
            var hashText: String? {
                switch self {
                case .row(.transaction(let t)): return t.hash
                default: return nil
                }
            }

            /// This transaction with `receipt` as one row of strings, when the receipt is of its position and hash (a
            /// packed transaction and packed receipt are paired as they are read, see
            /// ``readRows(transactions:receipts:columns:chunkSize:_:)``).
            func paired(with receipt: Read) -> EthRow? {
                guard case .transaction(let t) = row, case .receipt(let r) = receipt.row, r.block == t.block, r.index == t.index,
                      r.transactionHash == t.hash else { return nil }
                return .transactionWithReceipt(t, r)
            }
        }

        /// What ``nextInto(_:sharing:pack:)`` read.
        enum Got {
            /// The row was packed into the value given.
            case packed
            /// The row, in any other form.
            case row(EthRow)
        }

        /// The line of the row read last.
        var line: Int { csv.recordLine }

        /// Reads the next row (a transaction or receipt) into `value` with `pack` when every field is in its plain
        /// form, else as a row; nil at the end of the file.
        /// - Parameter knownHash: as for ``next(sharing:)``.
        mutating func nextInto<P>(_ value: inout P, sharing knownHash: String?,
                                  pack: (TypedCSVLayout, CSVReader.Fields, inout P) -> Bool) throws -> Got? {
            guard try csv.nextRecord() else { return nil }
            let line = csv.recordLine, layout = self.layout
            if csv.withFields({ pack(layout, $0, &value) }) { return .packed }
            let lastBlockHash = self.lastBlockHash
            let row = try csv.withFields { f in try layout.row(f, line: line, sharing: knownHash, lastBlockHash: lastBlockHash) }
            if case .transaction(let t) = row { self.lastBlockHash = t.blockHash }
            return .row(row)
        }
    }

    /// The receipt read next while pairing, if any.
    enum Pending {
        /// Not read yet.
        case unread
        /// Packed (in the pairing's receipt value), read at `line`.
        case packed(line: Int)
        /// Read as a row.
        case read(TypedCSVRows.Read, line: Int)
        /// The receipts are all read.
        case end

        /// Whether a receipt is held.
        var isHeld: Bool {
            switch self {
            case .packed, .read: return true
            case .unread, .end: return false
            }
        }
    }

    /// A receipt as a bulk export gives it, every text field in its plain form (see ``EthPackedTransaction``).
    struct PackedReceipt {
        var block: Int64, index: Int64, hash: EthHash32, from: EthAddress20?, status: Int64?, gasUsed: Int64?
        var effectiveGasPrice: UInt256?, contractAddress: EthAddress20?
        static let blank = PackedReceipt(block: 0, index: 0, hash: .zero, from: nil, status: nil, gasUsed: nil, effectiveGasPrice: nil,
                                         contractAddress: nil)

        var fields: EthReceiptFields {
            EthReceiptFields(block: block, transactionHash: hash.text, index: index, from: from?.text, status: status, gasUsed: gasUsed,
                             effectiveGasPrice: effectiveGasPrice, contractAddress: contractAddress?.text)
        }
    }

    /// Reads a row's fields for a packed row: each absent or empty field is nil, as the record path reads it; a field
    /// in any other form than its plain one makes the row unpackable (`plain` false), to be read as a row instead.
    struct PlainFields {
        let f: CSVReader.Fields
        var plain = true

        @inline(__always)
        private mutating func bytes(_ c: TypedCSVLayout.Column?, _ type: ColumnType) -> UnsafeBufferPointer<UInt8>? {
            guard let c else { return nil }
            let b = f[c.index]
            if b.isEmpty { return nil }
            guard c.type == type else { plain = false; return nil }
            return b
        }

        mutating func int(_ c: TypedCSVLayout.Column?) -> Int64? {
            guard let b = bytes(c, .number) else { return nil }
            guard let v = plainInt(b) else { plain = false; return nil }
            return v
        }

        mutating func uint(_ c: TypedCSVLayout.Column?) -> UInt256? {
            guard let b = bytes(c, .number) else { return nil }
            guard isCanonicalDigits(b), let v = UInt256(decimalDigits: b) else { plain = false; return nil }
            return v
        }

        mutating func hash(_ c: TypedCSVLayout.Column?) -> EthHash32? {
            guard let b = bytes(c, .other) else { return nil }
            guard let v = EthHash32(plain: b) else { plain = false; return nil }
            return v
        }

        mutating func address(_ c: TypedCSVLayout.Column?) -> EthAddress20? {
            guard let b = bytes(c, .address) else { return nil }
            guard let v = EthAddress20(plain: b) else { plain = false; return nil }
            return v
        }
    }

    /// Where a typed kind's columns are in a CSV export and how their text is read: a class, so reading a row
    /// copies none of it.
    final class TypedCSVLayout {
        struct Column { let index: Int; let name: String; let type: ColumnType }
        let kind: EthRecord.Kind
        let path: String
        private let width: Int
        private let blockNumber, blockTimestamp, from, to, amount, transactionIndex, hash, blockHash, gas, gasPrice: Column?
        private let receiptStatus, receiptGasUsed, receiptPrice, receiptContract: Column?
        private let transactionHash, status, gasUsed, effectivePrice, contract, logIndex, token: Column?
        /// Wanted columns the typed fields do not hold: still checked, as a record's would be.
        private let others: [Column]
        private let hasReceipt: Bool

        init(kind: EthRecord.Kind, names: [String], columns: [EthRecord.Kind: Set<String>]?, path: String) {
            self.kind = kind; self.path = path
            width = names.count
            var used: Set<Int> = []
            func column(_ name: String) -> Column? {
                guard let i = names.firstIndex(of: name), wanted(name, kind: kind, columns) else { return nil }
                used.insert(i)
                return Column(index: i, name: name, type: columnType(name, kind: kind))
            }
            blockNumber = column("block_number"); blockTimestamp = column("block_timestamp"); from = column("from_address")
            to = column("to_address"); amount = column("value"); transactionIndex = column("transaction_index")
            hash = column("hash"); blockHash = column("block_hash"); gas = column("gas"); gasPrice = column("gas_price")
            receiptStatus = column("receipt_status"); receiptGasUsed = column("receipt_gas_used")
            receiptPrice = column("receipt_effective_gas_price"); receiptContract = column("receipt_contract_address")
            transactionHash = column("transaction_hash"); status = column("status"); gasUsed = column("gas_used")
            effectivePrice = column("effective_gas_price"); contract = column("contract_address")
            logIndex = column("log_index"); token = column("token_address")
            others = names.enumerated().filter { !used.contains($0.offset) && wanted($0.element, kind: kind, columns) }
                .map { Column(index: $0.offset, name: $0.element, type: columnType($0.element, kind: kind)) }
            hasReceipt = names.contains { $0.hasPrefix("receipt_") && wanted($0, kind: kind, columns) }
        }

        /// `known` when `bytes` are its UTF-8 bytes.
        @inline(__always)
        private static func same(_ known: String?, _ bytes: UnsafeBufferPointer<UInt8>) -> String? {
            guard let known, known.utf8.count == bytes.count,
                  known.utf8.withContiguousStorageIfAvailable({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) == true
            else { return nil }
            return known
        }

        /// The row `f` (read at `line`); a hash equal to `knownHash`, or a block hash equal to `lastBlockHash`, is that string.
        func row(_ f: CSVReader.Fields, line: Int, sharing knownHash: String?, lastBlockHash: String?) throws -> EthRow {
            guard f.count == width else {
                throw IngestError(.corrupt, "\(f.count) fields where the header has \(width)", path: path, line: line)
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
            func text(_ c: Column?, sharing known: String? = nil) throws -> String? {
                guard let c else { return nil }
                let b = f[c.index]
                if c.type == .address ? isPlainAddress(b) : (c.type == .other && isPlainHex(b)) {
                    return Self.same(known, b) ?? String(decoding: b, as: UTF8.self)
                }
                return try slow(c).textValue
            }
            func isNull(_ c: Column?) -> Bool {
                guard let c else { return true }
                return f[c.index].allSatisfy { $0 == 0x20 || $0 == 0x09 }  // null: empty once trimmed
            }
            for c in others { _ = try slow(c) }
            switch kind {
            case .transaction:
                let t = EthTransactionFields(block: try int(blockNumber), blockTimestamp: try int(blockTimestamp),
                                             blockHash: try text(blockHash, sharing: lastBlockHash),
                                             hash: try text(hash), index: try int(transactionIndex), from: try text(from), to: try text(to),
                                             value: try uint(amount), gas: try int(gas), gasPrice: try uint(gasPrice))
                // A transaction exported with its receipt (see `expand`): both, written together.
                guard hasReceipt, !isNull(receiptGasUsed) else { return .transaction(t) }
                let r = EthReceiptFields(block: t.block, transactionHash: t.hash, index: t.index, from: t.from, status: try int(receiptStatus),
                                         gasUsed: try int(receiptGasUsed), effectiveGasPrice: try uint(receiptPrice),
                                         contractAddress: try text(receiptContract))
                return .transactionWithReceipt(t, r)
            case .receipt:
                return .receipt(EthReceiptFields(block: try int(blockNumber), transactionHash: try text(transactionHash, sharing: knownHash),
                                                 index: try int(transactionIndex), from: try text(from), status: try int(status),
                                                 gasUsed: try int(gasUsed), effectiveGasPrice: try uint(effectivePrice),
                                                 contractAddress: try text(contract)))
            default:
                return .tokenTransfer(EthTokenTransferFields(block: try int(blockNumber), blockTimestamp: try int(blockTimestamp),
                                                             transactionHash: try text(transactionHash), logIndex: try int(logIndex),
                                                             token: try text(token), from: try text(from), to: try text(to),
                                                             value: try uint(amount)))
            }
        }

        /// Whether a row of this layout can be packed at all: every wanted column is one the packed row holds.
        private var packable: Bool { others.isEmpty && !hasReceipt }

        /// Reads transaction row `f` into `t` (its receipt fields unset); false when a field is not in its plain form
        /// or one the packed row needs is missing (the row is then read by ``row(_:line:sharing:lastBlockHash:)``, and
        /// `t` holds nothing of use).
        func packTransaction(_ f: CSVReader.Fields, into t: inout EthPackedTransaction) -> Bool {
            guard kind == .transaction, packable, f.count == width else { return false }
            var p = PlainFields(f: f)
            guard let block = p.int(blockNumber), let index = p.int(transactionIndex), let hash = p.hash(hash), let from = p.address(from)
            else { return false }
            t.block = block; t.index = index; t.hash = hash; t.from = from
            t.blockTimestamp = p.int(blockTimestamp); t.blockHash = p.hash(blockHash); t.to = p.address(to); t.value = p.uint(amount)
            t.gas = p.int(gas); t.gasPrice = p.uint(gasPrice)
            t.receiptFrom = nil; t.status = nil; t.gasUsed = nil; t.effectiveGasPrice = nil; t.contractAddress = nil
            return p.plain
        }

        /// Reads receipt row `f` into `r`, like ``packTransaction(_:into:)``.
        func packReceipt(_ f: CSVReader.Fields, into r: inout PackedReceipt) -> Bool {
            guard kind == .receipt, packable, f.count == width else { return false }
            var p = PlainFields(f: f)
            guard let block = p.int(blockNumber), let index = p.int(transactionIndex), let hash = p.hash(transactionHash) else { return false }
            r.block = block; r.index = index; r.hash = hash; r.from = p.address(from); r.status = p.int(status); r.gasUsed = p.int(gasUsed)
            r.effectiveGasPrice = p.uint(effectivePrice); r.contractAddress = p.address(contract)
            return p.plain
        }

        /// Token transfer row `f` packed, like ``packedTransaction(_:)``.
        func packedTokenTransfer(_ f: CSVReader.Fields) -> EthPackedTokenTransfer? {
            guard kind == .tokenTransfer, packable, f.count == width else { return nil }
            var p = PlainFields(f: f)
            guard let block = p.int(blockNumber), let index = p.int(logIndex), let tx = p.hash(transactionHash), let token = p.address(token),
                  let from = p.address(from), let to = p.address(to), let value = p.uint(amount) else { return nil }
            let t = EthPackedTokenTransfer(block: block, logIndex: index, transactionHash: tx, blockTimestamp: p.int(blockTimestamp), token: token,
                                           from: from, to: to, value: value)
            return p.plain ? t : nil
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
