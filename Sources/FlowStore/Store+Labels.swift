import FlowCore
import Foundation

/// Counts over the stored labels.
public struct LabelStatistics: Sendable, Codable, Equatable {
    public var labels: Int
    public var addresses: Int
    /// Addresses whose labels name more than one category (kept side by side, never resolved).
    public var addressesWithSeveralCategories: Int
    public var byCategory: [String: Int]
    /// Labels per import (the file's path as imported).
    public var byImport: [String: Int]
    public var byNetwork: [String: Int]
    public var actors: Int
}

extension Store {
    /// Adds labels in one transaction, logged as one ingest source; a label already present (same address,
    /// category, name, source and network) is kept once. Returns how many were new.
    @discardableResult
    public func addLabels(_ labels: [Label], actors: [LabelActor] = [], source: SourceDescription) throws -> Int {
        let id = try IngestLog.start(source, in: self)
        var added = 0
        do {
            try db.transaction {
                let s = try db.prepare("""
                    INSERT INTO labels(address, category, name, source, confidence, original_category, source_id, network, actor,
                        is_cluster_definer, lastmod)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT DO NOTHING
                    """)
                for l in labels {
                    s.rewind()
                    s.bind(1, l.address); s.bind(2, l.category); s.bind(3, l.name); s.bind(4, l.source)
                    s.bind(5, l.confidence.map(Int64.init)); s.bind(6, l.originalCategory); s.bind(7, id); s.bind(8, l.network ?? "")
                    s.bind(9, l.actor); s.bind(10, l.isClusterDefiner ? 1 : 0); s.bind(11, l.lastModified)
                    try s.run()
                    added += db.changes
                }
                // An actor's latest description wins: actors are descriptions, not evidence about an address.
                let a = try db.prepare("""
                    INSERT INTO label_actors(id, label, categories, uri, jurisdictions, source_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                    ON CONFLICT(id) DO UPDATE SET label = excluded.label, categories = excluded.categories, uri = excluded.uri,
                        jurisdictions = excluded.jurisdictions, source_id = excluded.source_id
                    """)
                for actor in actors {
                    a.rewind()
                    a.bind(1, actor.id); a.bind(2, actor.label); a.bind(3, actor.categories.joined(separator: ","))
                    a.bind(4, actor.uri); a.bind(5, actor.jurisdictions.joined(separator: ",")); a.bind(6, id)
                    try a.run()
                }
                try IngestLog.record(id, in: self, status: "complete", error: nil, counts: [:])
                try bumpGeneration()
            }
        } catch {
            try? db.transaction { try IngestLog.record(id, in: self, status: "failed", error: "\(error)", counts: [:]) }
            throw error
        }
        return added
    }

    /// Every label of `address`, in a stable order.
    public func labels(of address: String) throws -> [Label] {
        try db.prepare("SELECT \(Self.labelColumns) FROM labels WHERE address = ?1 ORDER BY category, name, source, network")
            .rows([.text(address)]) { Self.label($0) }
    }

    /// The actors with these ids (those the store has).
    public func actors(_ ids: some Sequence<String>) throws -> [LabelActor] {
        let s = try db.prepare("SELECT id, label, categories, uri, jurisdictions FROM label_actors WHERE id = ?1")
        return try Set(ids).sorted().flatMap { id in
            try s.rows([.text(id)]) {
                LabelActor(id: $0.text(0), label: $0.text(1), categories: $0.text(2).split(separator: ",").map(String.init),
                           uri: $0.optionalText(3), jurisdictions: ($0.optionalText(4) ?? "").split(separator: ",").map(String.init))
            }
        }
    }

    /// Counts of labels by category, import and network.
    public func labelStatistics() throws -> LabelStatistics {
        func counts(_ sql: String) throws -> [String: Int] {
            var out: [String: Int] = [:]
            let rows = try db.prepare(sql).rows([]) { ($0.text(0), Int($0.int(1))) }
            for (k, n) in rows { out[k] = n }
            return out
        }
        return LabelStatistics(
            labels: Int(try db.scalarInt("SELECT count(*) FROM labels") ?? 0),
            addresses: Int(try db.scalarInt("SELECT count(DISTINCT address) FROM labels") ?? 0),
            addressesWithSeveralCategories: Int(try db.scalarInt("""
                SELECT count(*) FROM (SELECT address FROM labels GROUP BY address HAVING count(DISTINCT category) > 1)
                """) ?? 0),
            byCategory: try counts("SELECT category, count(*) FROM labels GROUP BY category"),
            byImport: try counts("""
                SELECT coalesce(s.path, '(unknown)'), count(*) FROM labels l LEFT JOIN sources s ON s.id = l.source_id GROUP BY 1
                """),
            byNetwork: try counts("SELECT CASE network WHEN '' THEN '(any)' ELSE network END, count(*) FROM labels GROUP BY 1"),
            actors: Int(try db.scalarInt("SELECT count(*) FROM label_actors") ?? 0))
    }
}
