import FlowFixtures

/// A small seeded generator (the fixtures' SplitMix64) so property tests are reproducible from their seed.
public struct SeededRandom: RandomNumberGenerator {
    var generator: SplitMix64
    public init(seed: UInt64) { generator = SplitMix64(state: seed) }
    public mutating func next() -> UInt64 { generator.next() }
    public mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    public mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
}
