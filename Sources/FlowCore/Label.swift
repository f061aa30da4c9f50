import Foundation

/// What an address is known to be, from one source. An address may carry several labels, even conflicting ones:
/// they are all kept, never merged or overwritten.
public struct Label: Hashable, Sendable, Codable {
    public var address: String
    /// Normalised category (see ``LabelCategory``).
    public var category: String
    public var name: String
    public var source: String
    /// 0–100 when the source states a confidence.
    public var confidence: Int?
    /// The category as the source wrote it.
    public var originalCategory: String
    /// The network the source names for the address (`btc`, `eth`, …, lower-cased), when it names one.
    public var network: String?
    /// The actor (an ActorPack id) the source attributes the address to.
    public var actor: String?
    /// Whether the source states the label holds for the address's whole cluster (GraphSense `is_cluster_definer`).
    public var isClusterDefiner: Bool
    /// When the source last changed the label (its own text, usually an ISO date).
    public var lastModified: String?

    public init(address: String, category: String, name: String, source: String, confidence: Int?, originalCategory: String,
                network: String? = nil, actor: String? = nil, isClusterDefiner: Bool = false, lastModified: String? = nil) {
        self.address = address; self.category = category; self.name = name; self.source = source
        self.confidence = confidence; self.originalCategory = originalCategory
        self.network = network; self.actor = actor; self.isClusterDefiner = isClusterDefiner; self.lastModified = lastModified
    }
}

/// An actor of a GraphSense ActorPack: who a label's `actor` id names.
public struct LabelActor: Hashable, Sendable, Codable {
    public var id: String
    public var label: String
    public var categories: [String]
    public var uri: String?
    public var jurisdictions: [String]

    public init(id: String, label: String, categories: [String], uri: String?, jurisdictions: [String]) {
        self.id = id; self.label = label; self.categories = categories; self.uri = uri; self.jurisdictions = jurisdictions
    }
}

/// The category vocabulary FlowTrace reports and stops at, with the synonyms sources use for each.
///
/// Vocabulary reference: GraphSense TagPack concepts (`graphsense-tagpack-tool` `db/concepts.yaml`), Etherscan
/// label slugs, OFAC's SDN list, Forta's labelled datasets.
public enum LabelCategory {
    public static let all = ["exchange", "mixer", "bridge", "defi", "gambling", "darknet", "scam", "ransomware", "sanctioned",
                             "exploiter", "victim", "law-enforcement", "service", "unknown"]

    private static let synonyms: [String: String] = [
        "cex": "exchange", "exchange_wallet": "exchange", "fiat_gateway": "exchange", "otc": "exchange",
        "mixing": "mixer", "mixing_service": "mixer", "coinjoin": "mixer", "tumbler": "mixer", "privacy": "mixer",
        "cross-chain": "bridge", "crosschain": "bridge", "bridges": "bridge",
        "dex": "defi", "defi_dex": "defi", "defi_lending": "defi", "defi_bridge": "bridge", "lending": "defi", "yield": "defi",
        "dark_web": "darknet", "darkweb": "darknet", "market": "darknet", "darknet_market": "darknet",
        "phishing": "scam", "phish": "scam", "phish-hack": "scam", "ponzi_scheme": "scam", "pyramid_scheme": "scam", "fraud": "scam",
        "investment_fraud": "scam", "scam": "scam", "sextortion": "scam", "extortion": "scam", "honeypot": "scam", "fake": "scam",
        "sanction": "sanctioned", "sanctions": "sanctioned", "ofac": "sanctioned", "ofac-sanctions-lists": "sanctioned",
        "ofac-sanctioned": "sanctioned",
        "hacker": "exploiter", "hacking": "exploiter", "hack": "exploiter", "heist": "exploiter", "exploit": "exploiter",
        "service_hack": "exploiter", "thief": "exploiter", "perpetrator": "exploiter", "attacker": "exploiter",
        "seizure": "law-enforcement", "law_enforcement": "law-enforcement", "police": "law-enforcement", "seized": "law-enforcement",
        "wallet_service": "service", "payment_processor": "service", "miner": "service", "mining": "service", "mining_pool": "service",
        "organization": "service", "faucet": "service",
        "gambling_service": "gambling", "casino": "gambling", "betting": "gambling",
        "user": "unknown", "wallet": "unknown",
    ]

    /// Maps a source's category to the vocabulary: known names and synonyms are mapped, anything else is kept
    /// (lower-cased, spaces as `-`) so an investigator's own categories still work in stop rules.
    public static func normalize(_ text: String) -> String {
        let t = text.lowercased().trimmingCharacters(in: .whitespaces).replacingOccurrences(of: " ", with: "-")
        if all.contains(t) { return t }
        return synonyms[t] ?? synonyms[t.replacingOccurrences(of: "-", with: "_")] ?? (t.isEmpty ? "unknown" : t)
    }

    /// The vocabulary's category for a term, or nil when the term is not one of its names or synonyms (a
    /// project slug such as `sushiswap`, say).
    public static func known(_ text: String) -> String? {
        let c = normalize(text)
        return all.contains(c) ? c : nil
    }

    /// Words in a label's name that say what the address is, for sources whose categories are project names
    /// (Etherscan's `Ronin Bridge Exploiter`, `Fake_Phishing1772`), in the order they are tested.
    private static let nameWords: [(word: String, category: String)] = [
        ("exploiter", "exploiter"), ("hacker", "exploiter"), ("exploit", "exploiter"), ("heist", "exploiter"), ("attacker", "exploiter"),
        ("phish", "scam"), ("scam", "scam"), ("ponzi", "scam"), ("tornado.cash", "mixer"), ("tornado cash", "mixer"), ("mixer", "mixer"),
        ("bridge", "bridge"), ("sanction", "sanctioned"),
    ]

    /// The categories the words of a label's name imply (see ``nameWords``), each with the word that implies it:
    /// none for most names.
    public static func implied(byName name: String) -> [(category: String, word: String)] {
        let n = name.lowercased()
        var out: [(category: String, word: String)] = []
        for (word, category) in nameWords where n.contains(word) && !out.contains(where: { $0.category == category }) {
            // A bridge's exploiter is an exploiter, not a bridge.
            if category == "bridge" && out.contains(where: { $0.category == "exploiter" }) { continue }
            out.append((category, word))
        }
        return out
    }

    /// The labels one source entry gives an address: one per vocabulary category its terms map to (the original
    /// term kept) and one per further category its name implies (the original recorded as `name: <word>`: Etherscan
    /// files `Ronin Bridge Exploiter` under `ofac-sanctions-lists` only); when neither gives a category of the
    /// vocabulary, the terms as they are mapped when `keepsUnmappedTerms` (a controlled
    /// vocabulary such as GraphSense's concepts: `extremism` stays a category) or one `unknown` label (project
    /// slugs such as Etherscan's `sushiswap` are not categories; they stay in the original).
    public static func labels(address: String, terms: [String], name: String, source: String, confidence: Int?, network: String? = nil,
                              actor: String? = nil, isClusterDefiner: Bool = false, lastModified: String? = nil,
                              keepsUnmappedTerms: Bool = true) -> [Label] {
        var pairs: [(category: String, original: String)] = []
        for t in terms where !t.isEmpty {
            let c = normalize(t)
            if !pairs.contains(where: { $0.category == c }) { pairs.append((c, t)) }
        }
        let specific = pairs.filter { all.contains($0.category) && $0.category != "unknown" }
        let byName = implied(byName: name).filter { n in !specific.contains { $0.category == n.category } }.map { ($0.category, "name: " + $0.word) }
        if !specific.isEmpty || !byName.isEmpty { pairs = specific + byName }
        if !keepsUnmappedTerms && !pairs.isEmpty && !pairs.contains(where: { all.contains($0.category) }) {
            pairs = [("unknown", terms.filter { !$0.isEmpty }.joined(separator: ","))]
        }
        if pairs.isEmpty { pairs = [("unknown", "")] }
        return pairs.map {
            Label(address: address, category: $0.category, name: name, source: source, confidence: confidence, originalCategory: $0.original,
                  network: network, actor: actor, isClusterDefiner: isClusterDefiner, lastModified: lastModified)
        }
    }
}
