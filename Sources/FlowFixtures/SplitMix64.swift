/// The deterministic generator of the benchmark fixtures (SplitMix64): same seed, same sequence, on every platform.
public struct SplitMix64: Sendable {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }
    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
    /// Uniform in 0..<n.
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// Zipf(1) weights over `count` users, in integers (2⁴⁰ / rank, summed), so every platform draws the same user for
/// the same random number: a few users are picked most of the time.
struct ZipfWeights: Sendable {
    let cumulative: [UInt64]

    init(count: Int) {
        var c: [UInt64] = []
        c.reserveCapacity(count)
        var total: UInt64 = 0
        for i in 0..<count { total += (1 << 40) / UInt64(i + 1); c.append(total) }
        cumulative = c
    }

    /// A user index, by binary search of one random draw over the cumulative weights.
    func pick(_ random: inout SplitMix64) -> Int {
        let r = random.next() % cumulative[cumulative.count - 1]
        var lo = 0, hi = cumulative.count - 1
        while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] > r { hi = mid } else { lo = mid + 1 } }
        return lo
    }
}
