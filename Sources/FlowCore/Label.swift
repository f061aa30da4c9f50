import Foundation

/// What an address is known to be, from one source. An address may carry several labels, even conflicting ones.
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

    public init(address: String, category: String, name: String, source: String, confidence: Int?, originalCategory: String) {
        self.address = address; self.category = category; self.name = name; self.source = source
        self.confidence = confidence; self.originalCategory = originalCategory
    }
}

/// The category vocabulary FlowTrace reports and stops at, with the synonyms sources use for each.
public enum LabelCategory {
    public static let all = ["exchange", "mixer", "bridge", "defi", "gambling", "darknet", "scam", "ransomware", "sanctioned",
                             "exploiter", "victim", "law-enforcement", "service", "unknown"]

    private static let synonyms: [String: String] = [
        "cex": "exchange", "dex": "defi", "exchange_wallet": "exchange", "mixing": "mixer", "mixing_service": "mixer",
        "coinjoin": "mixer", "tumbler": "mixer", "cross-chain": "bridge", "crosschain": "bridge", "dark_web": "darknet",
        "darkweb": "darknet", "market": "darknet", "phishing": "scam", "ponzi_scheme": "scam", "fraud": "scam",
        "sanction": "sanctioned", "sanctions": "sanctioned", "ofac": "sanctioned", "hacker": "exploiter", "hacking": "exploiter",
        "exploit": "exploiter", "thief": "exploiter", "perpetrator": "exploiter", "seizure": "law-enforcement",
        "law_enforcement": "law-enforcement", "police": "law-enforcement", "wallet_service": "service", "gambling_service": "gambling",
        "casino": "gambling",
    ]

    /// Maps a source's category to the vocabulary: known names and synonyms are mapped, anything else is kept
    /// (lower-cased, spaces as `-`) so an investigator's own categories still work in stop rules.
    public static func normalize(_ text: String) -> String {
        let t = text.lowercased().trimmingCharacters(in: .whitespaces).replacingOccurrences(of: " ", with: "-")
        if all.contains(t) { return t }
        return synonyms[t] ?? synonyms[t.replacingOccurrences(of: "-", with: "_")] ?? (t.isEmpty ? "unknown" : t)
    }
}
