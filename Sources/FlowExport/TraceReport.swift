import FlowCore

/// A trace result as FlowTrace reports it: addresses, labels, txids and exact amounts (as decimal strings of base
/// units). `flowtrace trace --json` writes it; `export --trace` and `case` read it back, so it is the input of every
/// graph and report writer.
public struct TraceReport: Codable, Sendable, Equatable {
    public struct Seed: Codable, Sendable, Equatable {
        public var seed: String, kind: String, amount: String
        public init(seed: String, kind: String, amount: String) { self.seed = seed; self.kind = kind; self.amount = amount }
    }

    /// Unknown or unset values are explicit nulls, so every result has the same keys.
    public struct Parameters: Codable, Sendable, Equatable {
        public var policy: String, direction: String
        @NullEncoded public var maxHops: Int?
        @NullEncoded public var since: String?
        @NullEncoded public var until: String?
        public var minAmount: String
        @NullEncoded public var amount: String?
        public var stopAt: [String]
        @NullEncoded public var maxNodes: Int?
        public var isStatic: Bool
        /// Whether addresses inherited their cluster's labels (`--entities`).
        public var entities: Bool
        enum CodingKeys: String, CodingKey { case policy, direction, maxHops, since, until, minAmount, amount, stopAt, maxNodes, isStatic = "static", entities }

        public init(policy: String, direction: String, maxHops: Int?, since: String?, until: String?, minAmount: String, amount: String?,
                    stopAt: [String], maxNodes: Int?, isStatic: Bool, entities: Bool) {
            self.policy = policy; self.direction = direction; self.maxHops = maxHops; self.since = since; self.until = until
            self.minAmount = minAmount; self.amount = amount; self.stopAt = stopAt; self.maxNodes = maxNodes; self.isStatic = isStatic
            self.entities = entities
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            policy = try c.decode(String.self, forKey: .policy); direction = try c.decode(String.self, forKey: .direction)
            _maxHops = try c.decode(NullEncoded<Int>.self, forKey: .maxHops)
            _since = try c.decode(NullEncoded<String>.self, forKey: .since); _until = try c.decode(NullEncoded<String>.self, forKey: .until)
            minAmount = try c.decode(String.self, forKey: .minAmount); _amount = try c.decode(NullEncoded<String>.self, forKey: .amount)
            stopAt = try c.decode([String].self, forKey: .stopAt); _maxNodes = try c.decode(NullEncoded<Int>.self, forKey: .maxNodes)
            isStatic = try c.decode(Bool.self, forKey: .isStatic)
            // Results saved before entities were reported traced without them.
            entities = try c.decodeIfPresent(Bool.self, forKey: .entities) ?? false
        }
    }

    public struct AssetInfo: Codable, Sendable, Equatable {
        public var symbol: String
        @NullEncoded public var decimals: Int?
        public var chain: String
        public init(symbol: String, decimals: Int?, chain: String) { self.symbol = symbol; self.decimals = decimals; self.chain = chain }
    }

    public struct Sink: Codable, Sendable, Equatable {
        public var address: String
        @NullEncoded public var label: String?
        public var category: String, amount: String, hops: Int
        @NullEncoded public var firstTime: String?
        @NullEncoded public var lastTime: String?
        public var reason: String, count: Int
        public init(address: String, label: String?, category: String, amount: String, hops: Int, firstTime: String?, lastTime: String?,
                    reason: String, count: Int) {
            self.address = address; self.label = label; self.category = category; self.amount = amount; self.hops = hops
            self.firstTime = firstTime; self.lastTime = lastTime; self.reason = reason; self.count = count
        }
    }

    /// One flow the trace used: `amount` is the tainted part of the transfer (or Bitcoin input/output), which
    /// moved `transferAmount` in all.
    public struct Edge: Codable, Sendable, Equatable {
        public var from: String, to: String, tx: String, amount: String
        public var transferAmount: String
        @NullEncoded public var time: String?
        @NullEncoded public var block: Int64?
        public var hop: Int, kind: String
        public init(from: String, to: String, tx: String, amount: String, transferAmount: String, time: String?, block: Int64?, hop: Int, kind: String) {
            self.from = from; self.to = to; self.tx = tx; self.amount = amount; self.transferAmount = transferAmount
            self.time = time; self.block = block; self.hop = hop; self.kind = kind
        }
    }

    /// An endpoint of the listed edges (or a seed): an address, or for Bitcoin a transaction, with the label the
    /// trace chose for it.
    public struct Node: Codable, Sendable, Equatable {
        public var id: String
        /// `address` or `transaction`.
        public var kind: String
        @NullEncoded public var label: String?
        @NullEncoded public var category: String?
        public var seed: Bool
        public init(id: String, kind: String, label: String?, category: String?, seed: Bool) {
            self.id = id; self.kind = kind; self.label = label; self.category = category; self.seed = seed
        }
    }

    public struct Totals: Codable, Sendable, Equatable {
        public var byCategory: [String: String], byHop: [String: String], byReason: [String: String]
        public init(byCategory: [String: String], byHop: [String: String], byReason: [String: String]) {
            self.byCategory = byCategory; self.byHop = byHop; self.byReason = byReason
        }
    }

    public struct Entity: Codable, Sendable, Equatable {
        /// The cluster's smallest member, or the address itself when it is in no cluster.
        public var entity: String
        public var isCluster: Bool
        public var size: Int
        @NullEncoded public var label: String?
        public var category: String
        public var amount: String
        /// Sinks (address and reason) in the entity, and the distinct addresses among them.
        public var sinks: Int
        public var addresses: Int
        public var hops: Int
        public init(entity: String, isCluster: Bool, size: Int, label: String?, category: String, amount: String, sinks: Int, addresses: Int, hops: Int) {
            self.entity = entity; self.isCluster = isCluster; self.size = size; self.label = label; self.category = category
            self.amount = amount; self.sinks = sinks; self.addresses = addresses; self.hops = hops
        }
    }

    public var model: String
    public var seeds: [Seed]
    public var parameters: Parameters
    public var asset: AssetInfo
    public var seedAmount: String
    public var sinkTotal: String
    /// Sum of sinks == seed amount (every policy but poison, which does not conserve).
    @NullEncoded public var conserved: Bool?
    public var sinks: [Sink]
    public var sinkCount: Int
    public var totals: Totals
    public var nodes: [Node]
    public var edges: [Edge]
    public var edgeCount: Int
    public var edgesTruncated: Bool
    public var expanded: Int
    public var storeGeneration: Int64
    /// With --entities: sinks summed per cluster (an address in no cluster is its own entity), the largest first.
    public var entities: [Entity]?

    public init(model: String, seeds: [Seed], parameters: Parameters, asset: AssetInfo, seedAmount: String, sinkTotal: String, conserved: Bool?,
                sinks: [Sink], sinkCount: Int, totals: Totals, nodes: [Node], edges: [Edge], edgeCount: Int, edgesTruncated: Bool, expanded: Int,
                storeGeneration: Int64, entities: [Entity]?) {
        self.model = model; self.seeds = seeds; self.parameters = parameters; self.asset = asset; self.seedAmount = seedAmount
        self.sinkTotal = sinkTotal; self.conserved = conserved; self.sinks = sinks; self.sinkCount = sinkCount; self.totals = totals
        self.nodes = nodes; self.edges = edges; self.edgeCount = edgeCount; self.edgesTruncated = edgesTruncated; self.expanded = expanded
        self.storeGeneration = storeGeneration; self.entities = entities
    }
}
