import ArgumentParser
import FlowCore
import FlowStore
import Foundation

/// `flowtrace cluster …`: group addresses into entities, with the evidence for every merge.
struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Cluster addresses into entities (multi-input, change, deposit heuristics) and explain clusters.",
        subcommands: [ClusterRunCommand.self, ClusterExplain.self, ClusterShow.self],
        defaultSubcommand: ClusterRunCommand.self)
}

extension ClusterHeuristic: ExpressibleByArgument {}

/// A cluster as the CLI shows it: named by its smallest member's address.
struct ClusterInfo: Codable, Equatable {
    var id: String
    var size: Int
    /// The labels of its members, which the whole cluster inherits (each keeps its address, source and confidence).
    var labels: [Label]
    var categories: [String]
}

func clusterInfo(store: Store, cluster: Int64) throws -> ClusterInfo {
    let labels = try store.clusterLabels([cluster])[cluster] ?? []
    return ClusterInfo(id: try store.addressTexts([cluster])[cluster] ?? "?", size: try store.clusterSize(cluster), labels: labels,
                       categories: labels.map(\.category).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } })
}

struct ClusterRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Cluster the store's addresses (the default of `flowtrace cluster`).",
        discussion: """
            multi-input  the distinct input addresses of a transaction are one owner; coinbase transactions and \
            CoinJoins (the BlockSci/GraphSense equal-output rule, Whirlpool and Wasabi rounds) are skipped.
            change       (opt-in) the single never-before-seen output of the inputs' script type with a value that \
            is not a multiple of 10,000 sat joins the spender.
            deposit      an Ethereum address that forwards all it receives (within --deposit-tolerance wei) to \
            exchange-labelled addresses, each forward within --deposit-blocks of a receipt, is labelled as that \
            exchange's deposit address, and the addresses that send to it are one user.
            Each run reads only what was stored since the last one (and transactions that were waiting for their \
            input addresses); --rebuild starts over. Every merge keeps its transaction and heuristic.
            """)

    @Option(help: "Path of the store.") var db: String
    @Option(help: "Comma-separated heuristics: multi-input, change, deposit.", transform: { text in
        try text.split(separator: ",").map { part in
            guard let h = ClusterHeuristic(rawValue: part.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("unknown heuristic '\(part)' (have: \(ClusterHeuristic.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return h
        }
    })
    var heuristics: [ClusterHeuristic] = ClusterHeuristic.defaults
    @Flag(help: "Forget every cluster, merge and deposit label first and recompute from all data.") var rebuild = false
    @Option(help: "Deposit rule: blocks a forward may follow the receipt before it.") var depositBlocks: Int64 = 3_200
    @Option(help: "Deposit rule: how far received and forwarded may differ, in wei.") var depositTolerance = "10000000000000000"
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if heuristics.isEmpty { throw ValidationError("--heuristics names no heuristic") }
        if depositBlocks < 0 { throw ValidationError("--deposit-blocks must not be negative") }
        guard let t = Int128(depositTolerance), t >= 0 else { throw ValidationError("--deposit-tolerance must be a non-negative integer (wei)") }
    }

    func run() throws {
        try withExitCodes {
            let store = try openStoreForWriting(db)
            let started = Date()
            let summary = try store.cluster(ClusterOptions(
                heuristics: Set(heuristics), rebuild: rebuild,
                deposit: DepositRule(tolerance: Int128(depositTolerance) ?? 0, maxBlocks: depositBlocks)))
            let seconds = Date().timeIntervalSince(started)
            Console.current.err("clustered in \(String(format: "%.2f", seconds)) s\n")
            if output.isJSON { Console.current.out(try jsonText(summary)); return }
            var text = "\(summary.transactionsRead) transactions read (\(summary.transactionsWaiting) waiting for input addresses), "
                + "\(summary.depositCandidates) deposit candidates, \(summary.depositAddresses) deposit addresses\n"
            for (h, n) in summary.merges.sorted(by: { $0.key < $1.key }) { text += "  \(h): \(n) merges\n" }
            for (p, n) in summary.coinJoinsSkipped.sorted(by: { $0.key < $1.key }) { text += "  CoinJoin (\(p)) skipped: \(n)\n" }
            text += "\(summary.clusters) clusters of \(summary.clusteredAddresses) addresses, the largest \(summary.largestCluster)\n"
            Console.current.out(text)
        }
    }
}

struct ClusterExplain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show the chain of transactions and heuristics that put two addresses in one cluster.")
    @Argument(help: "The first address.") var a: String
    @Argument(help: "The second address.") var b: String
    @Option(help: "Path of the store.") var db: String
    @OptionGroup var output: OutputOptions

    struct Explanation: Encodable {
        var a: String
        var b: String
        var sameCluster: Bool
        @NullEncoded var cluster: String?
        /// The merges from a to b, in order.
        var steps: [ClusterMergeRecord]
        /// The weakest step's confidence: the chain is no stronger than it.
        @NullEncoded var confidence: Int?
    }

    func run() throws {
        try withExitCodes {
            let store = try openStoreForReading(db)
            let (ta, tb) = (AccountTransfer.normalizedAddress(a[...]), AccountTransfer.normalizedAddress(b[...]))
            guard let ia = try store.addressID(of: ta) else { throw CLIFailure(message: "\(ta): not in the store", exitCode: ExitStatus.dataError) }
            guard let ib = try store.addressID(of: tb) else { throw CLIFailure(message: "\(tb): not in the store", exitCode: ExitStatus.dataError) }
            let steps = try store.explainCluster(ia, ib)
            let cluster = try store.clusterID(ofAddressID: ia).flatMap { try store.addressTexts([$0])[$0] }
            let e = Explanation(a: ta, b: tb, sameCluster: steps != nil, cluster: steps == nil ? nil : cluster ?? ta, steps: steps ?? [],
                                confidence: steps.flatMap { $0.map(\.confidence).min() })
            if output.isJSON { Console.current.out(try jsonText(e)); return }
            guard let steps else { Console.current.out("\(ta) and \(tb) are not in one cluster\n"); return }
            var text = "\(ta) and \(tb) are in one cluster (confidence \(e.confidence.map(String.init) ?? "-")):\n"
            for s in steps {
                text += "  \(s.from) ~ \(s.to)  \(s.heuristic) (\(s.confidence))  \(s.chain) tx \(s.tx)"
                    + (s.depositAddress.map { " via deposit address \($0)" } ?? "") + "\n"
            }
            Console.current.out(text)
        }
    }
}

struct ClusterShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show an address's cluster: size, members and inherited labels.")
    @Argument(help: "The address.") var address: String
    @Option(help: "Path of the store.") var db: String
    @Option(help: "List at most this many members.") var maxMembers = 100
    @OptionGroup var output: OutputOptions

    struct Shown: Encodable {
        var address: String
        @NullEncoded var cluster: ClusterInfo?
        var members: [String]
        var membersTruncated: Bool
    }

    func run() throws {
        try withExitCodes {
            let store = try openStoreForReading(db)
            let text = AccountTransfer.normalizedAddress(address[...])
            guard let id = try store.addressID(of: text) else { throw CLIFailure(message: "\(text): not in the store", exitCode: ExitStatus.dataError) }
            var shown = Shown(address: text, cluster: nil, members: [text], membersTruncated: false)
            if let c = try store.clusterID(ofAddressID: id) {
                let info = try clusterInfo(store: store, cluster: c)
                let members = try store.clusterMembers(c, limit: max(0, maxMembers))
                let texts = try store.addressTexts(members)
                shown = Shown(address: text, cluster: info, members: members.compactMap { texts[$0] }, membersTruncated: info.size > members.count)
            }
            if output.isJSON { Console.current.out(try jsonText(shown)); return }
            guard let info = shown.cluster else { Console.current.out("\(text): in no cluster\n"); return }
            var out = "\(text): cluster \(info.id), \(info.size) addresses\n"
            for l in info.labels { out += "  label \(l.category)  \(l.name)  [\(l.source)\(l.confidence.map { ", \($0)%" } ?? "")] on \(l.address)\n" }
            for m in shown.members { out += "  \(m)\n" }
            if shown.membersTruncated { out += "  …\n" }
            Console.current.out(out)
        }
    }
}
