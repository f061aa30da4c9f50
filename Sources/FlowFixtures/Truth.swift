import FlowCore

/// Where the stolen value really ended, by construction: the answer a trace is measured against (`truth.json`).
///
/// A case can have several parts, one per chain and asset (Crypto.com lost ETH and BTC; the DMM bitcoin that
/// crossed a bridge reappears as a token minted on Ethereum). Each part names its trace seeds and where every
/// stolen base unit of it ended.
public struct FixtureTruth: Codable, Sendable, Equatable {
    public var scenario: String
    public var seed: UInt64
    /// Background transactions (Bitcoin) or transfers (account model) per part, as asked with `--scale`.
    public var scale: Int
    public var parts: [Part]
    /// Bridge crossings: a lock (burn) on one chain and the matching mint on the other, linked by an identifier.
    public var bridges: [BridgeLink]
    /// The files to ingest, in order.
    public var files: [File]
    public var notes: [String]

    public struct Part: Codable, Sendable, Equatable {
        /// e.g. "ETH", "BTC", "WBTC minted by the bridge".
        public var name: String
        /// `utxo` or `account`.
        public var model: String
        public var asset: String
        public var decimals: Int
        public var chain: String
        /// All stolen base units of this part; the destinations add up to it.
        public var stolen: String
        /// The thefts, as `flowtrace trace --from` arguments (`txid:vout` outputs, or `tx:` transfers).
        public var seeds: [String]
        public var destinations: [Destination]
    }

    public struct Destination: Codable, Sendable, Equatable {
        /// The service or wallet, e.g. "Tornado-style pool 100 ETH" or "thief wallet (left over)".
        public var entity: String
        public var category: String
        /// Addresses a trace names for it (`(fee)` for miners' fees).
        public var addresses: [String]
        /// Stolen base units that ended there.
        public var amount: String
    }

    public struct File: Codable, Sendable, Equatable {
        public var path: String
        /// `transfers-csv`, `btc-etl`, `labels-csv` (ingested) or `bridge-links-csv` (for the reader).
        public var format: String
        public init(path: String, format: String) { self.path = path; self.format = format }
    }

    public struct BridgeLink: Codable, Sendable, Equatable {
        /// The identifier both sides carry (the lock's OP_RETURN payload, the mint's reference).
        public var identifier: String
        public var fromChain: String
        /// The lock: `txid:vout` of the output paid to the bridge vault.
        public var lock: String
        public var locked: String
        public var toChain: String
        public var mintTx: String
        public var mintedTo: String
        public var minted: String
        public var asset: String
    }
}

/// Credits of a part under construction: which entity received how many stolen base units.
public struct TruthLedger: Sendable {
    var entries: [(entity: String, category: String, addresses: [String], amount: Int128)] = []
    public init() {}

    /// Records that `amount` stolen base units ended at `entity` (adding to what it already has).
    public mutating func credit(_ entity: String, _ category: String, _ address: String, _ amount: Int128) {
        guard amount > 0 else { return }
        if let i = entries.firstIndex(where: { $0.entity == entity }) {
            entries[i].amount += amount
            if !entries[i].addresses.contains(address) { entries[i].addresses.append(address) }
        } else {
            entries.append((entity, category, [address], amount))
        }
    }

    public var total: Int128 { entries.reduce(0) { $0 + $1.amount } }

    public var destinations: [FixtureTruth.Destination] {
        entries.map { .init(entity: $0.entity, category: $0.category, addresses: $0.addresses, amount: String($0.amount)) }
    }
}

/// A label row of a fixture's `labels.csv`.
public struct FixtureLabel: Sendable {
    public var address: String
    public var category: String
    public var name: String
    public init(address: String, category: String, name: String) { self.address = address; self.category = category; self.name = name }
}

extension FixtureLabel {
    /// Writes `labels.csv` (sorted by address, one row per address) for `scenario` into `directory`.
    static func write(_ labels: [FixtureLabel], scenario: String, to directory: String) throws -> FixtureTruth.File {
        let file = try FixtureFile(path: directory + "/labels.csv")
        try file.write("address,category,name,source\n")
        var seen = Set<String>()
        for l in labels.sorted(by: { $0.address < $1.address }) where seen.insert(l.address).inserted {
            try file.write("\(l.address),\(l.category),\(l.name),flowtrace fixture \(scenario)\n")
        }
        try file.close()
        return .init(path: "labels.csv", format: "labels-csv")
    }
}
