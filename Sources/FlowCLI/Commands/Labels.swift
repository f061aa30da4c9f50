import ArgumentParser
import FlowCore
import FlowIngest
import FlowStore
import Foundation

/// `flowtrace labels …`: what addresses are known to be (exchanges, mixers, bridges, sanctioned wallets, …).
struct Labels: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add, import and show address labels.",
        subcommands: [LabelsAdd.self, LabelsImport.self, LabelsShow.self])
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
        commandName: "import", abstract: "Import labels from a file.",
        discussion: "Formats: csv (address,category,name,source[,confidence]). More label sources arrive with the label work.")
    @Argument(help: "Format: csv.") var format: String
    @Argument(help: "Files.") var files: [String]
    @Option(help: "Path of the store.") var db: String

    func validate() throws {
        guard format == "csv" else { throw ValidationError("unknown label format '\(format)' (known: csv)") }
    }

    func run() throws {
        try withExitCodes {
            let store = try openStoreForWriting(db)
            for path in files {
                guard let source = try newSource(path, format: "labels-csv", chain: .named("any"), store: store, verb: "imported",
                                                 note: { Console.current.err($0 + "\n") }) else { continue }
                let labels = try LabelsCSV.read(path: path)
                let added = try store.addLabels(labels, source: source)
                Console.current.err("\(path): \(labels.count) labels read, \(added) new\n")
            }
        }
    }
}

struct LabelsShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show every label of an address.")
    @Argument(help: "The address.") var address: String
    @Option(help: "Path of the store.") var db: String
    @OptionGroup var output: OutputOptions

    struct Shown: Encodable { var address: String; var labels: [Label] }

    func run() throws {
        try withExitCodes {
            let normalized = AccountTransfer.normalizedAddress(address[...])
            let labels = try openStoreForReading(db).labels(of: normalized)
            if output.isJSON { Console.current.out(try jsonText(Shown(address: normalized, labels: labels))); return }
            if labels.isEmpty { Console.current.out("\(normalized): no labels\n"); return }
            Console.current.out(labels.map { "\($0.address)  \($0.category)  \($0.name)  [\($0.source)\($0.confidence.map { ", \($0)%" } ?? "")]" }
                .joined(separator: "\n") + "\n")
        }
    }
}
