/// A Bitcoin network and the parameters that shape its addresses and block files.
public enum BitcoinNetwork: String, Sendable, CaseIterable, Codable {
    case mainnet, testnet, testnet4, signet, regtest

    /// Base58Check version byte of P2PKH addresses.
    public var p2pkhVersion: UInt8 { self == .mainnet ? 0x00 : 0x6f }
    /// Base58Check version byte of P2SH addresses.
    public var p2shVersion: UInt8 { self == .mainnet ? 0x05 : 0xc4 }
    /// Human-readable part of bech32/bech32m segwit addresses (BIP 173).
    public var bech32HRP: String {
        switch self {
        case .mainnet: return "bc"
        case .testnet, .testnet4, .signet: return "tb"
        case .regtest: return "bcrt"
        }
    }
    /// Magic bytes that open every block in `blk*.dat` files and P2P messages.
    public var magic: [UInt8] {
        switch self {
        case .mainnet: return [0xf9, 0xbe, 0xb4, 0xd9]
        case .testnet: return [0x0b, 0x11, 0x09, 0x07]
        case .testnet4: return [0x1c, 0x16, 0x3f, 0x28]
        case .signet: return [0x0a, 0x03, 0xcf, 0x40]
        case .regtest: return [0xfa, 0xbf, 0xb5, 0xda]
        }
    }
    /// Hash of the network's genesis block (height 0), a consensus parameter.
    public var genesisHash: Hash256? {
        switch self {
        case .mainnet: return Hash256(displayHex: "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f")
        case .testnet: return Hash256(displayHex: "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943")
        case .testnet4: return Hash256(displayHex: "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043")
        case .signet: return Hash256(displayHex: "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6")
        case .regtest: return Hash256(displayHex: "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206")
        }
    }

    /// Maps Bitcoin Core's `getblockchaininfo.chain` (`main`, `test`, `testnet4`, `signet`, `regtest`).
    public init?(coreChainName: String) {
        switch coreChainName {
        case "main", "mainnet": self = .mainnet
        case "test", "testnet", "testnet3": self = .testnet
        case "testnet4": self = .testnet4
        case "signet": self = .signet
        case "regtest": self = .regtest
        default: return nil
        }
    }

    /// Detects the network from the four magic bytes of a `blk*.dat` frame.
    public static func from(magic: [UInt8]) -> BitcoinNetwork? {
        allCases.first { $0.magic == magic }
    }
}

/// A ledger FlowTrace can follow.
public enum Chain: Hashable, Sendable, CustomStringConvertible {
    case bitcoin(BitcoinNetwork)
    /// Any other ledger, by the name its data gives it (generic transfer data, Ethereum until it has its own case).
    case named(String)

    /// Stable identifier used in the store and in JSON (`bitcoin-mainnet`, `bitcoin-regtest`, or the name).
    public var identifier: String {
        switch self {
        case .bitcoin(let n): return "bitcoin-\(n.rawValue)"
        case .named(let name): return name
        }
    }

    public init(identifier: String) {
        if identifier.hasPrefix("bitcoin-"), let n = BitcoinNetwork(rawValue: String(identifier.dropFirst(8))) {
            self = .bitcoin(n)
        } else {
            self = .named(identifier)
        }
    }

    public var description: String { identifier }

    /// The chain's native asset, when FlowTrace knows it.
    public var nativeAsset: Asset? {
        switch self {
        case .bitcoin: return Asset(chain: self, symbol: "BTC", decimals: 8)
        case .named: return nil
        }
    }
}

/// A transferable asset: a chain's native coin, or later a token identified by its contract.
public struct Asset: Hashable, Sendable {
    public var chain: Chain
    public var symbol: String
    public var decimals: Int
    public var contract: String?

    public init(chain: Chain, symbol: String, decimals: Int, contract: String? = nil) {
        self.chain = chain; self.symbol = symbol; self.decimals = decimals; self.contract = contract
    }
}
