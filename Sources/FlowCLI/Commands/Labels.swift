import ArgumentParser
import FlowCore
import FlowIngest
import FlowStore
import Foundation

/// `flowtrace labels …`: what addresses are known to be (exchanges, mixers, bridges, sanctioned wallets, …).
struct Labels: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add, import and show address labels.",
        subcommands: [LabelsAdd.self, LabelsImport.self, LabelsShow.self, LabelsStats.self])
}

/// Opens (creating if needed) a store for writing, mapping failures to exit codes.
func openStoreForWriting(_ path: String) throws -> Store {
    do { return try Store(path: path) } catch let e as StoreError {
        throw CLIFailure(message: "cannot open the store: \(e)", exitCode: e.isBusy ? ExitStatus.busy : ExitStatus.cannotCreate)
    }
}

struct LabelsAdd: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Label one address.")
    @Argument(help: "The address.") var address: String
    @Option(help: "Category: \(LabelCategory.all.joined(separator: ", ")) (synonyms are mapped; others are kept).")
    var category: String
    @Option(help: "Name, e.g. the service or case.") var name: String
    @Option(help: "Where the label comes from.") var source: String = "manual"
    @Option(help: "Confidence 0–100.") var confidence: Int?
    @Option(help: "Path of the store.") var db: String

    func validate() throws {
        if let confidence, !(0...100).contains(confidence) { throw ValidationError("--confidence must be 0…100") }
    }

    func run() throws {
        try withExitCodes {
            let store = try openStoreForWriting(db)
            let label = Label(address: AccountTransfer.normalizedAddress(address[...]), category: LabelCategory.normalize(category),
                              name: name, source: source, confidence: confidence, originalCategory: category)
            let added = try store.addLabels([label], source: SourceDescription(path: "labels add", sha256: nil, format: "label",
                                                                               chain: .named("any"), bytes: nil))
            Console.current.err(added == 1 ? "labelled \(label.address) as \(label.category) (\(name))\n" : "label already present\n")
        }
    }
}

struct LabelsImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import labels from files or folders of a label source.",
        discussion: """
            Formats:
              tagpack           GraphSense TagPacks and ActorPacks (YAML; a folder is read for *.yaml, *.yml)
              ofac              OFAC SDN addresses per asset: sanctioned_addresses_<ASSET>.txt or .json
              etherscan-labels  Etherscan's combined account (or token) labels JSON: address -> {name, labels}
              forta             Forta's labelled datasets (CSV): malicious labels, malicious contracts, phishing scams
              csv               address,category,name,source[,confidence]
            Every source's terms are mapped to FlowTrace's categories (\(LabelCategory.all.joined(separator: ", "))); the \
            original term, source, confidence and the import are kept. Several labels per address are normal and \
            conflicting ones are all kept. A file already imported (same SHA-256) is skipped.
            """)
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case tagpack, ofac, etherscanLabels = "etherscan-labels", forta, csv

        var extensions: Set<String> {
            switch self {
            case .tagpack: ["yaml", "yml"]
            case .ofac: ["txt", "json"]
            case .etherscanLabels: ["json"]
            case .forta, .csv: ["csv"]
            }
        }
    }
    @Argument(help: "Format: \(Format.allCases.map(\.rawValue).joined(separator: ", ")).") var format: Format
    @Argument(help: "Files, or folders searched for the format's files.") var files: [String]
    @Option(help: "Path of the store.") var db: String
    @Flag(help: "No per-file lines on stderr.") var quiet = false

    /// The files named, folders expanded to their files of the format's extensions (sorted, recursively).
    func expandedFiles() throws -> [String] {
        try files.flatMap { path -> [String] in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw CLIFailure(message: "\(path): no such file or folder", exitCode: ExitStatus.noInput)
            }
            guard isDirectory.boolValue else { return [path] }
            let found = (FileManager.default.enumerator(atPath: path)?.compactMap { $0 as? String } ?? [])
                .filter { format.extensions.contains(URL(fileURLWithPath: $0).pathExtension.lowercased()) }
                .sorted().map { (path as NSString).appendingPathComponent($0) }
            if found.isEmpty {
                throw CLIFailure(message: "\(path): no .\(format.extensions.sorted().joined(separator: "/.")) files in the folder",
                                 exitCode: ExitStatus.noInput)
            }
            return found
        }
    }

    func run() throws {
        try withExitCodes {
            let store = try openStoreForWriting(db)
            let started = Date()
            var read = 0, added = 0
            for path in try expandedFiles() {
                guard let source = try newSource(path, format: "labels-\(format.rawValue)", chain: .named("any"), store: store, verb: "imported",
                                                 note: { if !quiet { Console.current.err($0 + "\n") } }) else { continue }
                var labels: [Label] = [], actors: [LabelActor] = [], skipped = 0
                switch format {
                case .tagpack:
                    let pack = try TagPackReader.read(path: path)
                    (labels, actors, skipped) = (pack.labels, pack.actors, pack.skippedTags)
                case .ofac: labels = try LabelLists.ofac(path: path)
                case .etherscanLabels: labels = try LabelLists.etherscan(path: path)
                case .forta: labels = try LabelLists.forta(path: path)
                case .csv: labels = try LabelsCSV.read(path: path)
                }
                let new = try store.addLabels(labels, actors: actors, source: source)
                read += labels.count
                added += new
                if !quiet {
                    Console.current.err("\(path): \(labels.count) labels read, \(new) new"
                                        + (actors.isEmpty ? "" : ", \(actors.count) actors") + (skipped > 0 ? ", \(skipped) tags without an address skipped" : "") + "\n")
                }
            }
            let seconds = Date().timeIntervalSince(started)
            Console.current.err("imported \(read) labels (\(added) new) in \(String(format: "%.2f", seconds)) s\n")
        }
    }
}

struct LabelsStats: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Count the stored labels by category, import and network.")
    @Option(help: "Path of the store.") var db: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        try withExitCodes {
            let stats = try openStoreForReading(db).labelStatistics()
            if output.isJSON { Console.current.out(try jsonText(stats)); return }
            var text = "\(stats.labels) labels on \(stats.addresses) addresses (\(stats.addressesWithSeveralCategories) with several categories), "
                + "\(stats.actors) actors\n"
            for (category, n) in stats.byCategory.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
                text += "  \(category): \(n)\n"
            }
            Console.current.out(text)
        }
    }
}

struct LabelsShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show every label of an address.")
    @Argument(help: "The address.") var address: String
    @Option(help: "Path of the store.") var db: String
    @OptionGroup var output: OutputOptions

    struct Shown: Encodable {
        var address: String
        var categories: [String]
        /// Whether the sources disagree on what the address is (several categories): shown, never resolved.
        var hasConflicts: Bool
        var labels: [Label]
        var actors: [LabelActor]
        /// The address's cluster, whose members' labels it inherits (each with its own address, source and confidence).
        @NullEncoded var cluster: ClusterInfo?
    }

    func run() throws {
        try withExitCodes {
            let normalized = AccountTransfer.normalizedAddress(address[...])
            let store = try openStoreForReading(db)
            let labels = try store.labels(of: normalized)
            let categories = labels.map(\.category).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            let cluster = try store.addressID(of: normalized).flatMap { try store.clusterID(ofAddressID: $0) }
                .map { try clusterInfo(store: store, cluster: $0) }
            if output.isJSON {
                Console.current.out(try jsonText(Shown(address: normalized, categories: categories, hasConflicts: categories.count > 1,
                                                       labels: labels, actors: try store.actors(labels.compactMap(\.actor)), cluster: cluster)))
                return
            }
            var text = labels.isEmpty ? "\(normalized): no labels\n"
                : labels.map { "\($0.address)  \($0.category)  \($0.name)  [\($0.source)\($0.confidence.map { ", \($0)%" } ?? "")]" }
                    .joined(separator: "\n") + "\n"
            if let cluster {
                text += "in cluster \(cluster.id) (\(cluster.size) addresses)\(cluster.labels.isEmpty ? "" : ", inheriting:")\n"
                for l in cluster.labels where !labels.contains(l) {
                    text += "  \(l.category)  \(l.name)  [\(l.source)\(l.confidence.map { ", \($0)%" } ?? "")] on \(l.address)\n"
                }
            }
            Console.current.out(text)
        }
    }
}
