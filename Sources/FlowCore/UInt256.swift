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
    @inline(__always)
    private mutating func multiplyAdd(_ factor: UInt64, _ term: UInt64) -> Bool {
        @inline(__always) func step(_ limb: inout UInt64, _ carry: inout UInt64) {
            let (hi, lo) = limb.multipliedFullWidth(by: factor)
            let (sum, o) = lo.addingReportingOverflow(carry)
            limb = sum
            carry = hi &+ (o ? 1 : 0)
        }
        var carry = term
        step(&limbs.0, &carry); step(&limbs.1, &carry); step(&limbs.2, &carry); step(&limbs.3, &carry)
        return carry == 0
    }

    /// Divides in place by a small divisor, returning the remainder.
    mutating func divide(by d: UInt64) -> UInt64 {
        var rem: UInt64 = 0
        func step(_ limb: inout UInt64) {
            let (q, r) = d.dividingFullWidth((rem, limb))
            limb = q
            rem = r
        }
        step(&limbs.3); step(&limbs.2); step(&limbs.1); step(&limbs.0)
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
        if let parsed = bytes.withContiguousStorageIfAvailable({ UInt256(decimalBuffer: $0) }) {
            guard let parsed else { return nil }
            self = parsed
            return
        }
        var v = UInt256.zero
        guard !bytes.isEmpty else { return nil }
        for c in bytes {
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            guard v.multiplyAdd(10, UInt64(c - UInt8(ascii: "0"))) else { return nil }
        }
        self = v
    }

    /// Decimal digits in contiguous bytes, 19 at a time (10^19 is the largest power of ten a limb holds).
    private init?(decimalBuffer b: UnsafeBufferPointer<UInt8>) {
        guard !b.isEmpty else { return nil }
        var v = UInt256.zero
        var start = 0, length = b.count % 19 == 0 ? 19 : b.count % 19
        while start < b.count {
            var chunk: UInt64 = 0, scale: UInt64 = 1
            for i in start..<(start + length) {
                let d = b[i] &- UInt8(ascii: "0")
                guard d < 10 else { return nil }
                chunk = chunk &* 10 &+ UInt64(d)
                scale = scale &* 10
            }
            guard v.multiplyAdd(scale, chunk) else { return nil }
            start += length
            length = 19
        }
        self = v
    }

    public var description: String {
        String(unsafeUninitializedCapacity: UInt256.maxDecimalLength) { writeDecimal(to: $0.baseAddress!) }
    }
}
