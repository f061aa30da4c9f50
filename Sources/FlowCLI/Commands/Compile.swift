import ArgumentParser
import FlowStore
import Foundation

/// `flowtrace compile --db PATH`: build the memory-mapped graph snapshot next to the store.
struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compile the store into the memory-mapped graph snapshot (<db>.graph).",
        discussion: """
            The snapshot holds the account graph as flat CSR arrays (out- and in-adjacency, edges time-sorted per node, \
            exact amounts), the Bitcoin transaction graph (inputs, outputs, spends, a topological rank) and the store \
            generation it was built from; commands that trace rebuild a stale one, or refuse it with --no-compile.
            """)

    @Option(help: "Path of the store.") var db: String
    @Option(help: "Where to write the snapshot (default: <db>.graph).") var out: String?
    @OptionGroup var output: OutputOptions
    @Flag(help: "No summary on stderr.") var quiet = false

    func run() throws {
        try withExitCodes {
            let store = try openStoreForReading(db)
            try requireDerivedTransfers(store, db: db)
            let path = out ?? GraphSnapshot.defaultPath(forStore: db)
            let started = Date()
            let summary: GraphSnapshot.BuildSummary
            do { summary = try GraphSnapshot.build(from: store, to: path) } catch let e as SnapshotError {
                throw CLIFailure(message: e.description, exitCode: ExitStatus.cannotCreate)
            }
            if output.isJSON { Console.current.out(try jsonText(summary)) }
            if !quiet {
                Console.current.err(String(format: "compiled %ld nodes, %ld edges, %ld transactions (%ld outputs, %ld inputs) "
                                           + "(store generation %lld) into %@: %ld bytes in %.2f s\n",
                                           summary.nodes, summary.edges, summary.transactions, summary.outputs, summary.inputs,
                                           summary.storeGeneration, path, summary.bytes, Date().timeIntervalSince(started)))
            }
        }
    }
}
