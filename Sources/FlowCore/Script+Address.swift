/// The standard output script templates, with stable codes for the store.
public enum ScriptType: Int, Sendable, CaseIterable, Codable {
    case nonstandard = 0, p2pk = 1, p2pkh = 2, p2sh = 3, multisig = 4, nullData = 5
    case p2wpkh = 6, p2wsh = 7, p2tr = 8, witnessUnknown = 9, anchor = 10
    /// An account-model address (Ethereum, generic transfer data): no script.
    case account = 11

    /// Name used in JSON output and the README.
    public var name: String {
        switch self {
        case .nonstandard: return "nonstandard"
        case .p2pk: return "p2pk"
        case .p2pkh: return "p2pkh"
        case .p2sh: return "p2sh"
        case .multisig: return "multisig"
        case .nullData: return "op_return"
        case .p2wpkh: return "p2wpkh"
        case .p2wsh: return "p2wsh"
        case .p2tr: return "p2tr"
        case .witnessUnknown: return "witness_unknown"
        case .anchor: return "anchor"
        case .account: return "account"
        }
    }

    /// Whether outputs of this type have no real address and are keyed by a pseudo-address.
    public var usesPseudoAddress: Bool { self == .nonstandard || self == .multisig || self == .nullData }
}

/// The address FlowTrace keys an output by, derived from its scriptPubKey.
public struct ScriptAddress: Hashable, Sendable {
    /// Address text: a real address, the P2PKH address of a bare public key, or a pseudo-address
    /// `multisig-…`, `op_return-…`, `nonstandard-…` (40 hex digits of the script's SHA-256).
    public var text: String
    public var scriptType: ScriptType
    /// The bare public key of a P2PK output; its ``text`` is then derived, not a real destination.
    public var publicKey: [UInt8]?

    public init(text: String, scriptType: ScriptType, publicKey: [UInt8]? = nil) {
        self.text = text; self.scriptType = scriptType; self.publicKey = publicKey
    }

    /// True when ``text`` was derived from a bare public key (P2PK).
    public var isDerivedFromPublicKey: Bool { publicKey != nil }

    /// Classifies `script` and encodes its address for `network`.
    ///
    /// Templates follow Bitcoin Core's `Solver` (`script/solver.cpp`); encodings follow BIP 13 (Base58Check),
    /// BIP 173 (bech32) and BIP 350 (bech32m).
    /// - Complexity: O(script length).
    public init(script: UnsafeRawBufferPointer, network: BitcoinNetwork) {
        let s = script
        let n = s.count
        func bytes(_ r: Range<Int>) -> [UInt8] { Array(UnsafeRawBufferPointer(rebasing: s[r])) }

        // P2PKH: OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG
        if n == 25, s[0] == 0x76, s[1] == 0xa9, s[2] == 0x14, s[23] == 0x88, s[24] == 0xac {
            let text = FastAddressEncoding.base58Check20(version: network.p2pkhVersion, payload: UnsafeRawBufferPointer(rebasing: s[3..<23]))
            self.init(text: text, scriptType: .p2pkh)
            return
        }
        // P2SH: OP_HASH160 <20> OP_EQUAL
        if n == 23, s[0] == 0xa9, s[1] == 0x14, s[22] == 0x87 {
            let text = FastAddressEncoding.base58Check20(version: network.p2shVersion, payload: UnsafeRawBufferPointer(rebasing: s[2..<22]))
            self.init(text: text, scriptType: .p2sh)
            return
        }
        // Witness programs: OP_0 or OP_1..OP_16, then one direct push of 2..40 bytes.
        if n >= 4, n <= 42, (s[0] == 0 || (0x51...0x60).contains(s[0])), Int(s[1]) == n - 2 {
            let version: UInt8 = s[0] == 0 ? 0 : s[0] - 0x50
            let program = UnsafeRawBufferPointer(rebasing: s[2..<n])
            let type: ScriptType?
            switch (version, program.count) {
            case (0, 20): type = .p2wpkh
            case (0, 32): type = .p2wsh
            case (0, _): type = nil  // v0 with another length is unspendable and has no address
            case (1, 32): type = .p2tr
            case (1, 2) where program[0] == 0x4e && program[1] == 0x73: type = .anchor
            default: type = .witnessUnknown
            }
            if let type {
                self.init(text: FastAddressEncoding.segwit(hrp: network.bech32HRP, version: version, program: program), scriptType: type)
                return
            }
        }
        // P2PK: <33- or 65-byte public key> OP_CHECKSIG
        if (n == 35 && s[0] == 33 && (s[1] == 2 || s[1] == 3) && s[34] == 0xac)
            || (n == 67 && s[0] == 65 && (s[1] == 4 || s[1] == 6 || s[1] == 7) && s[66] == 0xac)
        {
            let key = bytes(1..<(n - 1))
            let text = Hashing.hash160(key).withUnsafeBytes { FastAddressEncoding.base58Check20(version: network.p2pkhVersion, payload: $0) }
            self.init(text: text, scriptType: .p2pk, publicKey: key)
            return
        }
        let type: ScriptType
        if n >= 1 && s[0] == 0x6a {
            type = .nullData
        } else if ScriptAddress.isMultisig(s) {
            type = .multisig
        } else {
            type = .nonstandard
        }
        self.init(text: ScriptAddress.pseudoAddress(type: type, script: bytes(0..<n)), scriptType: type)
    }

    /// Classifies a script held in an array.
    public init(script: [UInt8], network: BitcoinNetwork) {
        self = script.withUnsafeBytes { ScriptAddress(script: $0, network: network) }
    }

    /// Stable pseudo-address for scripts without an address: kind, dash, first 20 bytes of SHA-256(script) in hex.
    public static func pseudoAddress(type: ScriptType, script: [UInt8]) -> String {
        let prefix: String
        switch type {
        case .multisig: prefix = "multisig"
        case .nullData: prefix = "op_return"
        default: prefix = "nonstandard"
        }
        return prefix + "-" + Hex.encode(Hashing.sha256(script).prefix(20))
    }

    /// Bare multisig: OP_m <pubkey>… OP_n OP_CHECKMULTISIG with 1 ≤ m ≤ n ≤ 16 and n keys of 33 or 65 bytes.
    static func isMultisig(_ s: UnsafeRawBufferPointer) -> Bool {
        let n = s.count
        guard n >= 37, s[n - 1] == 0xae, (0x51...0x60).contains(s[0]), (0x51...0x60).contains(s[n - 2]) else { return false }
        let m = Int(s[0]) - 0x50, keys = Int(s[n - 2]) - 0x50
        guard m <= keys else { return false }
        var i = 1, count = 0
        while i < n - 2 {
            let len = Int(s[i])
            guard len == 33 || len == 65, i + 1 + len <= n - 2 else { return false }
            i += 1 + len
            count += 1
        }
        return i == n - 2 && count == keys
    }

    /// Decodes a user-typed address to check it is well formed for `network`; pseudo-addresses pass as they are.
    public static func isValid(_ text: String, network: BitcoinNetwork) -> Bool {
        if text.hasPrefix("multisig-") || text.hasPrefix("op_return-") || text.hasPrefix("nonstandard-") { return true }
        if let (v, p) = Base58.decodeCheck(text), p.count == 20, v == network.p2pkhVersion || v == network.p2shVersion {
            return true
        }
        return Bech32.decodeSegwit(hrp: network.bech32HRP, address: text) != nil
    }
}
