import FlowCore
import Foundation
import Yams

/// Reads GraphSense TagPacks and ActorPacks (YAML).
///
/// A TagPack's header holds `title`, `creator` (both mandatory), `description`, `owner`, `is_public` and `tags`;
/// any tag field placed in the header applies to every tag that does not set it. After that inheritance a tag needs
/// `label`, `source`, and `currency` or `network`; tags without an `address` (transaction tags) are skipped.
/// `category` and `abuse` (and known `concepts`) are mapped to FlowTrace's categories, one label each, the
/// original term kept; `confidence` is mapped through GraphSense's confidence vocabulary to 0–100.
///
/// Format reference: graphsense-tagpack-tool `src/tagpack/conf/tagpack_schema.yaml`, `actorpack_schema.yaml`,
/// `db/confidence.csv`.
public enum TagPackReader {
    /// GraphSense's confidence levels (`db/confidence.csv`).
    public static let confidenceLevels: [String: Int] = [
        "override": 100, "ownership": 100, "ledger_immanent": 100, "manual_transaction": 90, "service_api": 70,
        "forensic_investigation": 70, "authority_data": 60, "trusted_provider": 50, "service_data": 50, "forensic": 50,
        "untrusted_transaction": 40, "web_crawl": 20, "heuristic": 10, "unknown": 5,
    ]

    /// What one pack file holds.
    public struct Pack: Sendable {
        public var title: String
        public var labels: [Label] = []
        public var actors: [LabelActor] = []
        /// Tags without an address (e.g. transaction tags), which label nothing.
        public var skippedTags = 0
    }

    static let headerOnly: Set<String> = ["title", "creator", "description", "owner", "is_public", "tags", "actors"]

    /// Reads one TagPack or ActorPack (told apart by a `tags` or an `actors` list).
    /// - Throws: ``IngestError`` naming the file and line of bad YAML, a missing mandatory field or a bad value.
    public static func read(path: String) throws -> Pack {
        guard let text = String(bytes: try InputFile.bytes(path: path), encoding: .utf8) else {
            throw IngestError(.corrupt, "not UTF-8 text", path: path)
        }
        let root: Node?
        do {
            root = try Parser(yaml: text, resolver: .basic).singleRoot()
        } catch let e as YamlError {
            throw IngestError(.corrupt, "not valid YAML: \(problem(e))", path: path, line: line(e))
        }
        guard let root, let header = root.mapping else {
            throw IngestError(.unexpectedShape, "a TagPack or ActorPack is a YAML mapping (title, creator, tags or actors)", path: path, line: 1)
        }
        func headerText(_ key: String) -> String? { header[key]?.scalar.map(\.string) }
        guard let title = headerText("title"), !title.isEmpty else { throw IngestError(.corrupt, "the pack has no title", path: path, line: 1) }
        guard headerText("creator")?.isEmpty == false else { throw IngestError(.corrupt, "the pack has no creator", path: path, line: 1) }
        var pack = Pack(title: title)
        if let actors = header["actors"] {
            guard let list = actors.sequence else { throw IngestError(.unexpectedShape, "actors is not a list", path: path, line: actors.mark?.line) }
            pack.actors = try list.map { try actor($0, path: path) }
            return pack
        }
        guard let tags = header["tags"]?.sequence else {
            throw IngestError(.corrupt, "the pack has no tags list (nor an actors list)", path: path, line: 1)
        }
        var defaults: [String: Node] = [:]
        for (k, v) in header { if let key = k.scalar?.string, !headerOnly.contains(key) { defaults[key] = v } }
        pack.labels.reserveCapacity(tags.count)
        for tag in tags {
            guard let fields = tag.mapping else { throw IngestError(.unexpectedShape, "a tag is not a mapping", path: path, line: tag.mark?.line) }
            let line = tag.mark?.line
            func value(_ key: String) throws -> String? {
                guard let node = fields[key] ?? defaults[key] else { return nil }
                guard let scalar = node.scalar else {
                    throw IngestError(.corrupt, "\(key) is not a single value", path: path, line: node.mark?.line ?? line)
                }
                let s = scalar.string.trimmingCharacters(in: .whitespaces)
                return s.isEmpty || s == "~" || s == "null" ? nil : s
            }
            func required(_ key: String) throws -> String {
                guard let v = try value(key) else { throw IngestError(.corrupt, "the tag has no \(key) (nor does the header)", path: path, line: line) }
                return v
            }
            guard let address = try value("address") else { pack.skippedTags += 1; continue }
            let label = try required("label"), source = try required("source")
            guard let network = try value("network") ?? value("currency") else {
                throw IngestError(.corrupt, "the tag has no currency or network (nor does the header)", path: path, line: line)
            }
            var confidence: Int?
            if let c = try value("confidence") {
                if let level = confidenceLevels[c.lowercased()] { confidence = level } else if let n = Int(c), (0...100).contains(n) { confidence = n } else {
                    throw IngestError(.corrupt, "confidence '\(c)' is none of GraphSense's levels (\(confidenceLevels.keys.sorted().joined(separator: ", ")))",
                                      path: path, line: line)
                }
            }
            var definer = false
            if let d = try value("is_cluster_definer") {
                guard let b = Bool(d.lowercased()) else { throw IngestError(.corrupt, "is_cluster_definer '\(d)' is not true or false", path: path, line: line) }
                definer = b
            }
            var terms = [try value("category"), try value("abuse")].compactMap { $0 }
            if let concepts = (fields["concepts"] ?? defaults["concepts"])?.sequence {
                terms += concepts.compactMap { $0.scalar?.string }.filter { LabelCategory.known($0) != nil }
            }
            pack.labels += LabelCategory.labels(
                address: AccountTransfer.normalizedAddress(address[...]), terms: terms, name: label, source: source, confidence: confidence,
                network: network.lowercased(), actor: try value("actor"), isClusterDefiner: definer, lastModified: try value("lastmod"))
        }
        return pack
    }

    private static func actor(_ node: Node, path: String) throws -> LabelActor {
        guard let fields = node.mapping else { throw IngestError(.unexpectedShape, "an actor is not a mapping", path: path, line: node.mark?.line) }
        func text(_ key: String) -> String? { fields[key]?.scalar.map(\.string).flatMap { $0.isEmpty ? nil : $0 } }
        func list(_ key: String) -> [String] { fields[key]?.sequence?.compactMap { $0.scalar?.string } ?? [] }
        guard let id = text("id"), let label = text("label") else {
            throw IngestError(.corrupt, "the actor has no id or label", path: path, line: node.mark?.line)
        }
        return LabelActor(id: id, label: label, categories: list("categories"), uri: text("uri"), jurisdictions: list("jurisdictions"))
    }

    private static func problem(_ e: YamlError) -> String {
        switch e {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): return problem
        case .reader(let problem, _, _, _): return problem
        default: return "\(e)".split(separator: "\n").first.map(String.init) ?? "\(e)"
        }
    }

    private static func line(_ e: YamlError) -> Int? {
        switch e {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return nil
        }
    }
}
