/// Exact integer apportioning used by the taint policies.
public enum Allocation {
    /// ⌊a × b / c⌋ for a, b ≥ 0 and c > 0, exact (256-bit intermediate); the result must fit 128 bits, which holds
    /// whenever a ≤ c or b ≤ c.
    @inline(__always)
    public static func mulDiv(_ a: Int128, _ b: Int128, _ c: Int128) -> Int128 {
        let (q, _) = mulDivRem(a, b, c)
        return q
    }

    /// (⌊a × b / c⌋, (a × b) mod c), exact.
    @inline(__always)
    public static func mulDivRem(_ a: Int128, _ b: Int128, _ c: Int128) -> (Int128, Int128) {
        precondition(a >= 0 && b >= 0 && c > 0, "mulDiv takes non-negative factors and a positive divisor")
        if a <= Int128(UInt64.max) && b <= Int128(UInt64.max) {
            let p = UInt128(UInt64(a)) * UInt128(UInt64(b))
            let (q, r) = p.quotientAndRemainder(dividingBy: UInt128(c))
            return (Int128(q), Int128(r))
        }
        let product = UInt128(a).multipliedFullWidth(by: UInt128(b))
        let (q, r) = UInt128(c).dividingFullWidth(product)
        return (Int128(q), Int128(r))
    }

    /// Splits `total` over `weights` in proportion, exactly: each share is ⌊total × w / W⌋ (W the weights' sum), and
    /// the units left over go one each to the largest remainders (ties: the lower index). The shares sum to `total`.
    /// With W = 0 everything goes to the last index.
    /// - Complexity: O(n log n) in the number of weights.
    public static func largestRemainders(total: Int128, weights: [Int128]) -> [Int128] {
        var shares = [Int128](repeating: 0, count: weights.count)
        guard !weights.isEmpty, total > 0 else { return shares }
        let sum = weights.reduce(0, +)
        guard sum > 0 else { shares[shares.count - 1] = total; return shares }
        var remainders: [(Int128, Int)] = []
        var given: Int128 = 0
        for (i, w) in weights.enumerated() where w > 0 {
            let (q, r) = mulDivRem(total, w, sum)
            shares[i] = q
            given += q
            if r > 0 { remainders.append((r, i)) }
        }
        var left = total - given
        if left > 0 {
            remainders.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
            for (_, i) in remainders where left > 0 { shares[i] += 1; left -= 1 }
            // Only when total exceeds the weights' sum would units remain; keep them (conservation) on the last.
            if left > 0 { shares[shares.count - 1] += left }
        }
        return shares
    }
}

/// Tainted stretches of a value seen as a line of base units `0 ..< value`: sorted, disjoint, non-adjacent
/// half-open intervals. FIFO and LIFO move these exactly.
public struct IntervalList: Equatable, Sendable {
    /// start₀, end₀, start₁, end₁, …
    public private(set) var bounds: [Int128] = []

    public init() {}

    /// The whole line `0 ..< length` (empty when length is 0).
    public static func full(_ length: Int128) -> IntervalList {
        var l = IntervalList()
        if length > 0 { l.bounds = [0, length] }
        return l
    }

    public var isEmpty: Bool { bounds.isEmpty }

    /// Total tainted length.
    public var total: Int128 {
        var t: Int128 = 0
        var i = 0
        while i < bounds.count { t += bounds[i + 1] - bounds[i]; i += 2 }
        return t
    }

    /// Appends `start ..< end`, which must not start before the current end.
    public mutating func append(_ start: Int128, _ end: Int128) {
        guard end > start else { return }
        if let last = bounds.last, last == start { bounds[bounds.count - 1] = end } else { bounds += [start, end] }
    }

    /// Appends every interval of `other` shifted by `offset` (which must not overlap what is there).
    public mutating func append(_ other: IntervalList, shiftedBy offset: Int128) {
        var i = 0
        while i < other.bounds.count { append(other.bounds[i] + offset, other.bounds[i + 1] + offset); i += 2 }
    }

    /// The part inside `lower ..< upper`, shifted so that `lower` becomes 0.
    public func slice(_ lower: Int128, _ upper: Int128) -> IntervalList {
        var out = IntervalList()
        var i = 0
        while i < bounds.count {
            let s = max(bounds[i], lower), e = min(bounds[i + 1], upper)
            if bounds[i] >= upper { break }
            if e > s { out.append(s - lower, e - lower) }
            i += 2
        }
        return out
    }
}
