import FlowIngest
import Foundation
import Testing

/// The RFC 4180 reader: quoting, line ends, blank lines, located errors, and fields that straddle a buffer refill.
@Suite("CSV reader")
struct CSVReaderTests {
    static func write(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString).csv").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Every record of `text`, with the line each starts on.
    static func records(_ text: String) throws -> [(line: Int, fields: [String])] {
        let path = try write(Array(text.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        var reader = try CSVReader(path: path)
        var out: [(Int, [String])] = []
        while let r = try reader.next() { out.append((reader.recordLine, r)) }
        return out
    }

    /// A slow reference: the whole text at once, character by character, by the same rules.
    static func reference(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = "", inQuotes = false, started = false
        let chars = Array(text.unicodeScalars)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < chars.count && chars[i + 1] == "\"" { field.unicodeScalars.append("\""); i += 1 } else { inQuotes = false }
                } else {
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                inQuotes = true; started = true
            } else if c == "," {
                row.append(field); field = ""; started = true
            } else if c == "\n" {
                if started || !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
                row = []; field = ""; started = false
            } else if c != "\r" {
                field.unicodeScalars.append(c); started = true
            }
            i += 1
        }
        if started || !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }

    @Test func quotingLineEndsAndBlankLines() throws {
        let text = "a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\n\n1,,\"two\nlines\"\n\"\",3,é\nlast,row"
        let got = try Self.records(text)
        #expect(got.map(\.fields) == [["a", "b", "c"], ["x, y", "say \"hi\"", ""], ["1", "", "two\nlines"], ["", "3", "é"], ["last", "row"]])
        #expect(got.map(\.line) == [1, 2, 4, 6, 7])
        #expect(got.map(\.fields) == Self.reference(text))
    }

    @Test func badQuotesAreLocated() throws {
        for (text, line, message) in [("a,b\nab\"c,d\n", 2, "stray quote"), ("a,b\n\"open,d\nmore\n", 2, "unterminated")] {
            do {
                _ = try Self.records(text)
                Issue.record("no error for \(text.debugDescription)")
            } catch let e as IngestError {
                #expect(e.line == line, "\(e)")
                #expect("\(e)".contains(message), "\(e)")
            }
        }
    }

    /// A file that opens but cannot be read (here a directory: read(2) fails with EISDIR) is an error naming the
    /// file and the offset of the failed read, for every streamed reader: never an empty file or an early end.
    @Test func aFailedReadIsAnErrorNotTheEndOfTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("unreadable-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func expectUnreadable(_ what: String, _ body: () throws -> Void) {
            do {
                try body()
                Issue.record("\(what): no error")
            } catch let e as IngestError {
                #expect(e.code == .unreadable && e.path == dir && e.byteOffset == 0, "\(what): \(e)")
                #expect("\(e)".contains("read failed") && "\(e)".contains("Is a directory"), "\(what): \(e)")
            } catch {
                Issue.record("\(what): \(error)")
            }
        }
        expectUnreadable("CSV") { var reader = try CSVReader(path: dir); _ = try reader.nextRecord() }
        expectUnreadable("digest") { _ = try FileDigest.sha256Hex(path: dir) }
        expectUnreadable("JSON Lines") { try JSONFile.forEachLine(path: dir) { _, _ in } }
    }

    /// Records of random fields (quoted or not, with commas, quotes, CR and LF inside quotes) over more than one
    /// 1 MiB read buffer, so that fields and quote pairs straddle the refills: the same records as the reference.
    /// Long fields are plain or full of specials half the time each, so refills land in both kinds; several seeds.
    @Test(arguments: [0x5eed, 7, 42, 1_000_003] as [UInt64])
    func fieldsAcrossBufferRefillsMatchTheReference(seed: UInt64) throws {
        var state: UInt64 = seed
        func next(_ n: Int) -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int((state >> 33) % UInt64(n)) }
        let alphabet = Array("abcxyz0123456789 ,\"\r\n"), plain = Array("abcxyz0123456789 ")
        var text = ""
        while text.utf8.count < 2_400_000 {
            let fields = (0..<(1 + next(6))).map { _ -> String in
                let long = next(20) == 0
                let length = long ? 3_000 + next(5_000) : next(12)
                let letters = long && next(2) == 0 ? plain : alphabet
                var s = ""
                for _ in 0..<length { s.append(letters[next(letters.count)]) }
                let needsQuotes = s.contains { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" } || s.isEmpty
                return needsQuotes ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
            }
            text += fields.joined(separator: ",") + (next(3) == 0 ? "\r\n" : "\n")
        }
        let got = try Self.records(text).map(\.fields)
        let want = Self.reference(text)
        #expect(got.count == want.count)
        // Only the first difference is shown (the records are megabytes).
        if let i = (0..<min(got.count, want.count)).first(where: { got[$0] != want[$0] }) {
            Issue.record("record \(i) differs: \(got[i].map { String($0.prefix(40)) }) against \(want[i].map { String($0.prefix(40)) })")
        }
    }
}
