import FlowCore
import FlowIngest
import FlowStore
import Foundation
import Testing
import TestSupport

/// The typed rows `eth-etl` reads CSV transactions, receipts and token transfers into hold exactly what the
/// record path gives for the same file (its records through the typed fields' initialisers), for real
/// ethereum-etl exports and for fields in every unusual form; errors are located at the same line.
@Suite("ethereum-etl typed rows")
struct EthETLRowsTests {
    /// What the record path gives for a file, as rows.
    static func viaRecords(_ path: String, columns: [EthRecord.Kind: Set<String>]?) throws -> [EthRow] {
        var out: [EthRow] = []
        try EthETLReader.read(path: path, columns: columns) { r in
            switch r.kind {
            case .transaction: out.append(.transaction(EthTransactionFields(r)))
            case .receipt: out.append(.receipt(EthReceiptFields(r)))
            case .tokenTransfer: out.append(.tokenTransfer(EthTokenTransferFields(r)))
            default: out.append(.record(r))
            }
        }
        return out
    }

    /// The rows `readRows` gives, with their lines, in batches of `chunk`; a transaction with its receipt as the
    /// two rows the record path gives for it, and how many there were.
    /// A packed row is given as the row it stands for.
    static func typed(_ path: String, columns: [EthRecord.Kind: Set<String>]?, chunk: Int = 3)
        throws -> (rows: [EthRow], lines: [Int], paired: Int, packed: Int) {
        var rows: [EthRow] = [], lines: [Int] = [], paired = 0, packed = 0
        try EthETLReader.readRows(path: path, columns: columns, chunkSize: chunk) { batch in
            #expect(batch.path == path && batch.count <= chunk)
            for (row, line) in zip(batch.rows, batch.lines) {
                switch row {
                case .transactionWithReceipt(let t, let r):
                    rows += [.transaction(t), .receipt(r)]
                    lines += [line, line]
                    paired += 1
                case .packedTransaction(let t):
                    rows += [.transaction(t.transaction), .receipt(t.receipt)]
                    lines += [line, line]
                    paired += 1
                    packed += 1
                case .packedTokenTransfer(let t):
                    rows.append(.tokenTransfer(t.fields))
                    lines.append(line)
                    packed += 1
                default:
                    rows.append(row)
                    lines.append(line)
                }
            }
        }
        return (rows, lines, paired, packed)
    }

    static func error(_ body: () throws -> Void) -> String? {
        do { try body() } catch { return "\(error)" }
        return nil
    }

    @Test func realExportsGiveTheSameRows() throws {
        let root = Paths.shared("eth/ethereum-etl")
        let names = try #require(FileManager.default.subpaths(atPath: root)).filter { $0.hasSuffix(".csv") }.sorted()
        var typedRows = 0, packedRows = 0
        for name in names {
            let path = "\(root)/\(name)"
            for columns in [EthWriter.fieldsRead, nil] {
                let expected = try Self.viaRecords(path, columns: columns)
                let got = try Self.typed(path, columns: columns)
                #expect(got.rows == expected, "\(name)")
                typedRows += got.rows.filter { if case .record = $0 { false } else { true } }.count
                packedRows += got.packed
            }
        }
        // Transactions (blocks jobs), receipts and token transfers were among them; the token transfers read with
        // only the columns the store keeps were packed.
        #expect(typedRows > 100)
        #expect(packedRows >= 4)
    }

    @Test func unusualFieldsGiveTheSameRows() throws {
        let hash = "0x" + String(repeating: "ab", count: 32), upper = hash.uppercased().replacingOccurrences(of: "0X", with: "0x")
        let lower = "0x52908400098527886e0f7030069857d2e4169ee7", checksummed = "0x52908400098527886E0F7030069857D2E4169EE7"
        let big = "115792089237316195423570985008687907853269984665640564039457584007913129639935"  // 2^256 - 1
        let text = """
            hash,nonce,block_hash,block_number,transaction_index,from_address,to_address,value,gas,gas_price,input,block_timestamp,receipt_status,receipt_gas_used,receipt_effective_gas_price,receipt_contract_address
            \(hash),1,\(upper),100,0,\(lower),,0,21000,7,0x,1600000000,1,21000,7,\r
            \(upper), 2 ,"\(hash)",00100,"1",\(checksummed), \(lower) ,\(big),99999999999999999999,18446744073709551616,"a,b",1600000000,0,,,\(checksummed)
            "\(hash)",3,True,100,2,\(lower),\(lower),123456789012345678,1234567890123456789,9223372036854775807,0x,,,5,,

            \(hash),4,0xAbC,100,3,\(lower),\(lower),"1""2",1,1,0x,1600000000,1,21000,1,
            """
        let receipts = """
            transaction_hash,transaction_index,block_hash,block_number,cumulative_gas_used,gas_used,contract_address,root,status,effective_gas_price
            \(upper),0,\(hash),100,21000,21000,\(checksummed),,1,\(big)
            \(hash),1, ,100,0,0,,,,
            """
        let tokens = """
            token_address,from_address,to_address,value,transaction_hash,log_index,block_number
            \(checksummed),\(lower),\(lower),\(big),\(hash),0,100
            \(lower), \(lower),\(lower),0340282366920938463463374607431768211456,\(upper),1,100
            """
        try withTemporaryDirectory { dir in
            for (name, body) in [("transactions.csv", text), ("receipts.csv", receipts), ("token_transfers.csv", tokens)] {
                let path = dir.appendingPathComponent(name).path
                try body.write(toFile: path, atomically: true, encoding: .utf8)
                for columns in [EthWriter.fieldsRead, nil] {
                    let expected = Self.error { _ = try Self.viaRecords(path, columns: columns) }
                    let got = Self.error { _ = try Self.typed(path, columns: columns) }
                    #expect(got == expected, "\(name)")  // the same error, or none
                    guard expected == nil else { continue }
                    let typedRows = try Self.typed(path, columns: columns).rows, recordRows = try Self.viaRecords(path, columns: columns)
                    #expect(typedRows == recordRows, "\(name)")
                }
            }
            // The transactions file: the quoted "1""2" value is an error at line 6 (after a blank line).
            let path = dir.appendingPathComponent("transactions.csv").path
            let message = Self.error { _ = try Self.typed(path, columns: EthWriter.fieldsRead) } ?? ""
            #expect(message.contains("transactions.csv, line 6") && message.contains("column value"), "\(message)")
            // Up to it: transactions with embedded receipts where receipt_gas_used is given, each at its line.
            try "\(text.split(separator: "\n", omittingEmptySubsequences: false).prefix(4).joined(separator: "\n"))\n".write(toFile: path, atomically: true,
                                                                                                                       encoding: .utf8)
            let rows = try Self.typed(path, columns: EthWriter.fieldsRead)
            #expect(rows.lines == [2, 2, 3, 4, 4] && rows.paired == 2)  // receipts embedded in lines 2 and 4, stored with them
            guard case .transaction(let second) = rows.rows[2], case .receipt(let receipt) = rows.rows[4] else {
                Issue.record("expected a transaction and a receipt"); return
            }
            #expect(second.hash == hash && second.from == lower && second.to == lower && second.value == UInt256(decimal: big))
            #expect(second.block == 100 && second.index == 1 && second.gas == nil && second.blockHash == hash)
            #expect(receipt.gasUsed == 5 && receipt.status == nil && receipt.index == 2)
        }
    }

    @Test func badRowsAreLocatedAsTheRecordPathLocatesThem() throws {
        let hash = "0x" + String(repeating: "cd", count: 32), a = "0x" + String(repeating: "1", count: 40)
        let header = "token_address,from_address,to_address,value,transaction_hash,log_index,block_number"
        let cases = [
            "\(a),\(a),\(a),12,\(hash),0,100\n\(a),\(a),0x12,12,\(hash),1,100",                                  // short address
            "\(a),\(a),\(a),12,\(hash),0,100\n\(a),\(a),\(a),-5,\(hash),1,100",                                   // negative
            "\(a),\(a),\(a),12,\(hash),0,100\n\(a),\(a),\(a),12,\(hash),1",                                        // missing field
            "\(a),\(a),\(a),12,\(hash),0,100\n\(a),0x52908400098527886E0F7030069857D2E4169Ee7,\(a),1,\(hash),1,100",  // bad checksum
            "\(a),\(a),\(a),12,\(hash),0,100\n\(a),\(a),\(a),\"12,\(hash),1,100",                                  // unterminated quote
        ]
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("token_transfers.csv").path
            for body in cases {
                try "\(header)\n\(body)\n".write(toFile: path, atomically: true, encoding: .utf8)
                let expected = Self.error { _ = try Self.viaRecords(path, columns: EthWriter.fieldsRead) } ?? "no error"
                var before: [EthRow] = []
                let got = Self.error {
                    try EthETLReader.readRows(path: path, columns: EthWriter.fieldsRead, chunkSize: 1) { before += $0.rows }
                }
                #expect(got == expected)
                #expect(expected.contains("token_transfers.csv, line 3"), "\(expected)")
                #expect(before.count == 1)  // the good row before it reached the caller
            }
        }
    }

    /// A transactions export read with its receipts export: a transaction whose receipt comes next (same position
    /// and hash) is one row with it; other receipts are rows of their own, in position order, naming their file.
    /// The same whether the rows are read packed (only the columns the store keeps, every field plain), as strings
    /// (every column wanted), or mixed (one transaction and two receipts in an unusual form, read as strings).
    @Test(arguments: ["strings", "packed", "mixed"])
    func transactionsAndTheirReceiptsAreReadTogether(form: String) throws {
        func h(_ c: Character) -> String { "0x" + String(repeating: c, count: 64) }
        let a = "0x" + String(repeating: "1", count: 40)
        // Upper-case hex is read as strings (and lower-cased), never packed.
        func unusual(_ text: String) -> String { form == "mixed" ? "0x" + text.dropFirst(2).uppercased() : text }
        try withTemporaryDirectory { dir in
            let txs = dir.appendingPathComponent("tx.csv").path, rxs = dir.appendingPathComponent("rx.csv").path
            try """
                hash,nonce,block_number,transaction_index,from_address,to_address,value
                \(h("a")),0,100,0,\(a),\(a),1
                \(h("b")),1,100,1,\(a),\(a),2
                \(unusual(h("c"))),2,101,0,\(a),\(a),3
                \(h("d")),3,102,0,\(a),\(a),4
                """.write(toFile: txs, atomically: true, encoding: .utf8)
            try """
                transaction_hash,transaction_index,block_number,cumulative_gas_used,gas_used,status
                \(h("a")),0,100,21000,21000,1
                \(unusual(h("9"))),1,100,42000,21000,1
                \(h("e")),5,100,63000,21000,0
                \(h("c")),0,101,21000,21000,1
                \(unusual(h("f"))),0,103,21000,21000,1
                """.write(toFile: rxs, atomically: true, encoding: .utf8)
            var got: [String] = [], packed = 0
            let columns = form == "strings" ? nil : EthWriter.fieldsRead
            try EthETLReader.readRows(transactions: txs, receipts: rxs, columns: columns, chunkSize: 2) { batch in
                for i in batch.rows.indices {
                    let what: String
                    switch batch.rows[i] {
                    case .transactionWithReceipt(let t, let r): what = "both \(t.hash == r.transactionHash && t.hash != nil)"
                    case .packedTransaction(let t): what = "both \(t.transaction.hash == t.receipt.transactionHash)"; packed += 1
                    case .transaction: what = "tx"
                    case .receipt: what = "receipt"
                    default: what = "other"
                    }
                    got.append("\(what) \(batch.origin(i).split(separator: "/").last!)")
                }
            }
            // The receipt at b's position has another hash (kept apart, after b: the writer then refuses it); e's
            // position comes after b's; f has no transaction.
            #expect(got == ["both true tx.csv:2", "tx tx.csv:3", "receipt rx.csv:3", "receipt rx.csv:4", "both true tx.csv:4", "tx tx.csv:5",
                            "receipt rx.csv:6"])
            // Packed: a's and c's pairs; mixed: only a's (c's transaction is read as strings).
            #expect(packed == ["strings": 0, "packed": 2, "mixed": 1][form])
        }
    }
}
