import FlowCore
import Foundation

extension Store {
    /// Adds labels in one transaction, logged as one ingest source; a label already present (same address,
    /// category, name and source) is kept once. Returns how many were new.
    @discardableResult
    public func addLabels(_ labels: [Label], source: SourceDescription) throws -> Int {
        let id = try IngestLog.start(source, in: self)
        var added = 0
        do {
            try db.transaction {
                let s = try db.prepare("""
                    INSERT INTO labels(address, category, name, source, confidence, original_category, source_id)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING
                    """)
                for l in labels {
                    try s.bind([.text(l.address), .text(l.category), .text(l.name), .text(l.source),
                                l.confidence.map { .int(Int64($0)) } ?? .null, .text(l.originalCategory), .int(id)])
                    try s.run()
                    added += db.changes
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
        try db.prepare("""
            SELECT address, category, name, source, confidence, original_category FROM labels WHERE address = ?1
            ORDER BY category, name, source
            """).rows([.text(address)]) { Self.label($0) }
    }
}
