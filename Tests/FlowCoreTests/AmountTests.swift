import FlowCore
import Testing
import TestSupport

@Suite("Exact amounts")
struct AmountTests {
    @Test(arguments: [
        ("50.00000000", 8, Int128(5_000_000_000)),
        ("0.00000001", 8, Int128(1)),
        ("1e-8", 8, Int128(1)),
        ("21000000", 8, Int128(2_100_000_000_000_000)),
        ("-0.5", 8, Int128(-50_000_000)),
        ("1.000000000000000001", 18, Int128(1_000_000_000_000_000_001)),
        ("4836.26", 18, Int128(4_836_260_000_000_000_000_000)),
        ("10.10", 1, Int128(101)),
        ("0", 0, Int128(0)),
    ])
    func parsesDecimalText(text: String, decimals: Int, expected: Int128) {
        #expect(Amount(decimal: text, decimals: decimals)?.baseUnits == expected)
    }

    @Test func rejectsInexactOrMalformedText() {
        #expect(Amount.parse(decimal: "0.000000001", decimals: 8) == .failure(.tooManyDecimals))
        #expect(Amount.parse(decimal: "1.5", decimals: 0) == .failure(.tooManyDecimals))
        #expect(Amount.parse(decimal: "1.2.3", decimals: 8) == .failure(.notANumber))
        #expect(Amount.parse(decimal: "", decimals: 8) == .failure(.notANumber))
        #expect(Amount.parse(decimal: "12a", decimals: 8) == .failure(.notANumber))
        #expect(Amount.parse(decimal: "1" + String(repeating: "0", count: 40), decimals: 0) == .failure(.outOfRange))
    }

    @Test func exceedsSixtyFourBits() {
        // 1,000,000 ETH in wei does not fit an Int64.
        let a = Amount(decimal: "1000000", decimals: 18)
        #expect(a?.baseUnits == Int128(1_000_000) * Int128(1_000_000_000_000_000_000))
        #expect(a?.formatted(decimals: 18) == "1000000.000000000000000000")
    }

    @Test func formatsWithFixedDecimals() {
        #expect(Amount(1_000_000_000).formatted(decimals: 8) == "10.00000000")
        #expect(Amount(1).formatted(decimals: 8) == "0.00000001")
        #expect(Amount(-150_000_000).formatted(decimals: 8) == "-1.50000000")
        #expect(Amount(42).formatted(decimals: 0) == "42")
    }

    /// Property: print then parse returns the same base units, for random values and decimal places.
    @Test func roundTripsThroughText() {
        var rng = SeededRandom(seed: 20_261_123)
        for _ in 0..<5_000 {
            let high = Int128(Int64.random(in: -1_000_000_000...1_000_000_000, using: &rng))
            let low = Int128(UInt64.random(in: 0...UInt64.max, using: &rng))
            let value = high * Int128(1) << 64 + low
            let decimals = Int.random(in: 0...30, using: &rng)
            let amount = Amount(baseUnits: value)
            let text = amount.formatted(decimals: decimals)
            #expect(Amount(decimal: text, decimals: decimals) == amount, "\(text) at \(decimals) decimals")
            #expect(Amount(baseUnitString: amount.description) == amount)
        }
    }
}
