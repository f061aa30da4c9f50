/// A 32-byte hash (txid, block hash, merkle root) held in internal (serialisation) byte order.
///
/// Bitcoin displays these hashes byte-reversed; ``displayHex`` and ``init(displayHex:)`` convert.
/// Stored as four words so that it hashes and compares quickly as a dictionary key.
public struct Hash256: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    public static let zero = Hash256(w0: 0, w1: 0, w2: 0, w3: 0)

    public init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0; self.w1 = w1; self.w2 = w2; self.w3 = w3
    }

    /// Creates a hash from 32 bytes in internal order.
    public init<C: Collection>(internalBytes bytes: C) where C.Element == UInt8 {
        precondition(bytes.count == 32, "Hash256 needs 32 bytes")
        var words: [UInt64] = [0, 0, 0, 0]
        for (i, b) in bytes.enumerated() {
            words[i >> 3] |= UInt64(b) << (UInt64(i & 7) * 8)
        }
        self.init(w0: words[0], w1: words[1], w2: words[2], w3: words[3])
    }

    /// Creates a hash from the 32 bytes at `offset` in `buffer`, in internal order.
    /// - Precondition: `offset + 32 <= buffer.count`.
    public init(loading buffer: UnsafeRawBufferPointer, at offset: Int = 0) {
        precondition(offset + 32 <= buffer.count, "Hash256 needs 32 bytes")
        w0 = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        w1 = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
        w2 = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self))
        w3 = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self))
    }

    /// Parses the usual byte-reversed display hex (64 hex digits).
    public init?<S: StringProtocol>(displayHex: S) {
        guard displayHex.utf8.count == 64, let bytes = Hex.decode(displayHex) else { return nil }
        self.init(internalBytes: bytes.reversed())
    }

    /// The 32 bytes in internal order.
    public var internalBytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        for (i, w) in [w0, w1, w2, w3].enumerated() {
            for j in 0..<8 { out[i * 8 + j] = UInt8(truncatingIfNeeded: w >> (UInt64(j) * 8)) }
        }
        return out
    }

    /// The 32 bytes in display (reversed) order.
    public var displayBytes: [UInt8] { internalBytes.reversed() }

    /// Display hex, as block explorers and Bitcoin Core print it.
    public var displayHex: String { Hex.encode(displayBytes) }

    public var description: String { displayHex }

    public var isZero: Bool { w0 | w1 | w2 | w3 == 0 }

    public static func < (a: Hash256, b: Hash256) -> Bool {
        (a.w3, a.w2, a.w1, a.w0) < (b.w3, b.w2, b.w1, b.w0)
    }
}
