/// Bech32 (BIP 173) and Bech32m (BIP 350), the encodings of segwit addresses.
public enum Bech32 {
    public enum Variant: Sendable { case bech32, bech32m
        var constant: UInt32 { self == .bech32 ? 1 : 0x2bc8_30a3 }
    }

    private static let charset: [UInt8] = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]

    private static func polymod(_ values: [UInt8]) -> UInt32 {
        var chk: UInt32 = 1
        for v in values {
            let top = chk >> 25
            chk = (chk & 0x1ff_ffff) << 5 ^ UInt32(v)
            for i in 0..<5 where (top >> UInt32(i)) & 1 == 1 { chk ^= generator[i] }
        }
        return chk
    }

    private static func expand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    /// Regroups bits, e.g. 8-bit bytes into 5-bit groups; `nil` when padding is invalid.
    static func convertBits(_ data: [UInt8], from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var acc = 0, bits = 0
        var out: [UInt8] = []
        let maxv = (1 << to) - 1
        for v in data {
            acc = (acc << from) | Int(v)
            bits += from
            while bits >= to { bits -= to; out.append(UInt8((acc >> bits) & maxv)) }
        }
        if pad {
            if bits > 0 { out.append(UInt8((acc << (to - bits)) & maxv)) }
        } else if bits >= from || ((acc << (to - bits)) & maxv) != 0 {
            return nil
        }
        return out
    }

    /// Encodes a segwit address: witness version 0 with Bech32, versions 1–16 with Bech32m.
    public static func encodeSegwit(hrp: String, version: UInt8, program: [UInt8]) -> String {
        let variant: Variant = version == 0 ? .bech32 : .bech32m
        let hrpBytes = Array(hrp.utf8)
        let data = [version] + (convertBits(program, from: 8, to: 5, pad: true) ?? [])
        let mod = polymod(expand(hrpBytes) + data + [0, 0, 0, 0, 0, 0]) ^ variant.constant
        var out = hrpBytes + [UInt8(ascii: "1")]
        for d in data { out.append(charset[Int(d)]) }
        for i in 0..<6 { out.append(charset[Int((mod >> (5 * (5 - UInt32(i)))) & 31)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes a segwit address for `hrp`, checking the checksum variant against the witness version.
    public static func decodeSegwit(hrp: String, address: String) -> (version: UInt8, program: [UInt8])? {
        let lower = address.lowercased()
        guard lower == address || address.uppercased() == address else { return nil }
        let bytes = Array(lower.utf8)
        guard let sep = bytes.lastIndex(of: UInt8(ascii: "1")), sep >= 1, bytes.count - sep >= 7, bytes.count <= 90 else { return nil }
        guard String(decoding: bytes[..<sep], as: UTF8.self) == hrp else { return nil }
        var data: [UInt8] = []
        for c in bytes[(sep + 1)...] {
            guard let i = charset.firstIndex(of: c) else { return nil }
            data.append(UInt8(i))
        }
        let check = polymod(expand(Array(hrp.utf8)) + data)
        guard let version = data.first, version <= 16 else { return nil }
        let expected: Variant = version == 0 ? .bech32 : .bech32m
        guard check == expected.constant else { return nil }
        guard let program = convertBits(Array(data[1..<(data.count - 6)]), from: 5, to: 8, pad: false),
              program.count >= 2, program.count <= 40,
              version != 0 || program.count == 20 || program.count == 32 else { return nil }
        return (version, program)
    }
}
