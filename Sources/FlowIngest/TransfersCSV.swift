import FlowCore
import Foundation

/// Decodes the generic transfer CSV: header-named columns `from,to,amount,asset,timestamp,tx`, optional
/// `decimals`, `chain`, `block`, `index`; extra columns are ignored. Amounts are exact non-negative integers in
/// base units; timestamps are Unix seconds or ISO-8601 (UTC unless an offset is given). Without `index`, a row's
/// index is its position among the rows of the same transaction in the file.
public struct TransfersCSVReader {
    private var csv: CSVReader
    private let columns: [String: Int]
    private let defaultChain: String
    private var positions = TransactionRowPositions()
    public var path: String { csv.path }
    /// The line of the record last returned.
    public var line: Int { csv.recordLine }

    public static let requiredColumns = ["from", "to", "amount", "asset", "timestamp", "tx"]

    public init(path: String, defaultChain: String) throws {
        csv = try CSVReader(path: path)
        let columns = try csv.readHeader(required: Self.requiredColumns)
        self.columns = columns
        self.defaultChain = defaultChain
    }

    /// The next transfer, or `nil` at the end.
    /// - Throws: ``IngestError`` naming the file and line for a short row, a bad amount, timestamp or number.
    public mutating func next() throws -> AccountTransfer? {
        guard let row = try csv.next() else { return nil }
        let line = csv.recordLine
        func field(_ name: String) -> String? {
            guard let i = columns[name], i < row.count else { return nil }
            let v = row[i].asciiTrimmed
            return v.isEmpty ? nil : v
        }
        func fail(_ message: String) -> IngestError { IngestError(.corrupt, message, path: path, line: line) }
        func required(_ name: String) throws -> String {
            guard let v = field(name) else { throw fail("empty or missing '\(name)'") }
            return v
        }
        let amountText = try required("amount")
        guard let amountValue = Int128(amountText), amountValue >= 0 else {
            throw fail("amount '\(amountText.prefix(60))' is not a non-negative integer in base units (or exceeds 128 bits)")
        }
        let tx = try required("tx")
        var decimals: Int?
        if let d = field("decimals") {
            guard let v = Int(d), (0...77).contains(v) else { throw fail("decimals '\(d)' is not an integer 0…77") }
            decimals = v
        }
        var block: Int64?
        if let b = field("block") {
            guard let v = Int64(b), v >= 0 else { throw fail("block '\(b)' is not a non-negative integer") }
            block = v
        }
        let index: Int64
        if let x = field("index") {
            guard let v = Int64(x), v >= 0 else { throw fail("index '\(x)' is not a non-negative integer") }
            index = v
        } else {
            index = positions.next(tx)
        }
        let stamp = try required("timestamp")
        guard let time = Self.parseTimestamp(stamp) else {
            throw fail("timestamp '\(stamp.prefix(40))' is neither Unix seconds nor ISO-8601")
        }
        return AccountTransfer(chain: field("chain") ?? defaultChain, asset: try required("asset"), decimals: decimals,
                               from: AccountTransfer.normalizedAddress(try required("from")[...]),
                               to: AccountTransfer.normalizedAddress(try required("to")[...]),
                               amount: Amount(baseUnits: amountValue), timestampUnix: time, tx: tx, block: block, index: index)
    }

    /// Unix seconds, or ISO-8601 date-time (`2024-03-01T12:00:00Z`, `2024-03-01 12:00:00`, with fraction or offset).
    public static func parseTimestamp(_ text: String) -> Int64? {
        if let v = Int64(text) { return v }
        var s = text.replacingOccurrences(of: " ", with: "T")
        if !(s.hasSuffix("Z") || s.dropFirst(19).contains("+") || s.dropFirst(19).contains("-")) { s += "Z" }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: s) { return Int64(d.timeIntervalSince1970.rounded(.down)) }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return Int64(d.timeIntervalSince1970.rounded(.down)) }
        return nil
    }
}

/// A row's position among the earlier rows of the same transaction in a file, for files without an `index` column.
///
/// Every transaction seen must be remembered (its rows need not be adjacent), so memory grows with the number of
/// transactions: keeping their id texts took ~200 bytes each and ran a 100M-row file out of memory. Each id is kept
/// as the first 128 bits of its SHA-256 instead (~27 bytes an entry): a collision, which would misnumber a row, is
/// as unlikely as one of SHA-256 itself. Consecutive rows of one transaction, the usual layout, hash it once.
struct TransactionRowPositions {
    private var counts: [UInt128: UInt32] = [:]
    private var current: (tx: String, key: UInt128, count: UInt32)?

    /// The position of this row of `tx` (0 for its first row in the file).
    mutating func next(_ tx: String) -> Int64 {
        if let c = current, c.tx == tx {
            current?.count += 1
            return Int64(c.count)
        }
        if let c = current { counts[c.key] = c.count }
        let key = Self.key(tx)
        let position = counts[key] ?? 0
        current = (tx, key, position + 1)
        return Int64(position)
    }

    private static func key(_ tx: String) -> UInt128 {
        Hashing.sha256(tx.utf8).prefix(16).reduce(0) { $0 << 8 | UInt128($1) }
    }
}
