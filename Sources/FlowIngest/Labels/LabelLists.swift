import FlowCore
import Foundation

/// Reads the address lists investigators use besides TagPacks: OFAC's SDN addresses per asset, Etherscan's
/// account labels, Forta's labelled datasets. Each maps the source's terms to FlowTrace's categories (see
/// ``LabelCategory/labels(address:terms:name:source:confidence:network:actor:isClusterDefiner:lastModified:)``).
public enum LabelLists {
    /// OFAC SDN digital-currency addresses, one list per asset: `sanctioned_addresses_<ASSET>.txt` (one address a
    /// line) or `.json` (a list of strings). The asset comes from the file name (`XBT` is Bitcoin, `btc`).
    ///
    /// Format reference: 0xB10C/ofac-sanctioned-digital-currency-addresses (`lists` branch), extracted from OFAC's
    /// `sdn_advanced.xml` "Digital Currency Address - <ASSET>" features.
    public static func ofac(path: String) throws -> [Label] {
        let file = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        guard let underscore = file.lastIndex(of: "_"), file.hasPrefix("sanctioned_addresses_") else {
            throw IngestError(.unknownFormat, "an OFAC list is named sanctioned_addresses_<ASSET>.txt or .json (the asset is read from the name)",
                              path: path)
        }
        let asset = String(file[file.index(after: underscore)...])
        let network = asset == "XBT" ? "btc" : asset.lowercased()
        var entries: [String] = []
        if path.hasSuffix(".json") {
            guard let list = try JSONFile.read(path: path).arrayValue else { throw IngestError(.unexpectedShape, "expected a JSON list of addresses", path: path) }
            for (i, item) in list.enumerated() {
                guard let s = item.stringValue, !s.isEmpty else {
                    throw IngestError(.unexpectedShape, "entry \(i) of the list is not an address string", path: path)
                }
                entries.append(s)
            }
        } else {
            let text = String(decoding: try InputFile.bytes(path: path), as: UTF8.self)
            for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let s = line.trimmingCharacters(in: .whitespacesAndNewlines)
                if s.isEmpty || s.hasPrefix("#") { continue }
                guard !s.contains(where: { $0 == " " || $0 == "," || $0 == "\t" }) else {
                    throw IngestError(.corrupt, "'\(s.prefix(80))' is not one address", path: path, line: i + 1)
                }
                entries.append(s)
            }
        }
        return entries.flatMap { address in
            LabelCategory.labels(address: AccountTransfer.normalizedAddress(address[...]), terms: ["sanction"],
                                 name: "OFAC SDN list (\(asset))", source: "OFAC SDN list", confidence: TagPackReader.confidenceLevels["authority_data"],
                                 network: network)
        }
    }

    /// Etherscan's account (or token) labels as collected in one JSON object: address → `{name, labels: [slug…]}`.
    /// Slugs that name a category (`exchange`, `ofac-sanctions-lists`, `phish-hack`, `heist`, `bridge`, …) give it;
    /// otherwise the name's words may (`Ronin Bridge Exploiter`).
    ///
    /// Format reference: brianleect/etherscan-labels `data/etherscan/combined/combined*Labels.json`.
    public static func etherscan(path: String) throws -> [Label] {
        guard let object = try JSONFile.read(path: path).objectValue else {
            throw IngestError(.unexpectedShape, "expected a JSON object of address → {name, labels}", path: path)
        }
        var out: [Label] = []
        for (address, entry) in object.sorted(by: { $0.key < $1.key }) {
            guard let name = entry["name"]?.stringValue, let slugs = entry["labels"]?.arrayValue?.compactMap(\.stringValue) else {
                throw IngestError(.unexpectedShape, "the entry of \(address.prefix(60)) lacks a name or a labels list", path: path)
            }
            let normalized = AccountTransfer.normalizedAddress(address[...])
            guard normalized.hasPrefix("0x"), normalized.count == 42 else {
                throw IngestError(.corrupt, "'\(address.prefix(60))' is not an Ethereum address", path: path)
            }
            out += LabelCategory.labels(address: normalized, terms: slugs.map(etherscanTerm), name: name.isEmpty ? slugs.joined(separator: ", ") : name,
                                        source: "Etherscan labels", confidence: TagPackReader.confidenceLevels["trusted_provider"], network: "eth",
                                        keepsUnmappedTerms: false)
        }
        return out
    }

    /// Etherscan slugs that name an exchange (the slug is the exchange's name, not a category).
    static let exchangeSlugs: Set<String> = [
        "binance", "coinbase", "kraken", "bitfinex", "huobi", "okx", "okex", "kucoin", "poloniex", "crypto-com", "coinsquare", "gemini",
        "bitstamp", "bittrex", "gate-io", "bybit", "ftx", "upbit", "bithumb", "hitbtc", "bitmex", "deribit", "mexc", "bitget", "htx",
        "exchange",
    ]

    static func etherscanTerm(_ slug: String) -> String {
        let s = slug.lowercased()
        if exchangeSlugs.contains(s) { return "exchange" }
        if s == "tornado-cash" { return "mixing" }
        return s
    }

    /// Forta's labelled datasets (CSV), told apart by their header: `etherscan_malicious_labels.csv`
    /// (banned_address, wallet_tag, data_source), `malicious_smart_contracts.csv` (contract_address, contract_tag,
    /// contract_creator, contract_creator_tag, contract_creator_etherscan_label, …: the contract and its creator
    /// are labelled) and `phishing_scams.csv` (address, etherscan_tag, etherscan_labels).
    ///
    /// Format reference: forta-network/labelled-datasets `labeled_datasets/*.csv`.
    public static func forta(path: String) throws -> [Label] {
        var csv = try CSVReader(path: path)
        guard let header = try csv.next() else { throw IngestError(.unexpectedShape, "empty file: expected a header", path: path, line: 1) }
        var columns: [String: Int] = [:]
        for (i, name) in header.enumerated() { columns[name.trimmingCharacters(in: .whitespaces).lowercased()] = i }
        let source = "Forta labelled datasets"
        enum Layout { case banned, contracts, phishing }
        let layout: Layout
        if columns["banned_address"] != nil { layout = .banned } else if columns["contract_address"] != nil { layout = .contracts }
        else if columns["address"] != nil && columns["etherscan_labels"] != nil { layout = .phishing } else {
            throw IngestError(.unknownFormat, "not one of Forta's label files: the header (\(header.prefix(6).joined(separator: ","))) has none of "
                              + "banned_address, contract_address, address+etherscan_labels", path: path, line: 1)
        }
        var out: [Label] = []
        while let row = try csv.next() {
            let line = csv.recordLine
            func field(_ name: String) -> String {
                guard let i = columns[name], i < row.count else { return "" }
                return row[i].trimmingCharacters(in: .whitespaces)
            }
            func address(_ name: String) throws -> String? {
                let text = field(name)
                if text.isEmpty { return nil }
                let a = AccountTransfer.normalizedAddress(text[...])
                guard a.hasPrefix("0x"), a.count == 42 else { throw IngestError(.corrupt, "column \(name): '\(text.prefix(60))' is not an Ethereum address", path: path, line: line) }
                return a
            }
            func add(_ a: String?, terms: [String], name: String) {
                guard let a else { return }
                out += LabelCategory.labels(address: a, terms: terms, name: name.isEmpty ? terms.first { !$0.isEmpty } ?? "malicious" : name, source: source,
                                            confidence: TagPackReader.confidenceLevels["trusted_provider"], network: "eth")
            }
            switch layout {
            case .banned:
                guard let a = try address("banned_address") else { throw IngestError(.corrupt, "no banned_address", path: path, line: line) }
                var term = field("data_source")
                if term.hasPrefix("etherscan-") { term.removeFirst("etherscan-".count) }
                if term.hasSuffix("-list") { term.removeLast("-list".count) }
                add(a, terms: [term], name: field("wallet_tag"))
            case .contracts:
                guard let contract = try address("contract_address") else { throw IngestError(.corrupt, "no contract_address", path: path, line: line) }
                let terms = [field("contract_creator_etherscan_label"), "malicious-contract"]
                add(contract, terms: terms, name: field("contract_tag"))
                add(try address("contract_creator"), terms: [field("contract_creator_etherscan_label"), "malicious-contract-creator"],
                    name: field("contract_creator_tag"))
            case .phishing:
                guard let a = try address("address") else { throw IngestError(.corrupt, "no address", path: path, line: line) }
                add(a, terms: field("etherscan_labels").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }, name: field("etherscan_tag"))
            }
        }
        return out
    }
}
