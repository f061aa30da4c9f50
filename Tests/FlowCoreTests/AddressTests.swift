import FlowCore
import Testing
import TestSupport

@Suite("Hashes and address encodings")
struct AddressTests {
    @Test func ripemd160MatchesPublishedVectors() {
        // Test vectors from the RIPEMD-160 paper's appendix.
        #expect(Hex.encode(RIPEMD160.hash([UInt8]())) == "9c1185a5c5e9fc54612808977ee8f548b2258d31")
        #expect(Hex.encode(RIPEMD160.hash(Array("abc".utf8))) == "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc")
        #expect(Hex.encode(RIPEMD160.hash(Array("message digest".utf8))) == "5d0689ef49d2fae572b881b123a85ffa21595f36")
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(Hex.encode(RIPEMD160.hash(million)) == "52783243c1697bdbe16d37f97f68f08325dc1528")
    }

    @Test func genesisPublicKeyGivesSatoshisAddress() throws {
        // The genesis coinbase output: P2PK to a bare key whose P2PKH address is famous.
        let script = try #require(Hex.decode(
            "4104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac"))
        let a = ScriptAddress(script: script, network: .mainnet)
        #expect(a.text == "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
        #expect(a.scriptType == .p2pk)
        #expect(a.isDerivedFromPublicKey)
        #expect(a.publicKey?.count == 65)
    }

    @Test(arguments: [
        // BIP 173 and BIP 350 examples.
        ("0014751e76e8199196d454941c45d1b3a323f1433bd6", BitcoinNetwork.mainnet, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", ScriptType.p2wpkh),
        ("00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262", .testnet,
         "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", .p2wsh),
        ("512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", .mainnet,
         "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", .p2tr),
        ("0014751e76e8199196d454941c45d1b3a323f1433bd6", .regtest, "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", .p2wpkh),
        ("51024e73", .mainnet, "bc1pfeessrawgf", .anchor),
        // P2PKH and P2SH with mainnet and testnet version bytes.
        ("76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac", .mainnet, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", .p2pkh),
        ("a914e9c3dd0c07aac76179ebc76a6c78d4d67c6c160a87", .mainnet, "3P14159f73E4gFr7JterCCQh9QjiTjiZrG", .p2sh),
        ("76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac", .testnet, "mpXwg4jMtRhuSpVq4xS3HFHmCmWp9NyGKt", .p2pkh),
    ])
    func encodesStandardScripts(scriptHex: String, network: BitcoinNetwork, expected: String, type: ScriptType) throws {
        let a = ScriptAddress(script: try #require(Hex.decode(scriptHex)), network: network)
        #expect(a.text == expected)
        #expect(a.scriptType == type)
        #expect(ScriptAddress.isValid(expected, network: network))
    }

    @Test func scriptsWithoutAddressGetStablePseudoAddresses() throws {
        let opReturn = try #require(Hex.decode("6a0b68656c6c6f20776f726c64"))
        let a = ScriptAddress(script: opReturn, network: .mainnet)
        #expect(a.scriptType == .nullData)
        #expect(a.text.hasPrefix("op_return-") && a.text.count == "op_return-".count + 40)
        #expect(ScriptAddress(script: opReturn, network: .mainnet).text == a.text)

        // 1-of-2 bare multisig with two compressed keys.
        let key = "21" + "02" + String(repeating: "11", count: 32)
        let multisig = try #require(Hex.decode("51" + key + key + "52ae"))
        #expect(ScriptAddress(script: multisig, network: .mainnet).scriptType == .multisig)
        #expect(ScriptAddress(script: multisig, network: .mainnet).text.hasPrefix("multisig-"))

        let odd = ScriptAddress(script: [0x01, 0x02, 0x03], network: .mainnet)
        #expect(odd.scriptType == .nonstandard && odd.text.hasPrefix("nonstandard-"))
        #expect(odd.text != ScriptAddress(script: [0x01, 0x02, 0x04], network: .mainnet).text)
        // Witness v0 with a 25-byte program is not a valid destination.
        let badV0 = try #require(Hex.decode("0019" + String(repeating: "ab", count: 25)))
        #expect(ScriptAddress(script: badV0, network: .mainnet).scriptType == .nonstandard)
    }

    @Test func bech32RejectsWrongChecksumVariant() {
        #expect(Bech32.decodeSegwit(hrp: "bc", address: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4") != nil)
        // A v1 program with a bech32 (not bech32m) checksum, from BIP 350's invalid list.
        #expect(Bech32.decodeSegwit(hrp: "bc", address: "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd") == nil)
        #expect(!ScriptAddress.isValid("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", network: .mainnet))
    }

    @Test func base58RoundTrips() {
        var data: [UInt8] = [0, 0, 1, 2, 3, 255, 254]
        for n in 0..<64 {
            data.append(UInt8(truncatingIfNeeded: n &* 37))
            #expect(Base58.decode(Base58.encode(data)) == data)
        }
        #expect(Base58.encode([]) == "")
        #expect(Base58.encode([0, 0]) == "11")
    }

    @Test func hashDisplayOrderRoundTrips() throws {
        let h = try #require(Hash256(displayHex: "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"))
        #expect(h.displayHex == "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f")
        #expect(h.internalBytes.first == 0x6f)
        #expect(Hash256(internalBytes: h.internalBytes) == h)
        #expect(Hash256(displayHex: "00") == nil)
    }
}

@Suite("Fast encoders agree with the reference encoders")
struct FastEncodingTests {
    /// Property: for random payloads, the allocation-free encoders used at parse time give exactly the text of
    /// the straightforward Base58Check and bech32/bech32m encoders.
    @Test func randomScriptsEncodeIdentically() {
        var rng = TestSupport.SeededRandom(seed: 42)
        for _ in 0..<3_000 {
            var hash = (0..<20).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if Bool.random(using: &rng) { hash[0] = 0 }  // leading zero bytes become leading '1's
            if Bool.random(using: &rng) { hash[1] = 0 }
            for network in [BitcoinNetwork.mainnet, .testnet, .regtest] {
                let p2pkh = ScriptAddress(script: [0x76, 0xa9, 0x14] + hash + [0x88, 0xac], network: network)
                #expect(p2pkh.text == Base58.encodeCheck(version: network.p2pkhVersion, payload: hash))
                let p2sh = ScriptAddress(script: [0xa9, 0x14] + hash + [0x87], network: network)
                #expect(p2sh.text == Base58.encodeCheck(version: network.p2shVersion, payload: hash))
            }
            let length = [2, 20, 32, 40, Int.random(in: 2...40, using: &rng)].randomElement(using: &rng)!
            let program = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let version = UInt8.random(in: 0...16, using: &rng)
            if version == 0 && length != 20 && length != 32 { continue }
            let script = [version == 0 ? 0 : 0x50 + version, UInt8(length)] + program
            let a = ScriptAddress(script: script, network: .mainnet)
            #expect(a.text == Bech32.encodeSegwit(hrp: "bc", version: version, program: program))
            #expect(Bech32.decodeSegwit(hrp: "bc", address: a.text)?.program == program)
        }
    }
}
