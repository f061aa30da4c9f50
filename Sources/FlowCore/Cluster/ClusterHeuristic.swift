/// An address-clustering heuristic: a rule that says two addresses are controlled by the same entity, with the
/// confidence FlowTrace gives the evidence it produces.
public enum ClusterHeuristic: String, CaseIterable, Sendable, Codable {
    /// Common-input ownership: the inputs of one (non-CoinJoin) transaction are spent by one wallet
    /// (Nakamoto 2008 §10; Meiklejohn et al., "A Fistful of Bitcoins", IMC 2013, heuristic 1).
    case multiInput = "multi-input"
    /// One-time change: the single never-before-seen output of the inputs' script type whose value is not round
    /// belongs to the spender (Meiklejohn et al. 2013, heuristic 2, with the script-type test of later work).
    case change
    /// Ethereum deposit addresses: the senders to one exchange deposit address are one user
    /// (Victor, "Address clustering heuristics for Ethereum", FC 2020).
    case deposit

    /// Confidence (0–100) recorded with every merge the heuristic makes.
    public var confidence: Int {
        switch self {
        case .multiInput: return 90
        case .deposit: return 60
        case .change: return 40
        }
    }

    /// The heuristics `flowtrace cluster` runs when none are named (change is opt-in: it errs more often).
    public static let defaults: [ClusterHeuristic] = [.multiInput, .deposit]
}

/// The transaction a merge rests on: a stored Bitcoin transaction (by store id) or an account transaction's hash.
public enum ClusterEvidence: Hashable, Sendable {
    case storedTransaction(Int64)
    case transactionHash(String)
}

/// Why two addresses are in one cluster: one merge, with the transaction and heuristic behind it.
public struct ClusterMerge: Hashable, Sendable {
    public var a: Int64
    public var b: Int64
    public var heuristic: ClusterHeuristic
    public var chain: String
    public var tx: ClusterEvidence

    public init(a: Int64, b: Int64, heuristic: ClusterHeuristic, chain: String, tx: ClusterEvidence) {
        self.a = a; self.b = b; self.heuristic = heuristic; self.chain = chain; self.tx = tx
    }
}

/// Union-find over address ids that keeps, for every union that joined two clusters, the merge that did it.
///
/// Recorded merges form a spanning forest of the clusters (a union inside one cluster records nothing), so the
/// merges between two members are exactly one path: the explanation `cluster explain` gives. The representative of
/// a cluster is its smallest address id, so it does not depend on the order of unions.
/// - Complexity: `find` and `union` are amortised near-constant (path halving; union by smallest id keeps trees
///   shallow in practice).
public struct ClusterForest: Sendable {
    private var parent: [Int64: Int64] = [:]
    /// Merges made since the forest was created, in order.
    public private(set) var merges: [ClusterMerge] = []

    /// A forest holding existing clusters: `assignments` maps each clustered address to its cluster's representative.
    public init(assignments: some Sequence<(address: Int64, cluster: Int64)> = []) {
        for (address, cluster) in assignments {
            parent[address] = cluster
            if parent[cluster] == nil { parent[cluster] = cluster }
        }
    }

    /// The representative of `a`'s cluster (`a` itself when it is in none).
    public mutating func find(_ a: Int64) -> Int64 {
        var x = a
        while let p = parent[x], p != x {
            let grand = parent[p] ?? p
            parent[x] = grand
            x = grand
        }
        return x
    }

    /// Puts `a` and `b` in one cluster; records `evidence` when they were in different ones.
    /// - Returns: whether the clusters were different.
    @discardableResult
    public mutating func union(_ a: Int64, _ b: Int64, heuristic: ClusterHeuristic, chain: String, tx: ClusterEvidence) -> Bool {
        let ra = find(a), rb = find(b)
        guard ra != rb else { return false }
        let (root, child) = ra < rb ? (ra, rb) : (rb, ra)
        parent[child] = root
        if parent[root] == nil { parent[root] = root }
        merges.append(ClusterMerge(a: a, b: b, heuristic: heuristic, chain: chain, tx: tx))
        return true
    }

    /// Every address the forest knows with its representative (addresses in clusters of one are left out).
    public mutating func assignments() -> [(address: Int64, cluster: Int64)] {
        var out: [(address: Int64, cluster: Int64)] = []
        out.reserveCapacity(parent.count)
        for a in Array(parent.keys) {
            let r = find(a)
            out.append((a, r))
        }
        return out.sorted { $0.address < $1.address }
    }
}
