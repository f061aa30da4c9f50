import Crypto

/// Allocation-free encoders for the address forms that dominate real blocks: every output of every block is
/// encoded once at parse time, so these run millions of times per ingest.
enum FastAddressEncoding {
    private static let base58Alphabet: [UInt8] = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)
    private static let bech32Charset: [UInt8] = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)

    /// Base58Check of `version` + a 20-byte `payload` (P2PKH, P2SH): 25 bytes, at most 34 characters.
    ///
    /// Same result as ``Base58/encodeCheck(version:payload:)``; the tests compare the two.
    static func base58Check20(version: UInt8, payload: UnsafeRawBufferPointer) -> String {
        precondition(payload.count == 20)
        // Scratch: bytes 0..<28 the left-padded 25-byte number, 28..<68 base-58 digits; seven 32-bit limbs apart.
        // Nothing mutable is captured across closures (captured vars are boxed and access-checked at run time).
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 68) { buf -> String in
            buf[0] = 0; buf[1] = 0; buf[2] = 0
            buf[3] = version
            for i in 0..<20 { buf[4 + i] = payload[i] }
            let first = Hashing.digest(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buf)[3..<24]))
            first.withUnsafeBytes { f in
                Hashing.digest(f).withUnsafeBytes { c in for i in 0..<4 { buf[24 + i] = c[i] } }
            }
            var zeros = 0
            while zeros < 25 && buf[3 + zeros] == 0 { zeros += 1 }
            let count = withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 7) { limbs -> Int in
                for i in 0..<7 {
                    limbs[i] = UInt32(buf[4 * i]) << 24 | UInt32(buf[4 * i + 1]) << 16 | UInt32(buf[4 * i + 2]) << 8 | UInt32(buf[4 * i + 3])
                }
                var count = 0
                var start = 0
                while start < 7 && limbs[start] == 0 { start += 1 }
                while start < 7 {
                    var rem: UInt64 = 0
                    for i in start..<7 {
                        let cur = rem << 32 | UInt64(limbs[i])
                        limbs[i] = UInt32(truncatingIfNeeded: cur / 656_356_768)
                        rem = cur % 656_356_768
                    }
                    for _ in 0..<5 { buf[28 + count] = UInt8(truncatingIfNeeded: rem % 58); rem /= 58; count += 1 }
                    while start < 7 && limbs[start] == 0 { start += 1 }
                }
                while count > 0 && buf[28 + count - 1] == 0 { count -= 1 }
                return count
            }
            let length = zeros + count
            return base58Alphabet.withUnsafeBufferPointer { alphabet in
                String(unsafeUninitializedCapacity: length) { out in
                    for i in 0..<zeros { out[i] = alphabet[0] }
                    for i in 0..<count { out[zeros + i] = alphabet[Int(buf[28 + count - 1 - i])] }
                    return length
                }
            }
        }
    }

    /// Segwit address of `program` (2…40 bytes): bech32 for version 0, bech32m otherwise (BIP 173, BIP 350).
    ///
    /// Same result as ``Bech32/encodeSegwit(hrp:version:program:)``; the tests compare the two.
    static func segwit(hrp: String, version: UInt8, program: UnsafeRawBufferPointer) -> String {
        let constant: UInt32 = version == 0 ? 1 : 0x2bc8_30a3
        var hrpBytes = hrp.utf8.map { $0 }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 72) { data -> String in
            // data = version, then the program regrouped into 5-bit values.
            var n = 1
            data[0] = version
            var acc: UInt32 = 0, bits = 0
            for b in program {
                acc = (acc << 8) | UInt32(b)
                bits += 8
                while bits >= 5 { bits -= 5; data[n] = UInt8((acc >> UInt32(bits)) & 31); n += 1 }
            }
            if bits > 0 { data[n] = UInt8((acc << UInt32(5 - bits)) & 31); n += 1 }
            // BIP 173 checksum over hrp-high, 0, hrp-low, data, six zeros.
            var chk: UInt32 = 1
            let total = 2 * hrpBytes.count + 1 + n + 6
            for k in 0..<total {
                let v: UInt8
                if k < hrpBytes.count { v = hrpBytes[k] >> 5 }
                else if k == hrpBytes.count { v = 0 }
                else if k <= 2 * hrpBytes.count { v = hrpBytes[k - hrpBytes.count - 1] & 31 }
                else if k < 2 * hrpBytes.count + 1 + n { v = data[k - 2 * hrpBytes.count - 1] }
                else { v = 0 }
                let top = chk >> 25
                chk = (chk & 0x1ff_ffff) << 5 ^ UInt32(v)
                if top & 1 != 0 { chk ^= 0x3b6a_57b2 }
                if top & 2 != 0 { chk ^= 0x2650_8e6d }
                if top & 4 != 0 { chk ^= 0x1ea1_19fa }
                if top & 8 != 0 { chk ^= 0x3d42_33dd }
                if top & 16 != 0 { chk ^= 0x2a14_62b3 }
            }
            let mod = chk ^ constant
            let length = hrpBytes.count + 1 + n + 6
            let used = n
            return bech32Charset.withUnsafeBufferPointer { charset in
                hrpBytes.withUnsafeMutableBufferPointer { h in
                    String(unsafeUninitializedCapacity: length) { out in
                        var o = 0
                        for c in h { out[o] = c; o += 1 }
                        out[o] = UInt8(ascii: "1"); o += 1
                        for i in 0..<used { out[o] = charset[Int(data[i])]; o += 1 }
                        for i in 0..<6 { out[o] = charset[Int((mod >> (5 * (5 - UInt32(i)))) & 31)]; o += 1 }
                        return o
                    }
                }
            }
        }
    }
}
