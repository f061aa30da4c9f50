import Foundation

/// An output file written in large buffered pieces (fixtures reach 10⁸ rows; nothing is kept whole in memory).
public final class FixtureFile {
    public let path: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    public private(set) var bytesWritten = 0

    public init(path: String) throws {
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw FixtureError("\(path): cannot create the file")
        }
        guard let h = FileHandle(forWritingAtPath: path) else { throw FixtureError("\(path): cannot open the file for writing") }
        handle = h
        buffer.reserveCapacity(1 << 20)
    }

    public func write(_ text: String) throws { buffer.append(contentsOf: text.utf8); if buffer.count >= 1 << 20 { try flush() } }

    /// Appends raw bytes through `body` and flushes when the buffer is full.
    public func withBuffer(_ body: (inout [UInt8]) -> Void) throws {
        body(&buffer)
        if buffer.count >= 1 << 20 { try flush() }
    }

    public func flush() throws {
        guard !buffer.isEmpty else { return }
        do { try handle.write(contentsOf: buffer) } catch { throw FixtureError("\(path): write failed: \(error.localizedDescription)") }
        bytesWritten += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    public func close() throws {
        try flush()
        try handle.close()
    }
}

public struct FixtureError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Byte-level formatting for rows: lower-case hex and decimal digits without intermediate strings.
enum Bytes {
    static let hexDigits = Array("0123456789abcdef".utf8)

    /// `count` hex digits of `value` (most significant first).
    static func appendHex(_ value: UInt64, digits count: Int, to out: inout [UInt8]) {
        var shift = (count - 1) * 4
        while shift >= 0 { out.append(hexDigits[Int((value >> UInt64(shift)) & 0xF)]); shift -= 4 }
    }

    static func appendDecimal(_ value: Int128, to out: inout [UInt8]) {
        if value >= 0 && value < Int128(UInt64.max) { appendDecimal(UInt64(value), to: &out) } else { out.append(contentsOf: String(value).utf8) }
    }

    static func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
        if value == 0 { out.append(48); return }
        var v = value
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)
            = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            while v > 0 { d[n] = UInt8(48 + v % 10); v /= 10; n += 1 }
            for i in stride(from: n - 1, through: 0, by: -1) { out.append(d[i]) }
        }
    }
}
