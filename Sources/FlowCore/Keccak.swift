/// Keccak-256 as Ethereum uses it (the original Keccak padding `0x01`, not SHA3-256's `0x06`): for EIP-55
/// address checksums and event signatures.
///
/// Format reference: The Keccak reference, version 3.0 (Bertoni, Daemen, Peeters, Van Assche, 2011), Keccak-f[1600].
public enum Keccak256 {
    private static let roundConstants: [UInt64] = [
        0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000, 0x000000000000808B,
        0x0000000080000001, 0x8000000080008081, 0x8000000000008009, 0x000000000000008A, 0x0000000000000088,
        0x0000000080008009, 0x000000008000000A, 0x000000008000808B, 0x800000000000008B, 0x8000000000008089,
        0x8000000000008003, 0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
        0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
    ]
    /// Rotation offsets, indexed x + 5y.
    private static let rotations: [UInt64] = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14]

    private static func permute(_ a: inout [UInt64]) {
        var c = [UInt64](repeating: 0, count: 5), b = [UInt64](repeating: 0, count: 25)
        for round in 0..<24 {
            for x in 0..<5 { c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] }
            for x in 0..<5 {
                let d = c[(x + 4) % 5] ^ (c[(x + 1) % 5] << 1 | c[(x + 1) % 5] >> 63)
                for y in 0..<5 { a[x + 5 * y] ^= d }
            }
            for x in 0..<5 {
                for y in 0..<5 {
                    let r = rotations[x + 5 * y], v = a[x + 5 * y]
                    b[y + 5 * ((2 * x + 3 * y) % 5)] = r == 0 ? v : (v << r | v >> (64 - r))
                }
            }
            for x in 0..<5 {
                for y in 0..<5 { a[x + 5 * y] = b[x + 5 * y] ^ (~b[(x + 1) % 5 + 5 * y] & b[(x + 2) % 5 + 5 * y]) }
            }
            a[0] ^= roundConstants[round]
        }
    }

    /// The 32-byte digest of `message`.
    public static func hash(_ message: [UInt8]) -> [UInt8] {
        let rate = 136
        var state = [UInt64](repeating: 0, count: 25)
        var padded = message
        padded.append(0x01)
        while padded.count % rate != 0 { padded.append(0) }
        padded[padded.count - 1] |= 0x80
        for block in stride(from: 0, to: padded.count, by: rate) {
            for i in 0..<(rate / 8) {
                var lane: UInt64 = 0
                for k in 0..<8 { lane |= UInt64(padded[block + 8 * i + k]) << (8 * UInt64(k)) }
                state[i] ^= lane
            }
            permute(&state)
        }
        var out: [UInt8] = []
        for i in 0..<4 { for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: state[i] >> (8 * UInt64(k)))) } }
        return out
    }
}

/// Ethereum addresses: `0x` and 40 hex digits, compared lower-case.
public enum EthAddress {
    /// The lower-case form of `text` when it is an address: all-lower or all-upper hex is accepted as is; mixed
    /// case must be a valid EIP-55 checksum (a typo in a checksummed address is caught, not silently accepted).
    public static func normalized(_ text: String) -> String? {
        let u = Array(text.utf8)
        guard u.count == 42, u[0] == UInt8(ascii: "0"), u[1] == UInt8(ascii: "x") || u[1] == UInt8(ascii: "X") else { return nil }
        var hasLower = false, hasUpper = false
        for c in u[2...] {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): break
            case UInt8(ascii: "a")...UInt8(ascii: "f"): hasLower = true
            case UInt8(ascii: "A")...UInt8(ascii: "F"): hasUpper = true
            default: return nil
            }
        }
        let lower = "0x" + String(decoding: u[2...], as: UTF8.self).lowercased()
        if hasLower && hasUpper && checksummed(lower) != "0x" + String(decoding: u[2...], as: UTF8.self) { return nil }
        return lower
    }

    /// The EIP-55 mixed-case form of a lower-case address.
    public static func checksummed(_ lower: String) -> String {
        let hex = Array(lower.utf8.dropFirst(2))
        let digest = Keccak256.hash(hex)
        var out = "0x"
        for (i, c) in hex.enumerated() {
            let nibble = (digest[i / 2] >> (i % 2 == 0 ? 4 : 0)) & 0xF
            out.unicodeScalars.append(Unicode.Scalar(c >= UInt8(ascii: "a") && nibble >= 8 ? c - 32 : c))
        }
        return out
    }
}
