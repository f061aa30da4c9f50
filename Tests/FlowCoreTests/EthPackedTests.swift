import FlowCore
import Foundation
import Testing
import TestSupport

/// Packed hashes, addresses and decimal quantities hold exactly what their text says, and refuse any text that is
/// not in the plain form (that row then takes the string path, which normalises or rejects it).
@Suite("Packed Ethereum values")
struct EthPackedTests {
    /// The obvious way: each digit on its own.
    static func slowParse(_ text: String) -> [UInt8]? {
        let u = Array(text.utf8)
        guard u.count >= 2, u[0] == UInt8(ascii: "0"), u[1] == UInt8(ascii: "x") else { return nil }
        var out: [UInt8] = []
        for c in u[2...] {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): out.append(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): out.append(c - UInt8(ascii: "a") + 10)
            default: return nil
            }
        }
        return out
    }

    static func randomHex(_ digits: Int, _ rng: inout SeededRandom) -> String {
        "0x" + String((0..<digits).map { _ in Array("0123456789abcdef")[rng.int(0...15)] })
    }

    @Test func plainHashesAndAddressesRoundTrip() throws {
        var rng = SeededRandom(seed: 42)
        var samples = ["0x" + String(repeating: "0", count: 64), "0x" + String(repeating: "f", count: 64),
                       "0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"]
        for _ in 0..<2000 { samples.append(Self.randomHex(64, &rng)) }
        for text in samples {
            let h = try #require(EthHash32(plain: text), "\(text)")
            #expect(h.text == text)
            // Every digit lands where it was written: the first 16 make the first word.
            let digits = try #require(Self.slowParse(text))
            #expect(h.w0 == digits[0..<16].reduce(0) { $0 << 4 | UInt64($1) })
            #expect(h.w3 == digits[48..<64].reduce(0) { $0 << 4 | UInt64($1) })
            let address = "0x" + text.dropFirst(2).prefix(40)
            let a = try #require(EthAddress20(plain: address))
            #expect(a.text == address)
            #expect(a.w2 == UInt32(digits[32..<40].reduce(0) { $0 << 4 | UInt64($1) }))
        }
        #expect(Set(samples.compactMap { EthHash32(plain: $0) }).count == Set(samples).count)
    }

    @Test func anythingButThePlainFormIsRefused() {
        var rng = SeededRandom(seed: 7)
        let good = Self.randomHex(64, &rng)
        #expect(EthHash32(plain: good) != nil)
        // Every byte value at every digit position: only 0-9 and a-f pass.
        let allowed = Set("0123456789abcdef".utf8)
        var bytes = Array(good.utf8)
        for position in 2..<66 {
            let kept = bytes[position]
            for b in UInt8.min...UInt8.max {
                bytes[position] = b
                let parsed = bytes.withUnsafeBufferPointer { EthHash32(plain: $0) }
                #expect((parsed != nil) == allowed.contains(b), "byte \(b) at \(position)")
            }
            bytes[position] = kept
        }
        for text in [good.uppercased(), "0X" + good.dropFirst(2), String(good.dropLast()), good + "0", "", "0x",
                     " " + good.dropFirst(), "1x" + good.dropFirst(2)] {
            #expect(EthHash32(plain: text) == nil, "\(text)")
        }
        let address = "0x52908400098527886e0f7030069857d2e4169ee7"
        #expect(EthAddress20(plain: address)?.text == address)
        for text in ["0x52908400098527886E0F7030069857D2E4169EE7", String(address.dropLast()), address + "7", "0x" + String(repeating: "g", count: 40)] {
            #expect(EthAddress20(plain: text) == nil, "\(text)")
        }
    }

    @Test func decimalTextIsExactToTheLargestValue() throws {
        var rng = SeededRandom(seed: 3)
        var values: [UInt256] = [.zero, UInt256(1), UInt256(9), UInt256(10), UInt256(UInt64.max),
                                 UInt256(limbs: (.max, .max, .max, .max)), UInt256(limbs: (0, 1, 0, 0)),
                                 try #require(UInt256(decimal: "10000000000000000000")), try #require(UInt256(decimal: "9999999999999999999"))]
        for _ in 0..<2000 {
            let width = rng.int(1...4)
            values.append(UInt256(limbs: (rng.next(), width > 1 ? rng.next() : 0, width > 2 ? rng.next() : 0, width > 3 ? rng.next() : 0)))
        }
        for v in values {
            let text = v.description
            // Back through the parser, and against Foundation's arithmetic for 128-bit values.
            #expect(UInt256(decimal: text) == v, "\(text)")
            #expect(text.count <= UInt256.maxDecimalLength && (text == "0" || !text.hasPrefix("0")))
            if v.limbs.2 == 0, v.limbs.3 == 0 { #expect(text == String(UInt128(v.limbs.1) << 64 | UInt128(v.limbs.0))) }
        }
        #expect(UInt256(limbs: (.max, .max, .max, .max)).description
                == "115792089237316195423570985008687907853269984665640564039457584007913129639935")
    }
}
