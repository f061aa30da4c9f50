import FlowCore

/// The batching every writer shares: one open transaction at a time, committed with the ingest-log progress and
/// a generation bump; at the end, deferred indexes rebuilt and the run marked complete or failed.
final class IngestBatch {
    let store: Store
    let sourceID: Int64
    /// Sources read together with the main one (a transactions file and its receipts file): logged, committed and
    /// finished with it.
    let companionIDs: [Int64]
    /// The index groups this run dropped for a bulk load, rebuilt by ``finish(counts:error:)``.
    private(set) var deferredIndexes: [Store.IndexGroup] = []
    private(set) var isOpen = false

    /// Logs the start of the run and, when `deferIndexes`, drops `group`'s secondary indexes.
    init(store: Store, source: SourceDescription, companions: [SourceDescription] = [], group: Store.IndexGroup, deferIndexes: Bool) throws {
        self.store = store
        if deferIndexes {
            try store.dropSecondaryIndexes(group)
            deferredIndexes = [group]
        }
        sourceID = try IngestLog.start(source, in: store)
        companionIDs = try companions.map { try IngestLog.start($0, in: store) }
    }

    /// Drops `group`'s indexes until ``finish(counts:error:)`` or ``restoreIndexes(_:)`` (outside a transaction).
    func deferIndexes(_ group: Store.IndexGroup) throws {
        guard !deferredIndexes.contains(group) else { return }
        try store.dropSecondaryIndexes(group)
        deferredIndexes.append(group)
    }

    /// Builds `group`'s indexes again now, if this run dropped them (also inside the open transaction).
    func restoreIndexes(_ group: Store.IndexGroup) throws {
        guard let i = deferredIndexes.firstIndex(of: group) else { return }
        try store.createSecondaryIndexes(group)
        deferredIndexes.remove(at: i)
    }

    func beginIfNeeded() throws {
        guard !isOpen else { return }
        try store.db.execute("BEGIN IMMEDIATE")
        isOpen = true
    }

    /// Notes that the caller rolled the open transaction back.
    func markClosed() { isOpen = false }

    /// Commits the open transaction, recording `counts` in the ingest log. Returns whether anything was committed.
    @discardableResult
    func commit(counts: [String: Int]) throws -> Bool {
        guard isOpen else { return false }
        for id in [sourceID] + companionIDs { try IngestLog.record(id, in: store, status: "running", error: nil, counts: counts) }
        try store.bumpGeneration()
        try store.db.execute("COMMIT")
        isOpen = false
        store.build?.startWriteback()
        return true
    }

    /// Rebuilds deferred indexes and marks the run complete, or failed with `error`. Commit first.
    func finish(counts: [String: Int], error: String?) throws {
        for group in deferredIndexes { try store.createSecondaryIndexes(group) }
        deferredIndexes = []
        let ids = [sourceID] + companionIDs, store = self.store
        try store.db.transaction {
            for id in ids { try IngestLog.record(id, in: store, status: error == nil ? "complete" : "failed", error: error, counts: counts) }
        }
    }
}
