import Foundation

extension String {
    /// The string without leading and trailing ASCII spaces and tabs (no Foundation bridging: fields are hot).
    @inline(__always)
    var asciiTrimmed: String {
        let u = utf8
        guard let first = u.first, let last = u.last,
              first == 0x20 || first == 0x09 || last == 0x20 || last == 0x09 else { return self }
        var start = u.startIndex, end = u.endIndex
        while start < end, u[start] == 0x20 || u[start] == 0x09 { start = u.index(after: start) }
        while end > start, u[u.index(before: end)] == 0x20 || u[u.index(before: end)] == 0x09 { end = u.index(before: end) }
        return String(u[start..<end]) ?? self
    }
}

/// Streams RFC 4180 CSV records from a file: comma-separated, fields optionally double-quoted (`""` inside quotes is
/// a quote; quoted fields may span lines), CRLF or LF line ends. Never holds more than one record and a 1 MiB
/// read buffer in memory.
///
/// Format reference: RFC 4180.
public struct CSVReader {
    public let path: String
    private let file: FileStream
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEOF = false
    /// 1-based line where the record last returned started.
    public private(set) var recordLine = 0
    private var line = 1

    public init(path: String) throws {
        file = try FileStream(path: path)
        self.path = path
    }

    /// Reads the next piece of the file into the buffer; `false` at its end.
    /// - Throws: ``IngestError`` `unreadable` at the byte offset of a failed read.
    private mutating func fill() throws -> Bool {
        guard !atEOF else { return false }
        if position > 0 { buffer.removeFirst(position); position = 0 }
        if try file.read(appendingTo: &buffer, upTo: 1 << 20) == 0 { atEOF = true; file.close(); return false }
        return true
    }

    /// Reads the header record and maps each column name (trimmed, lower-cased, byte-order mark removed) to its
    /// position, checking that every `required` column is there.
    /// - Throws: ``IngestError`` at line 1 for an empty file or missing columns.
    public mutating func readHeader(required: [String]) throws -> [String: Int] {
        guard let header = try next() else {
            throw IngestError(.unexpectedShape, "empty file: expected a header with \(required.joined(separator: ","))", path: path, line: 1)
        }
        var columns: [String: Int] = [:]
        for (i, name) in header.enumerated() {
            columns[name.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: "\u{feff}", with: "")] = i
        }
        let missing = required.filter { columns[$0] == nil }
        guard missing.isEmpty else {
            throw IngestError(.unexpectedShape, "header lacks column(s) \(missing.joined(separator: ", ")); found \(header.joined(separator: ","))",
                              path: path, line: 1)
        }
        return columns
    }

    /// The next record's fields, or `nil` at the end of the file. Blank lines are skipped.
    /// - Throws: ``IngestError`` `bad-csv`-style `corrupt` with the line for an unterminated quote or stray quote.
    public mutating func next() throws -> [String]? {
        guard try nextRecord() else { return nil }
        return withFields { f in (0..<f.count).map { String(decoding: f[$0], as: UTF8.self) } }
    }

    // The fields of the record last read: byte ranges into `buffer`, or into `scratch` for a record that needed
    // unquoting.
    private var starts: [Int] = [], ends: [Int] = []
    private var scratch: [UInt8] = []
    private var inScratch = false

    /// The fields of the record ``nextRecord()`` read, as bytes (valid only inside `body`).
    public struct Fields {
        public let bytes: UnsafeBufferPointer<UInt8>
        let starts: [Int], ends: [Int]
        public var count: Int { starts.count }
        @inline(__always) public subscript(i: Int) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: bytes[starts[i]..<ends[i]])
        }
    }

    /// Calls `body` with the fields of the record ``nextRecord()`` read.
    @inline(__always)
    public func withFields<R>(_ body: (Fields) throws -> R) rethrows -> R {
        try (inScratch ? scratch : buffer).withUnsafeBufferPointer { try body(Fields(bytes: $0, starts: starts, ends: ends)) }
    }

    /// Reads the next record, whose fields ``withFields(_:)`` then gives without making strings; `false` at the end
    /// of the file. Blank lines are skipped.
    /// - Throws: ``IngestError`` `corrupt` with the line for an unterminated quote or stray quote.
    public mutating func nextRecord() throws -> Bool {
        while true {
            if try position >= buffer.count && !fill() { return false }
            // Skip blank lines.
            let c = buffer[position]
            if c == 0x0a { position += 1; line += 1; continue }
            if c == 0x0d { position += 1; continue }
            break
        }
        recordLine = line
        // Most records hold no quote and no carriage return but the one before their line feed: their fields are
        // found in one scan of the read buffer. Any other record is parsed byte by byte into `scratch`.
        while true {
            let start = position, eof = atEOF
            starts.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            enum Scan { case done(next: Int, atLineFeed: Bool), slow, needMore }
            let scan: Scan = buffer.withUnsafeBufferPointer { b in
                var i = start, fieldStart = start
                while i < b.count {
                    let c = b[i]
                    if c == 0x2c {
                        starts.append(fieldStart); ends.append(i)
                        fieldStart = i + 1
                    } else if c == 0x0a {
                        var end = i
                        if end > fieldStart && b[end - 1] == 0x0d { end -= 1 }
                        starts.append(fieldStart); ends.append(end)
                        return .done(next: i + 1, atLineFeed: true)
                    } else if c == 0x22 || (c == 0x0d && (i + 1 >= b.count || b[i + 1] != 0x0a)) {
                        return .slow
                    }
                    i += 1
                }
                if !eof { return .needMore }
                starts.append(fieldStart); ends.append(b.count)
                return .done(next: b.count, atLineFeed: false)
            }
            switch scan {
            case .done(let next, let atLineFeed):
                position = next
                inScratch = false
                if atLineFeed { line += 1 }
                return true
            case .needMore:
                _ = try fill()  // more bytes, or the end of the file (then the record ends with it): scan again
            case .slow:
                try slowRecord()
                return true
            }
        }
    }

    /// Parses the record at `position` byte by byte (quotes, stray carriage returns) into `scratch`.
    private mutating func slowRecord() throws {
        inScratch = true
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        scratch.removeAll(keepingCapacity: true)
        var fieldStart = 0
        var inQuotes = false
        var wasQuoted = false
        func endField() { starts.append(fieldStart); ends.append(scratch.count); fieldStart = scratch.count }
        while true {
            if try position >= buffer.count && !fill() {
                if inQuotes {
                    throw IngestError(.corrupt, "unterminated quoted field", path: path, line: recordLine)
                }
                endField()
                return
            }
            let c = buffer[position]
            position += 1
            if inQuotes {
                if c == 0x22 {
                    if position >= buffer.count { _ = try fill() }
                    if position < buffer.count && buffer[position] == 0x22 {
                        scratch.append(0x22)
                        position += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if c == 0x0a { line += 1 }
                    scratch.append(c)
                }
                continue
            }
            switch c {
            case 0x2c:
                endField()
                wasQuoted = false
            case 0x0a:
                line += 1
                endField()
                return
            case 0x0d:
                continue
            case 0x22 where scratch.count == fieldStart && !wasQuoted:
                inQuotes = true
                wasQuoted = true
            case 0x22:
                throw IngestError(.corrupt, "stray quote inside an unquoted field", path: path, line: line)
            default:
                scratch.append(c)
            }
        }
    }
}
