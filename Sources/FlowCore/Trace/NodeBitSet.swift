/// A fixed set of node ids in `0 ..< count` as a bitmap: a membership test is one load and a mask, where a hashed
/// set hashes the id first — it sits on the tracers' per-node path (the stop test).
public struct NodeBitSet: Sendable {
    private let words: [UInt64]
    public let count: Int

    /// The ids of `members` that lie in `0 ..< universe` (others are ignored).
    public init<S: Sequence>(_ members: S, universe: Int) where S.Element == Int {
        var words = [UInt64](repeating: 0, count: (max(0, universe) + 63) / 64)
        var count = 0
        for v in members where v >= 0 && v < universe && words[v >> 6] & (1 << UInt64(v & 63)) == 0 {
            words[v >> 6] |= 1 << UInt64(v & 63)
            count += 1
        }
        self.words = words
        self.count = count
    }

    public var isEmpty: Bool { count == 0 }

    @inline(__always) public func contains(_ v: Int) -> Bool {
        v >= 0 && v >> 6 < words.count && words[v >> 6] & (1 << UInt64(v & 63)) != 0
    }
}
