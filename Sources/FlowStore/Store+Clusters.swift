import FlowCore
import Foundation

/// What one `flowtrace cluster` run did.
public struct ClusterRunSummary: Sendable, Codable, Equatable {
    public var heuristics: [String]
    /// Bitcoin transactions read (new since the last run, and ones waiting for input addresses).
    public var transactionsRead: Int
    /// Transactions the multi-input rule skipped as CoinJoins, by pattern.
    public var coinJoinsSkipped: [String: Int]
    /// Transactions left waiting because some input's address is not known yet (rechecked by the next run).
    public var transactionsWaiting: Int
    /// Change outputs found.
    public var changeOutputs: Int
    /// Account transfers read by the deposit rule, and the deposit addresses it found.
    public var depositCandidates: Int
    public var depositAddresses: Int
    /// Merges that joined two clusters, by heuristic.
    public var merges: [String: Int]
    /// Totals over the store after the run.
    public var clusters: Int
    public var clusteredAddresses: Int
    public var largestCluster: Int
}

/// A recorded merge, as `cluster explain` shows it.
public struct ClusterMergeRecord: Sendable, Codable, Equatable {
    public var from: String
    public var to: String
    public var heuristic: String
    public var confidence: Int
    public var chain: String
    public var tx: String
    /// The deposit address whose senders the deposit rule joined.
    public var depositAddress: String?
}

/// How to run the clusterer.
public struct ClusterOptions: Sendable {
    public var heuristics: Set<ClusterHeuristic>
    /// Forget every cluster, merge and deposit label first, and recompute from all data.
    public var rebuild: Bool
    public var deposit: DepositRule
    public init(heuristics: Set<ClusterHeuristic> = Set(ClusterHeuristic.defaults), rebuild: Bool = false, deposit: DepositRule = DepositRule()) {
        self.heuristics = heuristics; self.rebuild = rebuild; self.deposit = deposit
    }
}

extension Store {
    /// Version 8: address clusters (`cluster_members`: only addresses in clusters of two or more, each with its
    /// cluster's smallest address id), the merges that made them (a spanning forest: one row per union of two
    /// clusters), how far each heuristic has read, and the transactions waiting for input addresses.
    static let clusterSchemaSQL = """
    CREATE TABLE cluster_members(address_id INTEGER PRIMARY KEY, cluster_id INTEGER NOT NULL);
    CREATE INDEX cluster_members_cluster ON cluster_members(cluster_id);
    CREATE TABLE cluster_merges(
        id INTEGER PRIMARY KEY, a_id INTEGER NOT NULL, b_id INTEGER NOT NULL, heuristic TEXT NOT NULL, confidence INTEGER NOT NULL,
        chain TEXT NOT NULL, tx_id INTEGER, tx TEXT, via_id INTEGER, run_id INTEGER NOT NULL
    );
    CREATE INDEX cluster_merges_a ON cluster_merges(a_id);
    CREATE INDEX cluster_merges_b ON cluster_merges(b_id);
    CREATE TABLE cluster_progress(heuristic TEXT PRIMARY KEY, last_id INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE cluster_pending(heuristic TEXT NOT NULL, tx_id INTEGER NOT NULL, PRIMARY KEY (heuristic, tx_id)) WITHOUT ROWID;
    """

    /// The label source the deposit rule writes its findings under.
    public static let depositLabelSource = "flowtrace:deposit-heuristic"

    /// Clusters addresses with `options.heuristics`, extending the clusters of earlier runs: each heuristic reads
    /// only the transactions and transfers stored since it last ran, plus the transactions that were waiting for
    /// input addresses. The run is one transaction: it lands whole or not at all.
    /// - Complexity: O(new inputs + outputs + transfers of deposit candidates + clustered addresses).
    public func cluster(_ options: ClusterOptions) throws -> ClusterRunSummary {
        try createSecondaryIndexes()
        let runID = try IngestLog.start(SourceDescription(path: "flowtrace cluster", sha256: nil, format: "cluster",
                                                          chain: .named("any"), bytes: nil), in: self)
        do {
            let summary = try db.transaction { () throws -> ClusterRunSummary in
                if options.rebuild {
                    try db.execute("""
                        DELETE FROM cluster_members; DELETE FROM cluster_merges; DELETE FROM cluster_progress; DELETE FROM cluster_pending;
                        DELETE FROM labels WHERE source = '\(Store.depositLabelSource)';
                        """)
                }
                var run = try ClusterRun(store: self, options: options, runID: runID)
                try run.clusterBitcoin()
                if options.heuristics.contains(.deposit) { try run.findDepositAddresses() }
                try run.write()
                var summary = run.summary
                summary.clusters = Int(try db.scalarInt("SELECT count(DISTINCT cluster_id) FROM cluster_members") ?? 0)
                summary.clusteredAddresses = Int(try db.scalarInt("SELECT count(*) FROM cluster_members") ?? 0)
                summary.largestCluster = Int(try db.scalarInt("""
                    SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM cluster_members GROUP BY cluster_id)
                    """) ?? 0)
                try IngestLog.record(runID, in: self, status: "complete", error: nil, counts: [:])
                return summary
            }
            return summary
        } catch {
            try? db.transaction { try IngestLog.record(runID, in: self, status: "failed", error: "\(error)", counts: [:]) }
            throw error
        }
    }

    /// The cluster (its smallest address id) of an address, or nil when the address is in no cluster of two or more.
    public func clusterID(ofAddressID id: Int64) throws -> Int64? {
        try db.prepare("SELECT cluster_id FROM cluster_members WHERE address_id = ?1").rows([.int(id)]) { $0.int(0) }.first
    }

    /// Clusters of many addresses at once (addresses in no cluster are absent).
    public func clusterIDs(ofAddressIDs ids: some Sequence<Int64>) throws -> [Int64: Int64] {
        try values("SELECT cluster_id FROM cluster_members WHERE address_id = ?1", for: ids) { $0.int(0) }
    }

    /// `ids` together with every member of their clusters.
    /// - Complexity: one index lookup per id, plus the members of the clusters found.
    public func expandedToClusters(_ ids: Set<Int64>) throws -> Set<Int64> {
        let s = try db.prepare("""
            SELECT m2.address_id FROM cluster_members m1 JOIN cluster_members m2 ON m2.cluster_id = m1.cluster_id WHERE m1.address_id = ?1
            """)
        var out = ids
        var seenClusters = Set<Int64>()
        for id in ids {
            guard let c = try clusterID(ofAddressID: id), seenClusters.insert(c).inserted else { continue }
            for m in try s.rows([.int(id)], { $0.int(0) }) { out.insert(m) }
        }
        return out
    }

    /// The members of a cluster, smallest id first.
    public func clusterMembers(_ cluster: Int64, limit: Int = .max) throws -> [Int64] {
        try db.prepare("SELECT address_id FROM cluster_members WHERE cluster_id = ?1 ORDER BY address_id LIMIT ?2")
            .rows([.int(cluster), .int(Int64(min(limit, Int(Int64.max))))]) { $0.int(0) }
    }

    /// How many addresses a cluster has.
    public func clusterSize(_ cluster: Int64) throws -> Int {
        Int(try db.scalarInt("SELECT count(*) FROM cluster_members WHERE cluster_id = ?1", [.int(cluster)]) ?? 0)
    }

    /// The labels of every member of the addresses' clusters, by cluster: what the cluster inherits.
    public func clusterLabels(_ clusters: some Sequence<Int64>) throws -> [Int64: [Label]] {
        let s = try db.prepare("""
            SELECT \(Self.labelColumns("l.")) FROM cluster_members m JOIN addresses a ON a.id = m.address_id
            JOIN labels l ON l.address = a.address WHERE m.cluster_id = ?1 ORDER BY l.category, l.name, l.source, l.network, l.address
            """)
        var out: [Int64: [Label]] = [:]
        for c in Set(clusters) {
            let labels = try s.rows([.int(c)]) { Self.label($0) }
            if !labels.isEmpty { out[c] = labels }
        }
        return out
    }

    /// The merges that put `a` and `b` in one cluster, in order from `a` to `b`; nil when they are not in one cluster.
    ///
    /// Recorded merges form a spanning forest, so the path is unique; it is found by breadth-first search from `a`.
    /// - Complexity: O(merges of the cluster) index lookups.
    public func explainCluster(_ a: Int64, _ b: Int64) throws -> [ClusterMergeRecord]? {
        if a == b { return [] }
        guard let ca = try clusterID(ofAddressID: a), let cb = try clusterID(ofAddressID: b), ca == cb else { return nil }
        struct Step { var previous: Int64; var mergeID: Int64 }
        let edges = try db.prepare("""
            SELECT id, b_id FROM cluster_merges WHERE a_id = ?1 UNION ALL SELECT id, a_id FROM cluster_merges WHERE b_id = ?1
            """)
        var reachedBy: [Int64: Step] = [a: Step(previous: a, mergeID: 0)]
        var queue = [a], head = 0
        search: while head < queue.count {
            let x = queue[head]; head += 1
            for (mergeID, y) in try edges.rows([.int(x)], { ($0.int(0), $0.int(1)) }) where reachedBy[y] == nil {
                reachedBy[y] = Step(previous: x, mergeID: mergeID)
                if y == b { break search }
                queue.append(y)
            }
        }
        guard reachedBy[b] != nil else {
            throw StoreError(resultCode: 11, message: "cluster \(ca) has no recorded merge path between addresses \(a) and \(b)", path: path)
        }
        var path: [(from: Int64, to: Int64, merge: Int64)] = []
        var x = b
        while x != a, let step = reachedBy[x] { path.append((step.previous, x, step.mergeID)); x = step.previous }
        path.reverse()
        // A Bitcoin merge names its transaction by store id, an account merge by hash.
        let merge = try db.prepare("""
            SELECT m.heuristic, m.confidence, m.chain, coalesce(m.tx, lower(hex(t.txid)), '?'), m.via_id FROM cluster_merges m
            LEFT JOIN transactions t ON t.id = m.tx_id WHERE m.id = ?1
            """)
        let rows = try path.map { p in
            try merge.rows([.int(p.merge)]) { (h: $0.text(0), c: Int($0.int(1)), chain: $0.text(2), tx: $0.text(3), via: $0.optionalInt(4)) }[0]
        }
        let texts = try addressTexts(path.flatMap { [$0.from, $0.to] } + rows.compactMap(\.via))
        return zip(path, rows).map { p, r in
            ClusterMergeRecord(from: texts[p.from] ?? "?", to: texts[p.to] ?? "?", heuristic: r.h, confidence: r.c, chain: r.chain, tx: r.tx,
                               depositAddress: r.via.flatMap { texts[$0] })
        }
    }
}

/// One clustering run's state: the forest over the existing clusters, and what it found.
private struct ClusterRun {
    let store: Store
    let options: ClusterOptions
    let runID: Int64
    var db: Database { store.db }
    var forest: ClusterForest
    /// Each clustered address's cluster before the run.
    var stored: [Int64: Int64] = [:]
    /// The deposit address a deposit merge went through, by merge index.
    var via: [Int: Int64] = [:]
    var depositLabels: [Label] = []
    var progress: [String: Int64] = [:]
    var summary = ClusterRunSummary(heuristics: [], transactionsRead: 0, coinJoinsSkipped: [:], transactionsWaiting: 0, changeOutputs: 0,
                                    depositCandidates: 0, depositAddresses: 0, merges: [:], clusters: 0, clusteredAddresses: 0,
                                    largestCluster: 0)

    init(store: Store, options: ClusterOptions, runID: Int64) throws {
        self.store = store; self.options = options; self.runID = runID
        let saved = try store.db.prepare("SELECT heuristic, last_id FROM cluster_progress").rows([]) { ($0.text(0), $0.int(1)) }
        var progress: [String: Int64] = [:]
        for (h, last) in saved { progress[h] = last }
        self.progress = progress
        summary.heuristics = ClusterHeuristic.allCases.filter { options.heuristics.contains($0) }.map(\.rawValue)
        // The existing clusters are needed only when something new can be merged.
        let db = store.db
        func unread(_ h: ClusterHeuristic, _ table: String) throws -> Bool {
            guard options.heuristics.contains(h) else { return false }
            return try (db.scalarInt("SELECT coalesce(max(id), 0) FROM \(table)") ?? 0) > progress[h.rawValue] ?? 0
        }
        let hasWork = try unread(.multiInput, "transactions") || unread(.change, "transactions") || unread(.deposit, "transfers")
            || (try db.scalarInt("SELECT count(*) FROM cluster_pending") ?? 0) > 0
        var stored: [Int64: Int64] = [:]
        if hasWork {
            let s = try db.prepare("SELECT address_id, cluster_id FROM cluster_members")
            try s.bind([])
            while try s.step() { stored[s.int(0)] = s.int(1) }
        }
        self.stored = stored
        forest = ClusterForest(assignments: stored.map { (address: $0.key, cluster: $0.value) })
    }

    // MARK: Bitcoin: multi-input and change

    mutating func clusterBitcoin() throws {
        let utxo = [ClusterHeuristic.multiInput, .change].filter { options.heuristics.contains($0) }
        guard !utxo.isEmpty else { return }
        let maxTx = try db.scalarInt("SELECT coalesce(max(id), 0) FROM transactions") ?? 0
        let wantsChange = utxo.contains(.change)
        let inputsSQL = wantsChange
            ? "SELECT i.tx_id, i.address_id, a.script_type FROM inputs i LEFT JOIN addresses a ON a.id = i.address_id"
            : "SELECT i.tx_id, i.address_id, NULL FROM inputs i"
        let isNew = try db.prepare("SELECT NOT EXISTS(SELECT 1 FROM outputs WHERE address_id = ?1 AND tx_id < ?2)")
        var coinJoins: [String: Int] = [:]
        var waiting: [(ClusterHeuristic, Int64)] = []
        var resolved: [(ClusterHeuristic, Int64)] = []  // waiting transactions whose inputs are all known now

        func apply(_ heuristics: [ClusterHeuristic], txID: Int64, tx: ClusterTransaction, forest: inout ClusterForest,
                   changeOutputs: inout Int, merges: inout [String: Int]) throws {
            let coinJoin = CoinJoinDetector.pattern(of: tx)
            for h in heuristics {
                if !tx.hasAllInputAddresses { waiting.append((h, txID)) }
                switch h {
                case .multiInput:
                    let distinct = tx.distinctInputAddresses
                    guard distinct.count >= 2 else { continue }
                    if let pattern = coinJoin { coinJoins[pattern.rawValue, default: 0] += 1; continue }
                    for other in distinct.dropFirst()
                    where forest.union(distinct[0], other, heuristic: .multiInput, chain: "bitcoin", tx: .storedTransaction(txID)) {
                        merges[h.rawValue, default: 0] += 1
                    }
                case .change:
                    guard coinJoin == nil, let first = tx.inputAddresses.first ?? nil else { continue }
                    let found = try ChangeDetector.changeOutput(of: tx) { i in
                        try isNew.rows([.int(tx.outputs[i].address), .int(txID)]) { $0.int(0) }.first == 1
                    }
                    guard let change = found else { continue }
                    changeOutputs += 1
                    if forest.union(first, tx.outputs[change].address, heuristic: .change, chain: "bitcoin", tx: .storedTransaction(txID)) {
                        merges[h.rawValue, default: 0] += 1
                    }
                case .deposit:
                    continue
                }
            }
        }

        // Transactions that were waiting for input addresses: look each up again.
        let pending = try db.prepare("SELECT heuristic, tx_id FROM cluster_pending ORDER BY tx_id").rows([]) { ($0.text(0), $0.int(1)) }
        var pendingByTx: [Int64: [ClusterHeuristic]] = [:]
        for (name, txID) in pending {
            if let h = ClusterHeuristic(rawValue: name), utxo.contains(h) { pendingByTx[txID, default: []].append(h) }
        }
        let oneTx = try db.prepare("SELECT is_coinbase FROM transactions WHERE id = ?1")
        let oneTxInputs = try db.prepare(inputsSQL + " WHERE i.tx_id = ?1 ORDER BY i.vin")
        let oneTxOutputs = try db.prepare("SELECT value, address_id, script_type FROM outputs WHERE tx_id = ?1 ORDER BY vout")
        for txID in pendingByTx.keys.sorted() {
            guard let isCoinbase = try oneTx.rows([.int(txID)], { $0.int(0) == 1 }).first else { continue }
            var tx = ClusterTransaction(isCoinbase: isCoinbase, inputAddresses: [], inputScriptTypes: [], outputs: [])
            for (address, type) in try oneTxInputs.rows([.int(txID)], { ($0.optionalInt(1), $0.optionalInt(2)) }) {
                tx.inputAddresses.append(address); tx.inputScriptTypes.append(type.flatMap { ScriptType(rawValue: Int($0)) })
            }
            tx.outputs = try oneTxOutputs.rows([.int(txID)]) {
                .init(valueSats: $0.int(0), address: $0.int(1), scriptType: ScriptType(rawValue: Int($0.int(2))) ?? .nonstandard)
            }
            summary.transactionsRead += 1
            let heuristics = pendingByTx[txID] ?? []
            try apply(heuristics, txID: txID, tx: tx, forest: &forest, changeOutputs: &summary.changeOutputs, merges: &summary.merges)
            if tx.hasAllInputAddresses { resolved += heuristics.map { ($0, txID) } }
        }

        // New transactions: one ordered pass over transactions, inputs and outputs together.
        let from = utxo.map { progress[$0.rawValue] ?? 0 }.min() ?? 0
        if from < maxTx {
            let txs = try db.prepare("""
                SELECT id, is_coinbase, input_count, output_count FROM transactions WHERE id > ?1 AND id <= ?2 ORDER BY id
                """)
            let inputs = try db.prepare(inputsSQL + " WHERE i.tx_id > ?1 AND i.tx_id <= ?2 ORDER BY i.tx_id, i.vin")
            let outputs = try db.prepare("""
                SELECT tx_id, value, address_id, script_type FROM outputs WHERE tx_id > ?1 AND tx_id <= ?2 ORDER BY tx_id, vout
                """)
            for s in [txs, inputs, outputs] { s.bind(1, from); s.bind(2, maxTx) }
            var hasInput = try inputs.step(), hasOutput = try outputs.step()
            while try txs.step() {
                let txID = txs.int(0)
                var tx = ClusterTransaction(isCoinbase: txs.int(1) == 1, inputAddresses: [], inputScriptTypes: [], outputs: [])
                tx.inputAddresses.reserveCapacity(Int(txs.int(2)))
                while hasInput && inputs.int(0) < txID { hasInput = try inputs.step() }
                while hasInput && inputs.int(0) == txID {
                    tx.inputAddresses.append(inputs.optionalInt(1))
                    if wantsChange { tx.inputScriptTypes.append(inputs.optionalInt(2).flatMap { ScriptType(rawValue: Int($0)) }) }
                    hasInput = try inputs.step()
                }
                let heuristics = utxo.filter { txID > progress[$0.rawValue] ?? 0 }
                // Only transactions a rule can use need their outputs.
                let needed = !tx.isCoinbase && (tx.inputAddresses.count >= 2 || (heuristics.contains(.change) && txs.int(3) >= 2))
                while hasOutput && outputs.int(0) < txID { hasOutput = try outputs.step() }
                while hasOutput && outputs.int(0) == txID {
                    if needed {
                        tx.outputs.append(.init(valueSats: outputs.int(1), address: outputs.int(2),
                                                scriptType: ScriptType(rawValue: Int(outputs.int(3))) ?? .nonstandard))
                    }
                    hasOutput = try outputs.step()
                }
                guard needed else { continue }
                summary.transactionsRead += 1
                try apply(heuristics, txID: txID, tx: tx, forest: &forest, changeOutputs: &summary.changeOutputs, merges: &summary.merges)
            }
        }
        for h in utxo { progress[h.rawValue] = max(progress[h.rawValue] ?? 0, maxTx) }

        let addPending = try db.prepare("INSERT OR IGNORE INTO cluster_pending(heuristic, tx_id) VALUES (?1, ?2)")
        for (h, txID) in waiting { try addPending.bind([.text(h.rawValue), .int(txID)]); try addPending.run() }
        let dropPending = try db.prepare("DELETE FROM cluster_pending WHERE heuristic = ?1 AND tx_id = ?2")
        for (h, txID) in resolved { try dropPending.bind([.text(h.rawValue), .int(txID)]); try dropPending.run() }
        summary.transactionsWaiting = Int(try db.scalarInt("SELECT count(DISTINCT tx_id) FROM cluster_pending") ?? 0)
        for (k, v) in coinJoins { summary.coinJoinsSkipped[k, default: 0] += v }
    }

    // MARK: Ethereum: deposit addresses

    mutating func findDepositAddresses() throws {
        let maxTransfer = try db.scalarInt("SELECT coalesce(max(id), 0) FROM transfers") ?? 0
        let from = progress[ClusterHeuristic.deposit.rawValue] ?? 0
        defer { progress[ClusterHeuristic.deposit.rawValue] = maxTransfer }
        guard from < maxTransfer else { return }
        // The chains' native asset: ETH, whose tolerance the rule states in wei.
        let native = try db.prepare("SELECT id, chain FROM assets WHERE symbol = 'ETH'").rows([]) { ($0.int(0), $0.text(1)) }
        guard !native.isEmpty else { return }
        let nativeIDs = Set(native.map(\.0))
        let chainOf = Dictionary(native, uniquingKeysWith: { a, _ in a })
        var exchangeLabels: [Int64: [Label]] = [:]
        let labelled = try db.prepare("""
            SELECT a.id, \(Store.labelColumns("l.")) FROM labels l JOIN addresses a ON a.address = l.address
            WHERE l.category = 'exchange' AND l.source <> ?1 ORDER BY a.id, l.name, l.source
            """).rows([.text(Store.depositLabelSource)]) { ($0.int(0), Store.label($0, from: 1)) }
        for (id, label) in labelled { exchangeLabels[id, default: []].append(label) }
        guard !exchangeLabels.isEmpty else { return }
        let isExchange: (Int64) -> Bool = { exchangeLabels[$0] != nil }

        // Candidates: senders of new transfers of the native asset to an exchange address.
        let toExchange = try db.prepare("SELECT from_id, asset_id FROM transfers WHERE to_id = ?1 AND id > ?2 AND id <= ?3")
        var candidates: [Int64: Int64] = [:]  // address -> asset
        for e in exchangeLabels.keys.sorted() {
            for (sender, asset) in try toExchange.rows([.int(e), .int(from), .int(maxTransfer)], { ($0.int(0), $0.int(1)) })
            where nativeIDs.contains(asset) && !isExchange(sender) {
                candidates[sender] = asset
            }
        }
        let texts = try store.addressTexts(candidates.keys)
        let ledger = try db.prepare("""
            SELECT id, block, 1, to_id, amount, kind, tx FROM transfers WHERE from_id = ?1 AND asset_id = ?2
            UNION ALL SELECT id, block, 0, from_id, amount, kind, tx FROM transfers WHERE to_id = ?1 AND asset_id = ?2
            """)
        var senderTexts: [Int64: String] = [:]
        func isSender(_ id: Int64) -> Bool {
            if senderTexts[id] == nil { senderTexts[id] = (try? store.addressTexts([id]))?[id] ?? ":" }
            return !(senderTexts[id] ?? ":").contains(":")
        }
        for candidate in candidates.keys.sorted() {
            guard let asset = candidates[candidate], let text = texts[candidate], !text.contains(":") else { continue }
            summary.depositCandidates += 1
            var rows: [(id: Int64, entry: LedgerEntry)] = []
            var complete = true
            let read = try ledger.rows([.int(candidate), .int(asset)]) { r -> (id: Int64, entry: LedgerEntry)? in
                guard let block = r.optionalInt(1) else { return nil }
                let amount: Int128
                if r.isInteger(4) { amount = Int128(r.int(4)) } else if let a = Int128(r.text(4)) { amount = a } else { return nil }
                return (r.int(0), LedgerEntry(block: block, isOutflow: r.int(2) == 1, counterparty: r.int(3), amount: amount,
                                              isFee: r.optionalText(5) == "fee", tx: r.text(6)))
            }
            for r in read { if let r { rows.append(r) } else { complete = false } }
            // Rows without a block cannot be placed in the rule's block window.
            guard complete else { continue }
            rows.sort { ($0.entry.block, $0.id) < ($1.entry.block, $1.id) }
            guard let finding = options.deposit.evaluate(rows.map(\.entry), isExchange: isExchange, isSender: isSender) else { continue }
            summary.depositAddresses += 1
            let exchange = finding.exchanges[0]
            let exchangeLabel = exchangeLabels[exchange]?.first
            depositLabels.append(Label(
                address: text, category: "exchange", name: "\(exchangeLabel?.name ?? "exchange") deposit address",
                source: Store.depositLabelSource, confidence: ClusterHeuristic.deposit.confidence, originalCategory: "deposit address",
                network: nil, actor: exchangeLabel?.actor))
            guard let first = finding.senders.first else { continue }
            for s in finding.senders.dropFirst()
            where forest.union(first.address, s.address, heuristic: .deposit, chain: chainOf[asset] ?? "ethereum", tx: .transactionHash(s.tx)) {
                via[forest.merges.count - 1] = candidate
                summary.merges[ClusterHeuristic.deposit.rawValue, default: 0] += 1
            }
        }
    }

    // MARK: Writing

    mutating func write() throws {
        // Into empty tables (a first run, or --rebuild) rows go in without their indexes, which are then built once:
        // sorting once is far cheaper than a random B-tree insert per row.
        let mergesBefore = try db.scalarInt("SELECT count(*) FROM cluster_merges") ?? 0
        let bulk = stored.isEmpty && mergesBefore == 0 && forest.merges.count > 10_000
        let indexes = [("cluster_merges_a", "cluster_merges(a_id)"), ("cluster_merges_b", "cluster_merges(b_id)"),
                       ("cluster_members_cluster", "cluster_members(cluster_id)")]
        if bulk { for (name, _) in indexes { try db.execute("DROP INDEX IF EXISTS \(name)") } }
        let merge = try db.prepare("""
            INSERT INTO cluster_merges(a_id, b_id, heuristic, confidence, chain, tx_id, tx, via_id, run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            """)
        for (i, m) in forest.merges.enumerated() {
            merge.rewind()
            merge.bind(1, m.a); merge.bind(2, m.b); merge.bind(3, m.heuristic.rawValue); merge.bind(4, m.heuristic.confidence)
            merge.bind(5, m.chain)
            switch m.tx {
            case .storedTransaction(let id): merge.bind(6, id); merge.bindNull(7)
            case .transactionHash(let hash): merge.bindNull(6); merge.bind(7, hash)
            }
            merge.bind(8, via[i]); merge.bind(9, runID)
            try merge.run()
        }
        let member = try db.prepare("""
            INSERT INTO cluster_members(address_id, cluster_id) VALUES (?1, ?2)
            ON CONFLICT(address_id) DO UPDATE SET cluster_id = excluded.cluster_id
            """)
        if !forest.merges.isEmpty {
            for (address, cluster) in forest.assignments() where stored[address] != cluster {
                member.rewind(); member.bind(1, address); member.bind(2, cluster)
                try member.run()
            }
        }
        if bulk { for (name, on) in indexes { try db.execute("CREATE INDEX IF NOT EXISTS \(name) ON \(on)") } }
        let label = try db.prepare("""
            INSERT INTO labels(address, category, name, source, confidence, original_category, source_id, network, actor)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, '', ?8) ON CONFLICT DO NOTHING
            """)
        for l in depositLabels {
            label.rewind()
            label.bind(1, l.address); label.bind(2, l.category); label.bind(3, l.name); label.bind(4, l.source)
            label.bind(5, l.confidence.map(Int64.init)); label.bind(6, l.originalCategory); label.bind(7, runID); label.bind(8, l.actor)
            try label.run()
        }
        let saveProgress = try db.prepare("""
            INSERT INTO cluster_progress(heuristic, last_id) VALUES (?1, ?2) ON CONFLICT(heuristic) DO UPDATE SET last_id = excluded.last_id
            """)
        for (h, last) in progress.sorted(by: { $0.key < $1.key }) {
            try saveProgress.bind([.text(h), .int(last)]); try saveProgress.run()
        }
    }
}
