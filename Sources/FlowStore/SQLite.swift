import CSQLite
import FlowCore
import Foundation

/// SQLite's destructor sentinel meaning "copy the bytes now"; a macro in C, so defined once here.
let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A failure reported by SQLite, with its extended result code, message and the SQL that failed.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public var resultCode: Int32
    public var message: String
    public var sql: String?
    public var path: String?

    public init(resultCode: Int32, message: String, sql: String? = nil, path: String? = nil) {
        self.resultCode = resultCode; self.message = message; self.sql = sql; self.path = path
    }

    /// True for SQLITE_BUSY and SQLITE_LOCKED (another process holds the database).
    public var isBusy: Bool { resultCode & 0xff == SQLITE_BUSY || resultCode & 0xff == SQLITE_LOCKED }

    public var description: String {
        var text = ""
        if let path { text += "\(path): " }
        text += "\(message) (SQLite code \(resultCode))"
        if let sql { text += " in: \(sql.prefix(200))" }
        return text
    }
}

/// A SQLite connection. Not thread-safe: one connection per task.
public final class Database {
    let handle: OpaquePointer
    /// The file opened.
    public let path: String
    /// What errors call the database: its path, or for a store built aside the path it is built for.
    public let name: String

    /// Process-wide SQLite settings, made once before the first connection.
    private static let configured: Bool = flowtrace_sqlite3_disable_memstatus() == SQLITE_OK

    /// Opens (creating if needed) the database at `path`.
    public init(path: String, readOnly: Bool = false, name: String? = nil) throws {
        _ = Database.configured
        var db: OpaquePointer?
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        let rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(db)
            throw StoreError(resultCode: rc, message: message, path: path)
        }
        handle = db
        self.path = path
        self.name = name ?? path
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, 5_000)
    }

    private var closed = false

    deinit { close() }

    /// Closes the connection now (a statement still prepared on it keeps it open until that statement goes).
    /// Nothing may use the connection afterwards.
    public func close() {
        guard !closed else { return }
        closed = true
        sqlite3_close_v2(handle)
    }

    func error(_ rc: Int32, sql: String?) -> StoreError {
        StoreError(resultCode: sqlite3_extended_errcode(handle), message: String(cString: sqlite3_errmsg(handle)),
                   sql: sql, path: name)
    }

    /// Runs one or more SQL statements that return no rows.
    public func execute(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let message = err.map { String(cString: $0) } ?? "error"
            sqlite3_free(err)
            throw StoreError(resultCode: sqlite3_extended_errcode(handle), message: message, sql: sql, path: name)
        }
    }

    /// Compiles a statement for repeated use.
    public func prepare(_ sql: String) throws -> Statement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc, sql: sql) }
        return Statement(db: self, stmt: stmt, sql: sql)
    }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    public var changes: Int { Int(sqlite3_changes(handle)) }
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// First column of the first row as an integer (nil when no row or NULL).
    public func scalarInt(_ sql: String, _ bindings: [SQLValue] = []) throws -> Int64? {
        let s = try prepare(sql)
        try s.bind(bindings)
        guard try s.step() else { return nil }
        return s.isNull(0) ? nil : s.int(0)
    }
}

/// A value to bind into a statement.
public enum SQLValue: Sendable {
    case null, int(Int64), text(String), blob([UInt8])
}

/// A prepared statement; reset and rebound for each use.
public final class Statement {
    unowned let db: Database
    let stmt: OpaquePointer
    let sql: String

    init(db: Database, stmt: OpaquePointer, sql: String) {
        self.db = db; self.stmt = stmt; self.sql = sql
    }

    deinit { sqlite3_finalize(stmt) }

    /// Resets the statement and clears its bindings.
    @inline(__always)
    public func reset() {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
    }

    /// Resets the statement but keeps its bindings, for hot statements whose every parameter is rebound.
    @inline(__always)
    public func rewind() { sqlite3_reset(stmt) }

    @inline(__always) public func bind(_ i: Int32, _ v: Int64) { sqlite3_bind_int64(stmt, i, v) }
    @inline(__always) public func bind(_ i: Int32, _ v: Int) { sqlite3_bind_int64(stmt, i, Int64(v)) }
    @inline(__always) public func bindNull(_ i: Int32) { sqlite3_bind_null(stmt, i) }
    /// Binds text by its UTF-8 bytes (no C string: a small string would be copied to the heap for one).
    public func bind(_ i: Int32, _ v: String) {
        var v = v
        _ = v.withUTF8 { u in
            if let p = u.baseAddress {
                p.withMemoryRebound(to: CChar.self, capacity: u.count) { sqlite3_bind_text(stmt, i, $0, Int32(u.count), SQLITE_TRANSIENT) }
            } else {
                sqlite3_bind_text(stmt, i, "", 0, SQLITE_TRANSIENT)
            }
        }
    }
    /// Binds `count` UTF-8 bytes at `p` as text without copying them (SQLITE_STATIC): they must stay as they are
    /// until the parameter is bound again or the statement goes.
    @inline(__always) public func bindText(_ i: Int32, unowned p: UnsafePointer<UInt8>, count: Int) {
        p.withMemoryRebound(to: CChar.self, capacity: count) { _ = sqlite3_bind_text(stmt, i, $0, Int32(count), nil) }
    }
    public func bind(_ i: Int32, _ v: Int64?) { if let v { bind(i, v) } else { bindNull(i) } }
    public func bind(_ i: Int32, _ v: String?) { if let v { bind(i, v) } else { bindNull(i) } }
    public func bind(_ i: Int32, blob v: [UInt8]) {
        _ = v.withUnsafeBytes { sqlite3_bind_blob(stmt, i, $0.baseAddress, Int32($0.count), SQLITE_TRANSIENT) }
    }
    /// Binds a hash as its 32 display-order bytes, without allocating.
    public func bind(_ i: Int32, displayHash h: Hash256) {
        var words = (h.w3.byteSwapped, h.w2.byteSwapped, h.w1.byteSwapped, h.w0.byteSwapped)
        _ = withUnsafeBytes(of: &words) { sqlite3_bind_blob(stmt, i, $0.baseAddress, 32, SQLITE_TRANSIENT) }
    }
    public func bind(_ i: Int32, blob v: [UInt8]?) { if let v { bind(i, blob: v) } else { bindNull(i) } }

    public func bind(_ values: [SQLValue]) throws {
        reset()
        for (n, v) in values.enumerated() {
            let i = Int32(n + 1)
            switch v {
            case .null: bindNull(i)
            case .int(let x): bind(i, x)
            case .text(let t): bind(i, t)
            case .blob(let b): bind(i, blob: b)
            }
        }
    }

    /// Steps once: `true` when a row is available, `false` when done.
    @discardableResult
    public func step() throws -> Bool {
        let rc = sqlite3_step(stmt)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw db.error(rc, sql: sql)
    }

    /// Runs a statement that returns no rows, then resets it.
    public func run() throws {
        defer { sqlite3_reset(stmt) }
        _ = try step()
    }

    @inline(__always) public func int(_ col: Int32) -> Int64 { sqlite3_column_int64(stmt, col) }
    /// Columns of the statement's result rows.
    public var columnCount: Int32 { sqlite3_column_count(stmt) }
    @inline(__always) public func isNull(_ col: Int32) -> Bool { sqlite3_column_type(stmt, col) == SQLITE_NULL }
    public func optionalInt(_ col: Int32) -> Int64? { isNull(col) ? nil : int(col) }
    /// True when the column's value is stored as an INTEGER.
    @inline(__always) public func isInteger(_ col: Int32) -> Bool { sqlite3_column_type(stmt, col) == SQLITE_INTEGER }
    public func text(_ col: Int32) -> String {
        guard let p = sqlite3_column_text(stmt, col) else { return "" }
        return String(cString: p)
    }
    public func optionalText(_ col: Int32) -> String? { isNull(col) ? nil : text(col) }
    /// The UTF-8 bytes of a text column, nil when it is NULL (one call fewer than asking first; valid only inside `body`).
    @inline(__always) public func withOptionalTextBytes<R>(_ col: Int32, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
        guard let p = sqlite3_column_text(stmt, col) else { return body(nil) }
        return body(UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(stmt, col))))
    }
    /// The column's storage class (`SQLITE_INTEGER`, `SQLITE_TEXT`, `SQLITE_NULL`…).
    @inline(__always) public func type(_ col: Int32) -> Int32 { sqlite3_column_type(stmt, col) }
    /// The UTF-8 bytes of a text column, without making a string (valid only inside `body`).
    public func withTextBytes<R>(_ col: Int32, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let p = sqlite3_column_text(stmt, col), n = Int(sqlite3_column_bytes(stmt, col))
        return body(UnsafeBufferPointer(start: p, count: p == nil ? 0 : n))
    }
    public func blob(_ col: Int32) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(stmt, col))
        guard n > 0, let p = sqlite3_column_blob(stmt, col) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
    public func optionalBlob(_ col: Int32) -> [UInt8]? { isNull(col) ? nil : blob(col) }

    /// All rows mapped by `transform`.
    public func rows<T>(_ bindings: [SQLValue] = [], _ transform: (Statement) throws -> T) throws -> [T] {
        try bind(bindings)
        var out: [T] = []
        while try step() { out.append(try transform(self)) }
        reset()
        return out
    }
}

/// An INSERT that writes up to ``maxRows`` rows per statement run. Running a one-row statement per row costs
/// SQLite its per-statement work (a transaction check, cursors opened and closed, a reset) for every row; this
/// spends it once per `maxRows`. The statements, one per row count used (`maxRows` and powers of two below it), are
/// prepared when first needed.
public final class MultiRowInsert {
    public let maxRows: Int
    private let db: Database
    private let head: String, tail: String
    /// Parameters `?1`…`?shared` are the same for every row of a statement; row `r`'s start at
    /// `shared + 1 + r × perRow`.
    public let shared: Int32, perRow: Int32
    private let row: (_ first: Int32) -> String
    private var statements: [Int: Statement] = [:]

    /// - Parameters:
    ///   - head: the statement up to `VALUES`.
    ///   - row: one row's parenthesised values, given the number of its first own parameter.
    ///   - tail: what follows the rows (an `ON CONFLICT` clause).
    public init(db: Database, head: String, shared: Int32, perRow: Int32, row: @escaping (_ first: Int32) -> String, tail: String = "",
                maxRows: Int = 64) {
        self.db = db; self.head = head; self.shared = shared; self.perRow = perRow; self.row = row; self.tail = tail
        self.maxRows = maxRows
    }

    /// The row within its statement whose parameters include `p`.
    @inline(__always) public func row(ofParameter p: Int32) -> Int { Int((p - shared - 1) / perRow) }

    /// `count` numbered parameters from `first`: "?5, ?6, ?7".
    public static func parameters(_ first: Int32, _ count: Int32) -> String {
        (first..<(first + count)).map { "?\($0)" }.joined(separator: ", ")
    }

    private func statement(rows count: Int) throws -> Statement {
        if let s = statements[count] { return s }
        let values = (0..<count).map { row(shared + 1 + Int32($0) * perRow) }.joined(separator: ", ")
        let s = try db.prepare("\(head) VALUES \(values) \(tail)")
        statements[count] = s
        return s
    }

    /// Writes rows `0..<count` in order, `maxRows` per statement: `bindShared` binds a statement's shared
    /// parameters, `bind(s, i, p)` row `i`'s from parameter `p`; `done(rows, changes)` follows each statement's
    /// run with the rows it wrote and the rows SQLite reports changed.
    public func insert(count: Int, bindShared: (Statement) -> Void = { _ in }, bind: (Statement, Int, Int32) throws -> Void,
                       done: (Range<Int>, Int) throws -> Void = { _, _ in }) throws {
        var start = 0
        while start < count {
            // Fewer rows than a full statement take the largest power of two that fits: a handful of statements to
            // compile, not one per row count (compiling one of 64 rows costs as much as running many).
            let left = min(maxRows, count - start)
            let n = left == maxRows ? left : 1 << (Int.bitWidth - 1 - left.leadingZeroBitCount)
            let s = try statement(rows: n)
            s.rewind()
            bindShared(s)
            for r in 0..<n { try bind(s, start + r, shared + 1 + Int32(r) * perRow) }
            try s.run()
            try done(start..<(start + n), db.changes)
            start += n
        }
    }
}

/// Room for the text of a multi-row statement's rows, bound without a copy (``Statement/bindText(_:unowned:count:)``):
/// each row of a statement writes its text in a slot of its own, which stays as it is until the next run of a
/// statement binds that row again. Packed Ethereum rows are written this way: their hashes and addresses become text
/// here, not in a string per value that SQLite then copies again.
final class BindArena {
    private let base: UnsafeMutablePointer<UInt8>
    let rows: Int, rowBytes: Int

    init(rows: Int, rowBytes: Int) {
        self.rows = rows; self.rowBytes = rowBytes
        base = .allocate(capacity: rows * rowBytes)
    }

    deinit { base.deallocate() }

    /// The start of row `r`'s slot.
    @inline(__always) func row(_ r: Int) -> UnsafeMutablePointer<UInt8> {
        precondition(r >= 0 && r < rows, "row \(r) of a bind arena of \(rows)")
        return base + r * rowBytes
    }

    @inline(__always) func bind(_ s: Statement, _ i: Int32, _ h: EthHash32, _ at: inout UnsafeMutablePointer<UInt8>) {
        h.write(to: at)
        s.bindText(i, unowned: at, count: EthHash32.textLength)
        at += EthHash32.textLength
    }

    @inline(__always) func bind(_ s: Statement, _ i: Int32, _ a: EthAddress20?, _ at: inout UnsafeMutablePointer<UInt8>) {
        guard let a else { s.bindNull(i); return }
        a.write(to: at)
        s.bindText(i, unowned: at, count: EthAddress20.textLength)
        at += EthAddress20.textLength
    }

    /// A quantity as the store keeps it: an integer when it fits 64 bits, else its exact decimal text.
    @inline(__always) func bind(_ s: Statement, _ i: Int32, _ v: UInt256?, _ at: inout UnsafeMutablePointer<UInt8>) {
        guard let v else { s.bindNull(i); return }
        if v.limbs.1 == 0, v.limbs.2 == 0, v.limbs.3 == 0, v.limbs.0 <= UInt64(Int64.max) { s.bind(i, Int64(v.limbs.0)); return }
        let n = v.writeDecimal(to: at)
        s.bindText(i, unowned: at, count: n)
        at += n
    }
}
