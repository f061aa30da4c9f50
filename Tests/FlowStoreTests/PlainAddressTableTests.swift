import FlowCore
@testable import FlowStore
import Testing
import TestSupport

/// The derivation's table of packed address ids answers as a dictionary does, through its growth and for addresses
/// that share most of their digits.
@Suite("Packed address ids and keys")
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

    /// The derivation's keys for hashes and addresses read from the store stand for their text: packed only in the
    /// plain form, the text otherwise, written back as given, equal (and hashed alike) exactly when the texts are.
    @Test func keysCompareAsTheirTexts() {
        var rng = SeededRandom(seed: 7)
        func hex(_ digits: Int) -> String { "0x" + (0..<digits).map { _ in String(rng.int(0...15), radix: 16) }.joined() }
        var texts: [String] = []
        for _ in 0..<300 {
            let h = hex(64)
            texts += [h, h.uppercased(), "0X" + h.dropFirst(2), String(h.dropLast())]
        }
        texts += ["reward_17173049_0", "withdrawal_5", "ethereum:fees", "", "0x"]
        let hashes = texts.map(EthTxKey.init)
        #expect(hashes.filter { if case .packed = $0 { return true }; return false }.count == 300)
        #expect(zip(hashes, texts).allSatisfy { $0.description == $1 })
        var addresses: [String] = []
        for _ in 0..<300 { let a = hex(40); addresses += [a, a.uppercased(), a + "0"] }
        addresses += ["ethereum:fees", "ethereum:block-reward"]
        let keys = addresses.map(EthAddressKey.init)
        #expect(keys.filter { if case .packed = $0 { return true }; return false }.count == 300)
        #expect(zip(keys, addresses).allSatisfy { $0.description == $1 })
        for (i, a) in keys.enumerated() {
            for j in stride(from: i % 7, to: keys.count, by: 7) {
                #expect((a == keys[j]) == (addresses[i] == addresses[j]))
            }
        }
        #expect(Set(hashes).count == Set(texts).count && Set(keys).count == Set(addresses).count)
    }
}
