import ArgumentParser
import FlowCore
import FlowIngest
import FlowStore
import Foundation

/// `flowtrace path`: the widest time-respecting paths from A to B, and how much could have reached B at most.
struct PathCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "path",
        abstract: "Time-respecting paths from one address to another (account data), the top K by bottleneck amount.",
        discussion: """
            Each path's transfers are strictly later one after the other. maxFlowBound is the maximum flow over every \
            transfer that lies on some time-respecting path from A to B: no more of A's outflow can have reached B.
            """)

    @Option(help: "Path of the store.") var db: String
    @Option(name: .customLong("from"), help: "Address the funds leave.") var source: String
    @Option(name: .customLong("to"), help: "Address they may have reached.") var target: String
    @Option(help: "Maximum transfers per path.") var maxHops = 6
    @Option(help: "How many paths.") var top = 5
    @Option(help: "Start of the time window (Unix seconds or ISO-8601).") var since: String?
    @Option(help: "End of the time window (Unix seconds or ISO-8601).") var until: String?
    @Option(help: "The asset symbol to follow (needed when the store holds several).") var asset: String?
    @Option(help: "Snapshot path (default: <db>.graph).") var graph: String?
    @Flag(help: "Refuse a missing or stale snapshot instead of recompiling it.") var noCompile = false
    @OptionGroup var output: OutputOptions

    struct Result: Encodable {
        struct Hop: Encodable { var from: String; var to: String; var tx: String; var amount: String; @NullEncoded var time: String? }
        struct Path: Encodable { var bottleneck: String; var hops: Int; var transfers: [Hop] }
        var from: String, to: String, asset: String, maxHops: Int, paths: [Path], maxFlowBound: String, truncated: Bool
    }

    func validate() throws {
        if maxHops < 1 { throw ValidationError("--max-hops must be at least 1") }
        if top < 1 { throw ValidationError("--top must be at least 1") }
        for (name, v) in [("--since", since), ("--until", until)] {
            if let v, TransfersCSVReader.parseTimestamp(v) == nil { throw ValidationError("\(name) '\(v)' is not Unix seconds or ISO-8601") }
        }
    }

    func run() throws {
        try withExitCodes {
            let store = try openStoreForReading(db)
            try requireDerivedTransfers(store, db: db)
            let graphs = try compiledGraphs(store: store, db: db, path: graph, allowCompile: !noCompile)
            let g = graphs.account
            func node(_ text: String) throws -> Int {
                let address = AccountTransfer.normalizedAddress(text[...])
                guard let id = try store.addressID(of: address) else {
                    throw CLIFailure(message: "\(text): the store has no such address", exitCode: ExitStatus.dataError)
                }
                guard let v = g.node(addressID: id) else {
                    throw CLIFailure(message: "\(text): no account-model transfers touch this address", exitCode: ExitStatus.dataError)
                }
                return v
            }
            // Bitcoin: the source address has outputs but no account transfers.
            let sourceID = try store.addressID(of: AccountTransfer.normalizedAddress(source[...]))
            if let sourceID, g.node(addressID: sourceID) == nil {
                try runUTXO(store: store, graphs: graphs, sourceID: sourceID)
                return
            }
            let (a, b) = (try node(source), try node(target))
            let assets = try store.assets()
            var assetID: UInt32?
            if let asset {
                guard let found = assets.values.first(where: { $0.symbol.caseInsensitiveCompare(asset) == .orderedSame }) else {
                    throw CLIFailure(message: "no asset '\(asset)' in the store", exitCode: ExitStatus.dataError)
                }
                assetID = UInt32(found.id)
            } else {
                let moved = Set(g.outEdges(of: a).map { g.edgeAsset[$0] })
                if moved.count > 1 { throw CLIFailure(message: "\(source) moves several assets: choose one with --asset", exitCode: ExitStatus.dataError) }
                assetID = moved.first
            }
            let limits = TraceLimits(maxHops: maxHops, since: since.flatMap(TransfersCSVReader.parseTimestamp),
                                     until: until.flatMap(TransfersCSVReader.parseTimestamp))
            let finder = PathFinder(graph: g, asset: assetID, limits: limits)
            let (paths, truncated) = finder.topPaths(from: a, to: b, k: top)
            let bound = finder.maxFlowBound(from: a, to: b)
            let used = paths.flatMap(\.edges)
            let texts = try store.addressTexts(used.flatMap { [g.nodeAddressID[Int(g.edgeSource[$0])], g.nodeAddressID[Int(g.edgeTarget[$0])]] })
            let txs = try store.transferTxs(used.map { g.edgeTransferID[$0] })
            let result = Result(
                from: AccountTransfer.normalizedAddress(source[...]), to: AccountTransfer.normalizedAddress(target[...]),
                asset: assetID.flatMap { assets[Int64($0)]?.symbol } ?? "?", maxHops: maxHops,
                paths: paths.map { p in
                    Result.Path(bottleneck: String(p.bottleneck), hops: p.edges.count, transfers: p.edges.map { e in
                        Result.Hop(from: texts[g.nodeAddressID[Int(g.edgeSource[e])]] ?? "?", to: texts[g.nodeAddressID[Int(g.edgeTarget[e])]] ?? "?",
                                   tx: txs[g.edgeTransferID[e]] ?? "?", amount: String(g.amount(of: e).baseUnits), time: UnixTime.iso8601(g.edgeTime[e]))
                    })
                },
                maxFlowBound: String(bound), truncated: truncated)
            try emit(result, unit: "base units")
        }
    }

    /// Bitcoin: paths of outputs from the source's outputs to outputs paying the target, each spent by the
    /// transaction that created the next.
    func runUTXO(store: Store, graphs: CompiledGraphs, sourceID: Int64) throws {
        let u = graphs.utxo
        guard let targetID = try store.addressID(of: AccountTransfer.normalizedAddress(target[...])) else {
            throw CLIFailure(message: "\(target): the store has no such address", exitCode: ExitStatus.dataError)
        }
        let sources = try store.outputs(payingAddressID: sourceID).compactMap { p -> Int? in
            guard let tx = u.tx(storeID: p.tx), p.vout < u.outputs(of: tx).count else { return nil }
            return u.outputs(of: tx).lowerBound + p.vout
        }
        let limits = TraceLimits(maxHops: maxHops, since: since.flatMap(TransfersCSVReader.parseTimestamp),
                                 until: until.flatMap(TransfersCSVReader.parseTimestamp))
        let finder = UTXOPathFinder(graph: u, limits: limits)
        let (paths, truncated) = finder.topPaths(from: sources, toAddress: targetID, k: top)
        let bound = finder.maxFlowBound(from: sources, toAddress: targetID)
        let outputs = paths.flatMap(\.outputs)
        let texts = try store.addressTexts(outputs.map { u.outAddress[$0] })
        let txids = try store.txids(outputs.map { u.txStoreID[u.tx(ofOutput: $0)] })
        let result = Result(
            from: AccountTransfer.normalizedAddress(source[...]), to: AccountTransfer.normalizedAddress(target[...]), asset: "BTC", maxHops: maxHops,
            paths: paths.map { p in
                Result.Path(bottleneck: String(p.bottleneck), hops: p.outputs.count - 1, transfers: zip(p.outputs, p.outputs.dropFirst()).map { a, b in
                    let tx = u.tx(ofOutput: b)
                    return Result.Hop(from: texts[u.outAddress[a]] ?? "?", to: texts[u.outAddress[b]] ?? "?", tx: txids[u.txStoreID[tx]] ?? "?",
                                      amount: String(u.outValue[b]), time: UnixTime.iso8601(u.txTime[tx]))
                })
            },
            maxFlowBound: String(bound), truncated: truncated)
        try emit(result, unit: "satoshis")
    }

    /// Prints the result as JSON, or as one line per path.
    func emit(_ result: Result, unit: String) throws {
        if output.isJSON { Console.current.out(try jsonText(result)); return }
        var text = "\(result.paths.count) path(s) from \(result.from) to \(result.to); at most \(result.maxFlowBound) \(unit) can have reached it\n"
        for p in result.paths {
            text += "  bottleneck \(p.bottleneck), \(p.hops) hop(s): " + ([p.transfers.first?.from ?? ""] + p.transfers.map(\.to)).joined(separator: " → ") + "\n"
        }
        Console.current.out(text)
    }
}
