import FlowCore
import Foundation

/// The `sources` table: one row per ingest run, with what it added and how it ended.
enum IngestLog {
    /// Records the start of an ingest run; returns its id.
    static func start(_ source: SourceDescription, in store: Store) throws -> Int64 {
        try store.db.transaction {
            let s = try store.db.prepare("""
                INSERT INTO sources(path, sha256, format, chain, started_at, status, bytes)
                VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6)
                """)
            try s.bind([.text(source.path), source.sha256.map { .text($0) } ?? .null, .text(source.format),
                        .text(source.chain.identifier), .text(Store.timestamp()), source.bytes.map { .int(Int64($0)) } ?? .null])
            try s.run()
            return store.db.lastInsertRowID
        }
    }

    /// Updates a run's status (`running`, `complete`, `failed`), counts and error, inside the caller's transaction.
    static func record(_ id: Int64, in store: Store, status: String, error: String?, counts: [String: Int]) throws {
        let columns = counts.keys.sorted()
        let assignments = columns.enumerated().map { ", \($1) = ?\($0 + 4)" }.joined()
        let s = try store.db.prepare("""
            UPDATE sources SET status = ?2, error = ?3\(assignments),
                finished_at = CASE WHEN ?2 = 'running' THEN NULL ELSE ?\(columns.count + 4) END WHERE id = ?1
            """)
        try s.bind([.int(id), .text(status), error.map { .text($0) } ?? .null] + columns.map { .int(Int64(counts[$0] ?? 0)) }
                   + [.text(Store.timestamp())])
        try s.run()
    }

    /// True when a complete ingest of the same content (SHA-256) in the same format is already logged.
    static func isComplete(sha256: String, format: String, in store: Store) throws -> Bool {
        (try store.db.scalarInt("SELECT count(*) FROM sources WHERE sha256 = ?1 AND format = ?2 AND status = 'complete'",
                                [.text(sha256), .text(format)]) ?? 0) > 0
    }
}

extension Store {
    /// True when a complete ingest of the same content (SHA-256) in the same format is already logged, so running
    /// it again would change nothing.
    public func hasCompleteIngest(sha256: String, format: String) throws -> Bool {
        try IngestLog.isComplete(sha256: sha256, format: format, in: self)
    }
}

/// One logged ingest or label import: a data source a result rests on.
public struct IngestedSource: Codable, Sendable, Equatable {
    public var path: String
    /// SHA-256 of the file's bytes (nil for live sources such as a node).
    public var sha256: String?
    public var format: String
    public var chain: String?
    public var status: String
    public var finishedAt: String?
    public var bytes: Int64?
}

extension Store {
    /// Every completed ingest and label import, in the order they ran: the inputs a trace on this store rests on.
    public func ingestedSources() throws -> [IngestedSource] {
        try db.prepare("SELECT path, sha256, format, chain, status, finished_at, bytes FROM sources WHERE status = 'complete' ORDER BY id").rows {
            IngestedSource(path: $0.text(0), sha256: $0.optionalText(1), format: $0.text(2), chain: $0.optionalText(3), status: $0.text(4),
                           finishedAt: $0.optionalText(5), bytes: $0.optionalInt(6))
        }
    }
}
