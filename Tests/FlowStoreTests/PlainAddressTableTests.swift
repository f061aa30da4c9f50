import FlowCore
@testable import FlowStore
import Testing
import TestSupport

/// The derivation's table of packed address ids answers as a dictionary does, through its growth and for addresses
/// that share most of their digits.
@Suite("Packed address ids")
struct PlainAddressTableTests {
    @Test func answersAsADictionaryDoes() {
        var rng = SeededRandom(seed: 99)
        var table = PlainAddressTable(), expected: [EthAddress20: Int64] = [:]
        func random() -> EthAddress20 {
            // A third share their first 32 digits with another address: only the last word tells them apart.
            let w0 = rng.chance(0.33) ? 0x1234_5678_9abc_def0 : rng.next()
            return EthAddress20(w0: w0, w1: rng.chance(0.33) ? 42 : rng.next(), w2: UInt32(truncatingIfNeeded: rng.next()))
        }
        for id in 1...200_000 {
            let a = random()
            if expected[a] == nil {
                expected[a] = Int64(id)
                table.insert(a, id: Int64(id))
            }
            if id % 20_000 == 0 { #expect(table.count == expected.count) }
        }
        for (a, id) in expected { #expect(table.id(of: a) == id) }
        var misses = 0
        for _ in 0..<50_000 {
            let a = random()
            if expected[a] == nil { misses += 1; #expect(table.id(of: a) == nil) }
        }
        #expect(misses > 1_000)
    }
}
