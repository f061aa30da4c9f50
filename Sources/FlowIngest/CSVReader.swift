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
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEOF = false
    /// 1-based line where the record last returned started.
    public private(set) var recordLine = 0
    private var line = 1

    public init(path: String) throws {
        guard let h = FileHandle(forReadingAtPath: path) else {
            throw IngestError(FileManager.default.fileExists(atPath: path) ? .unreadable : .missingFile,
                              FileManager.default.fileExists(atPath: path) ? "cannot open the file" : "no such file", path: path)
        }
        self.path = path
        handle = h
    }

    private mutating func fill() -> Bool {
        guard !atEOF else { return false }
        if position > 0 { buffer.removeFirst(position); position = 0 }
        let chunk = (try? handle.read(upToCount: 1 << 20)) ?? Data()
        if chunk.isEmpty { atEOF = true; try? handle.close(); return false }
        buffer.append(contentsOf: chunk)
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
        while true {
            if position >= buffer.count && !fill() { return nil }
            // Skip blank lines.
            let c = buffer[position]
            if c == 0x0a { position += 1; line += 1; continue }
            if c == 0x0d { position += 1; continue }
            break
        }
        recordLine = line
        var fields: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        var wasQuoted = false
        while true {
            if position >= buffer.count && !fill() {
                if inQuotes {
                    throw IngestError(.corrupt, "unterminated quoted field", path: path, line: recordLine)
                }
                fields.append(String(decoding: field, as: UTF8.self))
                return fields
            }
            if !inQuotes {
                // An unquoted run up to the next comma, line end or quote, found in one scan: a whole field that ends
                // at a comma or LF becomes a string straight from the buffer, anything else joins `field` byte-wise.
                let start = position
                let end = buffer.withUnsafeBufferPointer { b in
                    var i = start
                    while i < b.count, b[i] != 0x2c, b[i] != 0x0a, b[i] != 0x0d, b[i] != 0x22 { i += 1 }
                    return i
                }
                if end < buffer.count && field.isEmpty && (buffer[end] == 0x2c || buffer[end] == 0x0a) {
                    fields.append(String(decoding: buffer[start..<end], as: UTF8.self))
                    position = end + 1
                    wasQuoted = false
                    if buffer[end] == 0x0a { line += 1; return fields }
                    continue
                }
                field.append(contentsOf: buffer[start..<end])
                position = end
                if position >= buffer.count { continue }
            }
            let c = buffer[position]
            position += 1
            if inQuotes {
                if c == 0x22 {
                    if position >= buffer.count { _ = fill() }
                    if position < buffer.count && buffer[position] == 0x22 {
                        field.append(0x22)
                        position += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if c == 0x0a { line += 1 }
                    field.append(c)
                }
                continue
            }
            switch c {
            case 0x2c:
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
                wasQuoted = false
            case 0x0a:
                line += 1
                fields.append(String(decoding: field, as: UTF8.self))
                return fields
            case 0x0d:
                continue
            case 0x22 where field.isEmpty && !wasQuoted:
                inQuotes = true
                wasQuoted = true
            case 0x22:
                throw IngestError(.corrupt, "stray quote inside an unquoted field", path: path, line: line)
            default:
                field.append(c)
            }
        }
    }
}
