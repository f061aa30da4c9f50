/// Base58 and Base58Check, the encoding of legacy Bitcoin addresses.
public enum Base58 {
    private static let alphabet: [UInt8] = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)
    private static let decodeTable: [Int8] = {
        var t = [Int8](repeating: -1, count: 128)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = Int8(i) }
        return t
    }()

    /// Encodes bytes in Base58 (leading zero bytes become `1`s).
    ///
    /// Converts through 32-bit limbs in base 58^5 so a 25-byte address costs a few dozen divisions.
    /// - Complexity: O(n²) in the input length, n ≤ 25 for addresses.
    public static func encode(_ bytes: [UInt8]) -> String {
        let zeros = bytes.prefix { $0 == 0 }.count
        // Big-endian number as base-2^32 limbs, left-padded to a whole limb.
        let rest = Array(bytes[zeros...])
        let pad = (4 - rest.count % 4) % 4
        let padded = [UInt8](repeating: 0, count: pad) + rest
        var limbs = [UInt32](repeating: 0, count: padded.count / 4)
        for i in 0..<limbs.count {
            limbs[i] = UInt32(padded[4 * i]) << 24 | UInt32(padded[4 * i + 1]) << 16
                | UInt32(padded[4 * i + 2]) << 8 | UInt32(padded[4 * i + 3])
        }
        var digits: [UInt8] = []  // little-endian base-58 digits
        let base: UInt64 = 656_356_768  // 58^5
        var start = limbs.firstIndex { $0 != 0 } ?? limbs.count
        while start < limbs.count {
            var rem: UInt64 = 0
            for i in start..<limbs.count {
                let cur = rem << 32 | UInt64(limbs[i])
                limbs[i] = UInt32(cur / base)
                rem = cur % base
            }
            for _ in 0..<5 { digits.append(UInt8(rem % 58)); rem /= 58 }
            while start < limbs.count && limbs[start] == 0 { start += 1 }
        }
        while let last = digits.last, last == 0 { digits.removeLast() }
        var out = [UInt8](repeating: alphabet[0], count: zeros)
        out.reserveCapacity(zeros + digits.count)
        for d in digits.reversed() { out.append(alphabet[Int(d)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes Base58 text; `nil` on a character outside the alphabet.
    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        let zeros = chars.prefix { $0 == alphabet[0] }.count
        var bytes: [UInt8] = []  // little-endian
        for c in chars[zeros...] {
            guard c < 128, decodeTable[Int(c)] >= 0 else { return nil }
            var carry = Int(decodeTable[Int(c)])
            for i in 0..<bytes.count {
                carry += Int(bytes[i]) * 58
                bytes[i] = UInt8(carry & 0xff)
                carry >>= 8
            }
            while carry > 0 { bytes.append(UInt8(carry & 0xff)); carry >>= 8 }
        }
        return [UInt8](repeating: 0, count: zeros) + bytes.reversed()
    }

    /// Base58Check: version byte, payload, and the first four bytes of SHA-256d as checksum.
    public static func encodeCheck(version: UInt8, payload: [UInt8]) -> String {
        var data = [version] + payload
        let checksum = Hashing.sha256d(data).internalBytes.prefix(4)
        data.append(contentsOf: checksum)
        return encode(data)
    }

    /// Decodes Base58Check into version and payload; `nil` on bad characters or checksum.
    public static func decodeCheck(_ text: String) -> (version: UInt8, payload: [UInt8])? {
        guard let data = decode(text), data.count >= 5 else { return nil }
        let body = Array(data.dropLast(4))
        guard Array(Hashing.sha256d(body).internalBytes.prefix(4)) == Array(data.suffix(4)) else { return nil }
        return (body[0], Array(body.dropFirst()))
    }
}
