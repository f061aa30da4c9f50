import ArgumentParser
import FlowCore
import FlowExport
import FlowIngest
import FlowStore
import Foundation

/// The options every tracing command shares (`trace`, and later `export` and `report`).
struct TraceOptions: ParsableArguments {
    @Option(help: "Path of the store.") var db: String
    @Option(name: .customLong("from"), parsing: .upToNextOption,
            help: "Seeds: an address, txid:vout, a Bitcoin txid (all its outputs), or an account transfer's tx (prefix tx: or addr: to force).")
    var seeds: [String] = []
    @Option(name: .customLong("from-file"),
            help: "A file of further seeds, one per line (as for --from; blank lines and lines starting with # are skipped).")
    var seedsFile: String?
    @Option(help: "Taint policy (see the README).") var policy: TracePolicy = .haircut
    @Option(help: "forward follows the money, backward finds its source.") var direction: TraceDirection = .forward
    @Option(help: "Maximum hops (transfers, or transactions for Bitcoin).") var maxHops: Int?
    @Option(help: "Start of the time window (Unix seconds or ISO-8601).") var since: String?
    @Option(help: "End of the time window (Unix seconds or ISO-8601).") var until: String?
    @Option(help: "Dust threshold in base units: smaller taint is not followed.") var minAmount: String?
    @Option(help: "Trace only this many base units of the seeds (their first units in order).") var amount: String?
    @Option(parsing: .upToNextOption, help: "Stop at addresses labelled with these categories.")
    var stopAt: [String] = ["exchange", "mixer", "bridge"]
    @Flag(help: "Do not stop at labelled addresses.") var noStops = false
    @Option(help: "Expand at most this many nodes (addresses; transactions for Bitcoin).") var maxNodes: Int?
    @Flag(name: .customLong("static"), help: "Ignore time (account data): split taint over out-edges by amount, in rounds.")
    var isStatic = false
    @Option(help: "Account data: the asset symbol to follow (needed when the seeds move several).") var asset: String?
    @Option(help: "Snapshot path (default: <db>.graph).") var graph: String?
    @Flag(help: "Refuse a missing or stale snapshot instead of recompiling it.") var noCompile = false
    @Flag(help: "Entities: addresses inherit their cluster's labels (for --stop-at and categories) and totals are added per cluster (run `flowtrace cluster` first).")
    var entities = false

    func validate() throws {
        if let maxHops, maxHops < 1 { throw ValidationError("--max-hops must be at least 1") }
        if let maxNodes, maxNodes < 0 { throw ValidationError("--max-nodes must not be negative") }
        if isStatic && !(policy == .poison || policy == .haircut) {
            throw ValidationError("--static splits by amount: use it with --policy haircut or poison")
        }
        if isStatic && direction == .backward { throw ValidationError("--static traces forward only") }
        if isStatic && maxHops == nil { throw ValidationError("--static needs --max-hops (taint circulates forever in cycles otherwise)") }
        for (name, v) in [("--since", since), ("--until", until)] {
            if let v, TransfersCSVReader.parseTimestamp(v) == nil { throw ValidationError("\(name) '\(v)' is not Unix seconds or ISO-8601") }
        }
        for (name, v) in [("--min-amount", minAmount), ("--amount", amount)] {
            if let v, Int128(v).map({ $0 >= 0 }) != true { throw ValidationError("\(name) '\(v)' is not a non-negative integer of base units") }
        }
    }

    /// Whether any seed was given (on the command line or as a file).
    var hasSeeds: Bool { !seeds.isEmpty || seedsFile != nil }

    /// The `--from` seeds, then those of `--from-file` in file order.
    /// - Throws: ``CLIFailure`` (exit 66) when the file cannot be read, (exit 65) when it is not UTF-8 text.
    func allSeeds() throws -> [String] {
        guard let path = seedsFile else { return seeds }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIFailure(message: "\(path): cannot read the seeds file", exitCode: ExitStatus.noInput)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CLIFailure(message: "\(path): the seeds file is not UTF-8 text", exitCode: ExitStatus.dataError)
        }
        var fromFile: [String] = []
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let seed = line.trimmingCharacters(in: .whitespaces)
            if seed.isEmpty || seed.hasPrefix("#") { continue }
            fromFile.append(seed)
        }
        return seeds + fromFile
    }

    var limits: TraceLimits {
        TraceLimits(maxHops: maxHops, since: since.flatMap(TransfersCSVReader.parseTimestamp), until: until.flatMap(TransfersCSVReader.parseTimestamp),
                    minAmount: minAmount.flatMap { Int128($0) } ?? 0, maxNodes: maxNodes)
    }

    var stopCategories: [String] { noStops ? [] : stopAt.map(LabelCategory.normalize) }
}

extension TracePolicy: ExpressibleByArgument {}
extension TraceDirection: ExpressibleByArgument {}

/// Opens the snapshot of a store, recompiling a missing or stale one unless told not to.
func compiledGraphs(store: Store, db: String, path: String?, allowCompile: Bool) throws -> CompiledGraphs {
    let snapshot = path ?? GraphSnapshot.defaultPath(forStore: db)
    let generation = try store.generation()
    do {
        return try GraphSnapshot.loadAll(path: snapshot, expectedGeneration: generation)
    } catch let e as SnapshotError where e.kind != .io {
        guard allowCompile else { throw CLIFailure(message: "\(e.description) (without --no-compile it is rebuilt)", exitCode: ExitStatus.noInput) }
        Console.current.err("\(e.message): compiling the snapshot\n")
        do { try GraphSnapshot.build(from: store, to: snapshot) } catch let b as SnapshotError {
            throw CLIFailure(message: b.description, exitCode: ExitStatus.cannotCreate)
        }
        return try GraphSnapshot.loadAll(path: snapshot, expectedGeneration: generation)
    }
}

/// Resolves seeds, runs the right tracer on the snapshot and turns its outcome into a ``TraceReport``.
struct TraceRunner {
    let options: TraceOptions
    let maxEdges: Int
    let maxSinks: Int?

    enum Resolved {
        case utxo(outputs: [Int], seeds: [TraceReport.Seed])
        case account(nodes: [Int], edges: [Int], seeds: [TraceReport.Seed])
    }

    func run() throws -> TraceReport {
        let seedTexts = try options.allSeeds()
        if seedTexts.isEmpty { throw CLIFailure(message: "give at least one --from seed (or a --from-file that lists some)", exitCode: ExitStatus.usage) }
        Timings.mark("arguments, seeds")
        let store = try openStoreForReading(options.db)
        try requireDerivedTransfers(store, db: options.db)
        Timings.mark("open store")
        let graphs = try compiledGraphs(store: store, db: options.db, path: options.graph, allowCompile: !options.noCompile)
        Timings.mark("map snapshot")
        let limits = options.limits
        let resolved = try resolve(seedTexts, store: store, graphs: graphs)
        var stopIDs = try store.addressIDs(labelledWith: options.stopCategories)
        if options.entities { stopIDs = try store.expandedToClusters(stopIDs) }
        Timings.mark("resolve seeds, stops")
        let amountLimit = options.amount.flatMap { Int128($0) }
        switch resolved {
        case .utxo(let outputs, let seeds):
            if options.isStatic { throw CLIFailure(message: "--static applies to account-model data; these seeds are Bitcoin outputs", exitCode: ExitStatus.dataError) }
            var tracer = UTXOTracer(graph: graphs.utxo, policy: options.policy, direction: options.direction, limits: limits,
                                    isStop: stopIDs.isEmpty ? { _ in false } : { stopIDs.contains($0) })
            tracer.recordsFlows = maxEdges > 0
            tracer.maxFlows = maxEdges
            let outcome = tracer.trace(seedOutputs: outputs, amount: amountLimit)
            return try report(outcome, model: "utxo", seeds: seeds, seedAddresses: Set(outputs.map { graphs.utxo.outAddress[$0] }), store: store,
                              graphs: graphs, asset: .init(symbol: "BTC", decimals: 8, chain: "bitcoin"))
        case .account(let nodes, let edges, let seeds):
            let g = graphs.account
            let stopNodes = NodeBitSet(stopIDs.compactMap { g.node(addressID: $0) }, universe: g.nodeCount)
            let isStop: (Int) -> Bool = stopNodes.isEmpty ? { _ in false } : { stopNodes.contains($0) }
            let (assetID, assetInfo) = try chooseAsset(store: store, graph: g, nodes: nodes, edges: edges)
            let outcome: TraceOutcome
            if options.isStatic {
                var tracer = StaticTracer(graph: g, policy: options.policy, limits: limits, asset: assetID, isStop: isStop)
                tracer.recordsFlows = maxEdges > 0
                tracer.maxFlows = maxEdges
                tracer.threads = ProcessInfo.processInfo.activeProcessorCount
                // (The snapshot is not prefaulted: the workers' own page faults on the arrays they read cost less
                // than mapping all of it up front, measured on the comparison fixture.)
                outcome = tracer.trace(seedNodes: nodes, amount: amountLimit)
            } else {
                var tracer = AccountTracer(graph: g, policy: options.policy, direction: options.direction, limits: limits, asset: assetID,
                                           isStop: isStop)
                tracer.recordsFlows = maxEdges > 0
                tracer.maxFlows = maxEdges
                outcome = tracer.trace(seedNodes: nodes, seedEdges: edges, amount: amountLimit)
            }
            Timings.mark("trace (\(outcome.sinks.count) sinks)")
            // Seeds as addresses: seed nodes, and the sender (forward) or receiver (backward) of seed transfers.
            let seedAddresses = Set(nodes.map { g.nodeAddressID[$0] } + edges.map {
                g.nodeAddressID[Int(options.direction == .forward ? g.edgeSource[$0] : g.edgeTarget[$0])]
            })
            return try report(outcome, model: "account", seeds: seeds, seedAddresses: seedAddresses, store: store, graphs: graphs, asset: assetInfo)
        }
    }

    func resolve(_ seedTexts: [String], store: Store, graphs: CompiledGraphs) throws -> Resolved {
        var outputs: [Int] = [], nodes: [Int] = [], edges: [Int] = []
        var seedInfo: [TraceReport.Seed] = []
        let u = graphs.utxo, g = graphs.account
        func fail(_ message: String) -> CLIFailure { CLIFailure(message: message, exitCode: ExitStatus.dataError) }
        func output(_ tx: Int, _ vout: Int) -> Int? { vout >= 0 && vout < u.outputs(of: tx).count ? u.outputs(of: tx).lowerBound + vout : nil }
        for raw in seedTexts {
            var text = raw[...]
            var forced: String?
            for prefix in ["tx:", "addr:"] where text.hasPrefix(prefix) { forced = prefix; text = text.dropFirst(prefix.count) }
            if forced == nil, let colon = text.lastIndex(of: ":"), let h = Hash256(displayHex: text[..<colon]), let vout = Int(text[text.index(after: colon)...]) {
                guard let id = try store.transactionStoreID(txid: h), let tx = u.tx(storeID: id), let o = output(tx, vout) else {
                    throw fail("seed \(raw): no such output in the store")
                }
                outputs.append(o)
                seedInfo.append(.init(seed: String(raw), kind: "output", amount: String(u.outValue[o])))
                continue
            }
            if forced != "addr:", text.count == 64, let h = Hash256(displayHex: text), let id = try store.transactionStoreID(txid: h), let tx = u.tx(storeID: id) {
                outputs += u.outputs(of: tx)
                seedInfo.append(.init(seed: String(raw), kind: "transaction", amount: String(u.outputs(of: tx).reduce(Int64(0)) { $0 + u.outValue[$1] })))
                continue
            }
            let address = AccountTransfer.normalizedAddress(text)
            let addressID = forced == "tx:" ? nil : try store.addressID(of: address)
            if addressID == nil {
                if forced != "addr:" {
                    let ids = try store.transferIDs(tx: String(text))
                    if !ids.isEmpty {
                        // Each transfer's edge is among its sender's out-edges.
                        let found = try ids.compactMap { id -> Int? in
                            guard let sender = try store.transferSender(id), let v = g.node(addressID: sender) else { return nil }
                            return g.outEdges(of: v).first { g.edgeTransferID[$0] == id }
                        }
                        edges += found
                        seedInfo.append(.init(seed: String(raw), kind: "transfers", amount: String(found.reduce(Int128(0)) { $0 + g.amount(of: $1).baseUnits })))
                        continue
                    }
                    if forced == "tx:" { throw fail("seed \(raw): no transaction or transfer with this id in the store") }
                }
            }
            guard let id = addressID else { throw fail("seed \(raw): not an address, txid or transfer the store holds") }
            if let v = g.node(addressID: id) {
                nodes.append(v)
                seedInfo.append(.init(seed: String(raw), kind: "address", amount: ""))
            } else {
                let paying = try store.outputs(payingAddressID: id)
                let found = paying.compactMap { p in u.tx(storeID: p.tx).flatMap { output($0, p.vout) } }
                guard !found.isEmpty else { throw fail("seed \(raw): the address has no transfers or outputs in the snapshot") }
                let limits = options.limits
                let inWindow = found.filter { limits.contains(time: u.txTime[u.tx(ofOutput: $0)]) }
                outputs += inWindow
                seedInfo.append(.init(seed: String(raw), kind: "address", amount: String(inWindow.reduce(Int64(0)) { $0 + u.outValue[$1] })))
            }
        }
        if !outputs.isEmpty && !(nodes.isEmpty && edges.isEmpty) {
            throw fail("the seeds mix Bitcoin outputs and account-model transfers; trace them separately")
        }
        if !outputs.isEmpty {
            var seen = Set<Int>()
            return .utxo(outputs: outputs.filter { seen.insert($0).inserted }, seeds: seedInfo)
        }
        return .account(nodes: nodes, edges: edges, seeds: seedInfo)
    }

    func chooseAsset(store: Store, graph g: FlowGraph, nodes: [Int], edges: [Int]) throws -> (UInt32?, TraceReport.AssetInfo) {
        let assets = try store.assets()
        if let symbol = options.asset {
            guard let a = assets.values.sorted(by: { $0.id < $1.id }).first(where: { $0.symbol.caseInsensitiveCompare(symbol) == .orderedSame }) else {
                throw CLIFailure(message: "no asset '\(symbol)' in the store (have: \(assets.values.map(\.symbol).sorted().joined(separator: ", ")))",
                                 exitCode: ExitStatus.dataError)
            }
            return (UInt32(a.id), .init(symbol: a.symbol, decimals: a.decimals, chain: a.chain))
        }
        var used = Set<UInt32>()
        for e in edges { used.insert(g.edgeAsset[e]) }
        for v in nodes {
            for e in options.direction == .forward ? Array(g.outEdges(of: v)) : g.inEdgePositions(of: v).map({ Int(g.inEdge[$0]) }) {
                used.insert(g.edgeAsset[e])
            }
        }
        if used.count > 1 {
            let names = used.compactMap { assets[Int64($0)]?.symbol }.sorted().joined(separator: ", ")
            throw CLIFailure(message: "the seeds move several assets (\(names)): choose one with --asset", exitCode: ExitStatus.dataError)
        }
        guard let only = used.first, let a = assets[Int64(only)] else { return (nil, .init(symbol: "?", decimals: nil, chain: "?")) }
        // A store with one asset needs no per-edge filter (the tracers' fastest paths are unfiltered).
        return (assets.count == 1 ? nil : only, .init(symbol: a.symbol, decimals: a.decimals, chain: a.chain))
    }

    func report(_ outcome: TraceOutcome, model: String, seeds: [TraceReport.Seed], seedAddresses: Set<Int64>, store: Store,
                graphs: CompiledGraphs, asset: TraceReport.AssetInfo) throws -> TraceReport {
        let u = graphs.utxo, g = graphs.account
        let sinks = outcome.sinks
        let groups = SinkGroups(sinks) { l in
            switch l {
            case .node(let v): return g.nodeAddressID[v]
            case .output(let o): return u.outAddress[o]
            case .input(let i): return u.inAddress[i] == 0 ? nil : u.inAddress[i]
            case .fee: return nil
            }
        }
        Timings.mark("report: merge sinks")
        typealias Key = SinkGroups.Key
        let reasons = SinkReason.allCases
        // Largest first (ties: group order, i.e. address id, reason, fee); only listed sinks need their text. With
        // --max-sinks, a bounded heap picks them without sorting everything.
        func before(_ x: Int, _ y: Int) -> Bool { groups.amount[x] != groups.amount[y] ? groups.amount[x] > groups.amount[y] : x < y }
        var order: [Int]
        if let k = maxSinks, k < groups.count {
            var heap: [Int] = []  // the k best so far, worst on top
            heap.reserveCapacity(k + 1)
            func siftUp(_ i: Int) { var i = i; while i > 0 { let p = (i - 1) / 2; if before(heap[p], heap[i]) { heap.swapAt(p, i); i = p } else { break } } }
            func siftDown(_ i: Int) {
                var i = i
                while true {
                    let l = 2 * i + 1, r = l + 1
                    var m = i
                    if l < heap.count && before(heap[m], heap[l]) { m = l }
                    if r < heap.count && before(heap[m], heap[r]) { m = r }
                    if m == i { return }
                    heap.swapAt(i, m); i = m
                }
            }
            for i in 0..<groups.count {
                if heap.count < k { heap.append(i); siftUp(heap.count - 1) } else if k > 0 && before(i, heap[0]) { heap[0] = i; siftDown(0) }
            }
            order = heap.sorted(by: before)
        } else {
            order = Array(0..<groups.count)
            order.sort(by: before)
        }
        let listed = maxSinks.map { order.prefix($0) } ?? order[...]
        Timings.mark("report: merge, rank sinks")
        let texts = try store.addressTexts(listed.compactMap { groups.key($0).address })
        // Edges: the largest flows, then in (hop, from, to) order.
        let flowIndices = outcome.flows.indices.sorted { a, b in
            let (x, y) = (outcome.flows[a], outcome.flows[b])
            return x.amount != y.amount ? x.amount > y.amount : a < b
        }.prefix(maxEdges)
        var edgeAddressIDs: [Int64] = []
        for i in flowIndices {
            switch outcome.flows[i].via {
            case .edge(let e): edgeAddressIDs += [g.nodeAddressID[Int(g.edgeSource[e])], g.nodeAddressID[Int(g.edgeTarget[e])]]
            case .input(let k): if u.inAddress[k] != 0 { edgeAddressIDs.append(u.inAddress[k]) }
            case .output(let o): edgeAddressIDs.append(u.outAddress[o])
            }
        }
        let nodeAddressIDs = Set(edgeAddressIDs).union(seedAddresses)
        let edgeTexts = try store.addressTexts(nodeAddressIDs)
        let transferOf = try store.transferEvidence(flowIndices.compactMap { if case .edge(let e) = outcome.flows[$0].via { return g.edgeTransferID[e] }; return nil })
        let txOf = try store.txEvidence(flowIndices.compactMap { i -> Int64? in
            switch outcome.flows[i].via {
            case .edge: return nil
            case .input(let k): return u.txStoreID[Int(u.inTx[k])]
            case .output(let o): return u.txStoreID[u.tx(ofOutput: o)]
            }
        })
        var edges: [TraceReport.Edge] = flowIndices.map { i in
            let f = outcome.flows[i]
            switch f.via {
            case .edge(let e):
                let t = transferOf[g.edgeTransferID[e]]
                return .init(from: edgeTexts[g.nodeAddressID[Int(g.edgeSource[e])]] ?? "?", to: edgeTexts[g.nodeAddressID[Int(g.edgeTarget[e])]] ?? "?",
                             tx: t?.tx ?? "?", amount: String(f.amount), transferAmount: String(g.amount(of: e).baseUnits),
                             time: UnixTime.iso8601(g.edgeTime[e]), block: t?.block, hop: f.hop, kind: "transfer")
            case .input(let k):
                let tx = Int(u.inTx[k]), t = txOf[u.txStoreID[tx]], txid = t?.txid ?? "?"
                return .init(from: edgeTexts[u.inAddress[k]] ?? "(unknown)", to: txid, tx: txid, amount: String(f.amount),
                             transferAmount: String(u.inValue[k] >= 0 ? Int128(u.inValue[k]) : f.amount), time: UnixTime.iso8601(u.txTime[tx]), block: t?.block, hop: f.hop, kind: "input")
            case .output(let o):
                let tx = u.tx(ofOutput: o), t = txOf[u.txStoreID[tx]], txid = t?.txid ?? "?"
                return .init(from: txid, to: edgeTexts[u.outAddress[o]] ?? "(unknown)", tx: txid, amount: String(f.amount),
                             transferAmount: String(u.outValue[o]), time: UnixTime.iso8601(u.txTime[tx]), block: t?.block, hop: f.hop, kind: "output")
            }
        }
        edges.sort { ($0.hop, $0.from, $0.to, $0.tx) < ($1.hop, $1.from, $1.to, $1.tx) }
        // Categories for the totals: every sink's labels, looked up only when the store has any.
        let hasLabels = try store.hasLabels()
        // Sinks and the listed edges' addresses together: the graph's nodes carry the same labels as the sinks.
        let labelledIDs = hasLabels || options.entities ? Set((0..<groups.count).compactMap { groups.key($0).address }).union(nodeAddressIDs) : []
        var labels = hasLabels ? try store.labels(ofAddressIDs: labelledIDs) : [:]
        // With --entities an address also carries its cluster's labels (after its own).
        var clusterOf: [Int64: Int64] = [:]
        if options.entities {
            clusterOf = try store.clusterIDs(ofAddressIDs: labelledIDs)
            let inherited = hasLabels ? try store.clusterLabels(Set(clusterOf.values)) : [:]
            for (address, cluster) in clusterOf {
                guard let more = inherited[cluster] else { continue }
                let own = labels[address] ?? []
                labels[address] = own + more.filter { !own.contains($0) }
            }
        }
        let stopSet = Set(options.stopCategories)
        func chosenLabel(_ k: Key) -> Label? { k.address.flatMap(chosenLabel(address:)) }
        func chosenLabel(address: Int64) -> Label? {
            guard !labels.isEmpty, let addressLabels = labels[address] else { return nil }
            return addressLabels.first { stopSet.contains($0.category) } ?? addressLabels.first
        }
        func category(_ k: Key) -> String { k.isFee ? "fee" : (chosenLabel(k)?.category ?? "unlabelled") }
        var byCategory: [String: Int128] = [:], byHop: [Int: Int128] = [:], byReason: [String: Int128] = [:]
        var hopTotals: [Int128] = [], reasonTotals = [Int128](repeating: 0, count: reasons.count)
        var unlabelled: Int128 = 0, fees: Int128 = 0
        for g in 0..<groups.count {
            let amount = groups.amount[g], hop = groups.hop[g]
            if groups.isFee(g) { fees += amount } else if labels.isEmpty { unlabelled += amount } else { byCategory[category(groups.key(g)), default: 0] += amount }
            if hop >= 0 && hop < 1 << 20 {
                if hop >= hopTotals.count { hopTotals += [Int128](repeating: 0, count: hop - hopTotals.count + 1) }
                hopTotals[hop] += amount
            } else {
                byHop[hop, default: 0] += amount
            }
            reasonTotals[groups.reasonIndex(g)] += amount
        }
        // (The groups' amounts add up to the sinks', so the total needs no second pass over the sinks.)
        let sinkTotal = reasonTotals.reduce(0, +)
        if unlabelled > 0 { byCategory["unlabelled", default: 0] += unlabelled }
        if fees > 0 { byCategory["fee", default: 0] += fees }
        for (hop, total) in hopTotals.enumerated() where total > 0 { byHop[hop, default: 0] += total }
        for (i, total) in reasonTotals.enumerated() where total > 0 { byReason[reasons[i].rawValue] = total }
        let listedSinks: [TraceReport.Sink] = listed.map { i in
            let k = groups.key(i), (count, first, last) = groups.times(i, in: sinks)
            return .init(address: k.isFee ? "(fee)" : (k.address.flatMap { texts[$0] } ?? "(unknown)"), label: chosenLabel(k)?.name,
                         category: category(k), amount: String(groups.amount[i]), hops: groups.hop[i],
                         firstTime: first == Int64.max ? nil : UnixTime.iso8601(first), lastTime: last == Int64.min ? nil : UnixTime.iso8601(last),
                         reason: k.reason.rawValue, count: count)
        }
        Timings.mark("report: evidence, labels, totals")
        let entities = options.entities ? try entityTotals((0..<groups.count).map { let k = groups.key($0); return (k.address, k.isFee, groups.amount[$0], groups.hop[$0]) }, clusterOf: clusterOf,
                                                           store: store, chosenLabel: chosenLabel(address:)) : nil

        // The listed edges' endpoints and the seeds, with the label each shows (transactions have none).
        var nodes: [TraceReport.Node] = []
        var seen = Set<String>()
        for id in nodeAddressIDs.sorted() {
            guard let text = edgeTexts[id], seen.insert(text).inserted else { continue }
            let label = chosenLabel(address: id)
            nodes.append(.init(id: text, kind: "address", label: label?.name, category: label?.category, seed: seedAddresses.contains(id)))
        }
        for e in edges where e.kind != "transfer" {
            let txid = e.kind == "input" ? e.to : e.from
            if seen.insert(txid).inserted { nodes.append(.init(id: txid, kind: "transaction", label: nil, category: nil, seed: false)) }
        }
        nodes.sort { $0.id < $1.id }
        let o = options
        var seedsOut = seeds
        if seedsOut.contains(where: { $0.amount.isEmpty }) {
            // Address seeds of account data: their traced outflow is the seed amount less the other seeds'.
            let others = seedsOut.reduce(Int128(0)) { $0 + (Int128($1.amount) ?? 0) }
            for i in seedsOut.indices where seedsOut[i].amount.isEmpty { seedsOut[i].amount = String(max(0, outcome.seedAmount - others)) }
        }
        return TraceReport(
            model: model, seeds: seedsOut,
            parameters: .init(policy: o.policy.rawValue, direction: o.direction.rawValue, maxHops: o.maxHops,
                              since: o.limits.since.flatMap(UnixTime.iso8601), until: o.limits.until.flatMap(UnixTime.iso8601), minAmount: String(o.limits.minAmount),
                              amount: o.amount, stopAt: o.stopCategories, maxNodes: o.maxNodes, isStatic: o.isStatic, entities: o.entities),
            asset: asset, seedAmount: String(outcome.seedAmount), sinkTotal: String(sinkTotal),
            conserved: o.policy == .poison ? nil : sinkTotal == outcome.seedAmount,
            sinks: listedSinks, sinkCount: groups.count,
            totals: .init(byCategory: byCategory.mapValues { String($0) }, byHop: Dictionary(uniqueKeysWithValues: byHop.map { (String($0.key), String($0.value)) }), byReason: byReason.mapValues { String($0) }),
            nodes: nodes, edges: edges, edgeCount: outcome.flows.count, edgesTruncated: outcome.flows.count > edges.count,
            expanded: outcome.expanded, storeGeneration: graphs.storeGeneration, entities: entities)
    }

    /// Sinks summed per entity: the address's cluster, or the address alone.
    func entityTotals(_ sinks: [(address: Int64?, isFee: Bool, amount: Int128, hop: Int)], clusterOf: [Int64: Int64], store: Store,
                      chosenLabel: (Int64) -> Label?) throws -> [TraceReport.Entity] {
        struct Acc { var amount: Int128 = 0; var sinks = 0; var addresses = Set<Int64>(); var hop = Int.max; var representative: Int64? }
        var byEntity: [String: Acc] = [:]
        for s in sinks {
            let key: String
            if s.isFee { key = "fee" } else if let a = s.address { key = clusterOf[a].map { "c\($0)" } ?? "a\(a)" } else { key = "unknown" }
            var acc = byEntity[key] ?? Acc()
            acc.amount += s.amount; acc.sinks += 1; acc.hop = min(acc.hop, s.hop)
            if let a = s.address { acc.addresses.insert(a); acc.representative = clusterOf[a] ?? a }
            byEntity[key] = acc
        }
        let texts = try store.addressTexts(byEntity.values.compactMap(\.representative))
        var out: [TraceReport.Entity] = []
        for (key, acc) in byEntity {
            let isCluster = key.hasPrefix("c")
            let member = acc.addresses.min()
            let label = member.flatMap(chosenLabel)
            out.append(.init(entity: key == "fee" ? "(fee)" : acc.representative.flatMap { texts[$0] } ?? "(unknown)", isCluster: isCluster,
                             size: try acc.representative.map { isCluster ? try store.clusterSize($0) : 1 } ?? 0,
                             label: label?.name, category: key == "fee" ? "fee" : label?.category ?? "unlabelled", amount: String(acc.amount),
                             sinks: acc.sinks, addresses: acc.addresses.count, hops: acc.hop))
        }
        return out.sorted { a, b in
            let (x, y) = (Int128(a.amount) ?? 0, Int128(b.amount) ?? 0)
            return x != y ? x > y : a.entity < b.entity
        }
    }
}

/// `flowtrace trace`: follow tainted funds forward, or find their source backward.
struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Trace funds from seeds under a taint policy (see the README for the exact semantics).",
        discussion: """
            Bitcoin is traced exactly at transaction level; account data (Ethereum, transfers-csv) through time-ordered \
            per-address ledgers. Stops: --max-hops, --since/--until, --min-amount, --max-nodes and labelled addresses \
            (--stop-at). The result lists where the taint ended (sinks, with the reason), totals per category and \
            hop, and the flow edges used.
            """)

    @OptionGroup var trace: TraceOptions
    @Option(help: "List at most this many flow edges (the largest).") var maxEdges = 1000
    @Option(help: "List at most this many sinks (the largest); totals always cover all.") var maxSinks: Int?
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if maxEdges < 0 { throw ValidationError("--max-edges must not be negative") }
        if let maxSinks, maxSinks < 0 { throw ValidationError("--max-sinks must not be negative") }
    }

    func run() throws {
        try withExitCodes {
            let report = try TraceRunner(options: trace, maxEdges: maxEdges, maxSinks: maxSinks).run()
            Timings.mark("report")
            if output.isJSON { Console.current.out(try jsonText(report)); Timings.mark("JSON"); return }
            var text = "\(report.model) trace, \(report.parameters.policy) \(report.parameters.direction): \(report.seedAmount) base units of \(report.asset.symbol)"
            text += " from \(report.seeds.count) seed(s); \(report.sinkCount) sinks, \(report.edgeCount) flow edges, \(report.expanded) expanded\n"
            for (category, amount) in report.totals.byCategory.sorted(by: { $0.key < $1.key }) { text += "  \(category): \(amount)\n" }
            for s in report.sinks.prefix(20) {
                text += "  \(s.amount)\t\(s.reason)\thop \(s.hops)\t\(s.address)\(s.label.map { " (\($0), \(s.category))" } ?? "")\n"
            }
            Console.current.out(text)
        }
    }
}

/// A trace's sinks merged per (address, reason, fee), as columns: one packed integer per sink — the location's key
/// in the high half, then the reason, the fee flag and the sink's index — sorted, so that each group is a run in sink
/// order; per group, where its run starts, its summed amount and its lowest hop. The rest (key, count, times) is read
/// back from the run when needed, so a large trace writes 24 bytes per group rather than a record. (Sorting integers
/// is cheaper than hashing ~10⁶ sinks.)
///
/// A location's key is its address id — except an account node's, which is the node id: the graph has one node per
/// address, numbered in address order (``FlowGraph/nodeAddressID``), so the groups and their order are the same, and
/// a node's address is looked up only for the groups asked about rather than for every sink.
struct SinkGroups {
    struct Key: Hashable { var address: Int64?; var reason: SinkReason; var isFee: Bool }
    private static let reasons = SinkReason.allCases
    private static let nodeFlag: UInt64 = 1 << 63
    /// The sinks' packed keys, sorted.
    let keyed: [UInt128]
    /// Per group, the index of its first packed key; then the number of sinks.
    let start: [Int]
    let amount: [Int128]
    let hop: [Int]
    private let address: (TraceLocation) -> Int64?
    var count: Int { amount.count }

    /// Groups `sinks`; `address` gives a location's address id (nil: the fee, or an input of unknown origin).
    init(_ sinks: [TraceSink], address: @escaping (TraceLocation) -> Int64?) {
        self.address = address
        var keyed = [UInt128](unsafeUninitializedCapacity: sinks.count) { keyed, initialized in
            sinks.withUnsafeBufferPointer { sinks in
                for i in sinks.indices {
                    let s = sinks[i]
                    let location: UInt64, isFee: Bool
                    switch s.location {
                    case .node(let v): location = Self.nodeFlag | UInt64(v); isFee = false
                    case .fee: location = 0; isFee = true
                    default: location = UInt64(bitPattern: (address(s.location) ?? -1) + 1); isFee = false  // ids ≥ -1, below 2⁶³ - 1
                    }
                    keyed[i] = UInt128(location) << 64 | UInt128(Self.reasons.firstIndex(of: s.reason) ?? 0) << 33
                        | UInt128(isFee ? 1 : 0) << 32 | UInt128(UInt32(i))
                }
            }
            initialized = sinks.count
        }
        keyed.sort()
        var start: [Int] = [], amount: [Int128] = [], hop: [Int] = []
        // At most one group per sink (capacity never written is never touched).
        start.reserveCapacity(sinks.count + 1); amount.reserveCapacity(sinks.count); hop.reserveCapacity(sinks.count)
        keyed.withUnsafeBufferPointer { keyed in
            sinks.withUnsafeBufferPointer { sinks in
                var i = 0
                while i < keyed.count {
                    let group = keyed[i] >> 32
                    var sum: Int128 = 0, lowest = Int.max, j = i
                    repeat {
                        let s = sinks[Int(UInt32(truncatingIfNeeded: keyed[j]))]
                        sum += s.amount
                        lowest = min(lowest, s.hop)
                        j += 1
                    } while j < keyed.count && keyed[j] >> 32 == group
                    start.append(i); amount.append(sum); hop.append(lowest)
                    i = j
                }
            }
        }
        start.append(keyed.count)
        self.keyed = keyed; self.start = start; self.amount = amount; self.hop = hop
    }

    /// Group `g`'s key, unpacked (its address looked up).
    func key(_ g: Int) -> Key {
        let location = UInt64(truncatingIfNeeded: keyed[start[g]] >> 64)
        let a = location & Self.nodeFlag != 0 ? address(.node(Int(location & ~Self.nodeFlag))) : Int64(bitPattern: location) - 1
        return Key(address: a == -1 ? nil : a, reason: Self.reasons[reasonIndex(g)], isFee: isFee(g))
    }

    /// Whether group `g` is taint paid as fees.
    func isFee(_ g: Int) -> Bool { (keyed[start[g]] >> 32) & 1 == 1 }

    /// Group `g`'s reason, as its index in `SinkReason.allCases`.
    func reasonIndex(_ g: Int) -> Int { Int(UInt64(truncatingIfNeeded: keyed[start[g]]) >> 33) }

    /// Group `g`'s sink count and its first and last arrival times (Int64.max / Int64.min when none is known).
    func times(_ g: Int, in sinks: [TraceSink]) -> (count: Int, first: Int64, last: Int64) {
        var first = Int64.max, last = Int64.min
        for k in start[g]..<start[g + 1] {
            let t = sinks[Int(UInt32(truncatingIfNeeded: keyed[k]))].time
            if t != Int64.max { first = min(first, t); last = max(last, t) }
        }
        return (start[g + 1] - start[g], first, last)
    }
}
