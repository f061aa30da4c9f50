/// An exact unsigned 256-bit integer: Ethereum's `uint256` (wei, token units, token ids), parsed from `0x` hex
/// quantities or decimal text and printed in decimal. Only what ingest needs: parsing, printing, comparison,
/// addition, and narrowing to `Int128` (the store's and tracer's amount width) without ever truncating.
public struct UInt256: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Little-endian 64-bit limbs.
    public var limbs: (UInt64, UInt64, UInt64, UInt64)

    public init(limbs: (UInt64, UInt64, UInt64, UInt64)) { self.limbs = limbs }
    public init(_ v: UInt64) { limbs = (v, 0, 0, 0) }
    public static let zero = UInt256(0)

    public static func == (a: UInt256, b: UInt256) -> Bool { a.limbs == b.limbs }
    public func hash(into h: inout Hasher) { h.combine(limbs.0); h.combine(limbs.1); h.combine(limbs.2); h.combine(limbs.3) }
    public static func < (a: UInt256, b: UInt256) -> Bool {
        if a.limbs.3 != b.limbs.3 { return a.limbs.3 < b.limbs.3 }
        if a.limbs.2 != b.limbs.2 { return a.limbs.2 < b.limbs.2 }
        if a.limbs.1 != b.limbs.1 { return a.limbs.1 < b.limbs.1 }
        return a.limbs.0 < b.limbs.0
    }

    public var isZero: Bool { limbs == (0, 0, 0, 0) }

    /// The value as `Int128` when it fits (below 2¹²⁷), else nil.
    public var int128: Int128? {
        guard limbs.2 == 0, limbs.3 == 0, limbs.1 >> 63 == 0 else { return nil }
        return Int128(limbs.1) << 64 | Int128(limbs.0)
    }

    public init?(exactly v: Int128) {
        guard v >= 0 else { return nil }
        limbs = (UInt64(truncatingIfNeeded: v), UInt64(truncatingIfNeeded: v >> 64), 0, 0)
    }

    /// `a + b`, or nil on overflow.
    public static func adding(_ a: UInt256, _ b: UInt256) -> UInt256? {
        var out = [UInt64](repeating: 0, count: 4)
        var carry: UInt64 = 0
        let x = [a.limbs.0, a.limbs.1, a.limbs.2, a.limbs.3], y = [b.limbs.0, b.limbs.1, b.limbs.2, b.limbs.3]
        for i in 0..<4 {
            let (s1, o1) = x[i].addingReportingOverflow(y[i])
            let (s2, o2) = s1.addingReportingOverflow(carry)
            out[i] = s2
            carry = (o1 ? 1 : 0) + (o2 ? 1 : 0)
        }
        return carry == 0 ? UInt256(limbs: (out[0], out[1], out[2], out[3])) : nil
    }

    /// `a - b`, or nil when `b > a`.
    public static func subtracting(_ a: UInt256, _ b: UInt256) -> UInt256? {
        guard !(a < b) else { return nil }
        var out = [UInt64](repeating: 0, count: 4)
        var borrow: UInt64 = 0
        let x = [a.limbs.0, a.limbs.1, a.limbs.2, a.limbs.3], y = [b.limbs.0, b.limbs.1, b.limbs.2, b.limbs.3]
        for i in 0..<4 {
            let (d1, o1) = x[i].subtractingReportingOverflow(y[i])
            let (d2, o2) = d1.subtractingReportingOverflow(borrow)
            out[i] = d2
            borrow = (o1 ? 1 : 0) + (o2 ? 1 : 0)
        }
        return UInt256(limbs: (out[0], out[1], out[2], out[3]))
    }

    /// `a - b` as signed decimal text (`-` when `b > a`).
    public static func signedDifference(_ a: UInt256, _ b: UInt256) -> String {
        if let d = subtracting(a, b) { return d.description }
        return "-" + (subtracting(b, a) ?? .zero).description
    }

    /// Multiplies by a small factor and adds a small term in place; false on overflow.
    private mutating func multiplyAdd(_ factor: UInt64, _ term: UInt64) -> Bool {
        var l = [limbs.0, limbs.1, limbs.2, limbs.3]
        var carry = term
        for i in 0..<4 {
            let (hi, lo) = l[i].multipliedFullWidth(by: factor)
            let (sum, o) = lo.addingReportingOverflow(carry)
            l[i] = sum
            carry = hi &+ (o ? 1 : 0)
        }
        limbs = (l[0], l[1], l[2], l[3])
        return carry == 0
    }

    /// Divides in place by a small divisor, returning the remainder.
    private mutating func divide(by d: UInt64) -> UInt64 {
        var l = [limbs.0, limbs.1, limbs.2, limbs.3]
        var rem: UInt64 = 0
        for i in stride(from: 3, through: 0, by: -1) {
            let (q, r) = d.dividingFullWidth((rem, l[i]))
            l[i] = q
            rem = r
        }
        limbs = (l[0], l[1], l[2], l[3])
        return rem
    }

    /// Parses a JSON-RPC quantity (`0x` followed by 1–64 hex digits; `0x` alone is zero, as some nodes write it).
    public init?(hexQuantity text: some StringProtocol) {
        let u = Array(text.utf8)
        guard u.count >= 2, u[0] == UInt8(ascii: "0"), u[1] == UInt8(ascii: "x") || u[1] == UInt8(ascii: "X") else { return nil }
        self.init(hexDigits: u[2...])
    }

    /// Parses bare hex digits (up to 64 significant ones; leading zeros allowed, as in a 32-byte log word).
    public init?(hexDigits u: ArraySlice<UInt8>) {
        var v = UInt256.zero
        var significant = 0
        for c in u {
            let d: UInt64
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt64(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt64(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt64(c - UInt8(ascii: "A") + 10)
            default: return nil
            }
            if significant == 0 && d == 0 { continue }
            significant += 1
            guard significant <= 64 else { return nil }
            _ = v.multiplyAdd(16, d)
        }
        self = v
    }

    /// Parses a non-negative decimal integer (no sign, no separators); nil when it is not one or exceeds 2²⁵⁶ − 1.
    public init?(decimal text: some StringProtocol) {
        self.init(decimalDigits: text.utf8)
    }

    /// Parses the UTF-8 bytes of a non-negative decimal integer, like ``init(decimal:)``.
    public init?(decimalDigits bytes: some Collection<UInt8>) {
        var v = UInt256.zero
        guard !bytes.isEmpty else { return nil }
        for c in bytes {
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            guard v.multiplyAdd(10, UInt64(c - UInt8(ascii: "0"))) else { return nil }
        }
        self = v
    }

    public var description: String {
        if isZero { return "0" }
        var v = self
        var chunks: [UInt64] = []
        while !v.isZero { chunks.append(v.divide(by: 10_000_000_000_000_000_000)) }
        var s = String(chunks.removeLast())
        for c in chunks.reversed() {
            let part = String(c)
            s += String(repeating: "0", count: 19 - part.count) + part
        }
        return s
    }
}
