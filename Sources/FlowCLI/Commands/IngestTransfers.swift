import ArgumentParser
import FlowCore
import FlowIngest
import FlowStore
import Foundation

/// `flowtrace ingest transfers-csv`: account-model transfers from any source.
struct IngestTransfersCSV: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfers-csv",
        abstract: "Ingest generic account-model transfers from CSV.",
        discussion: """
            Header-named columns from,to,amount,asset,timestamp,tx; optional decimals, chain, block, index; other \
            columns are ignored. Amounts are exact non-negative integers in base units (wei, token units), up to 128 \
            bits. Timestamps are Unix seconds or ISO-8601. Without an index column, a row's index is its position \
            among the same transaction's rows. 0x addresses are lower-cased.
            """)

    @OptionGroup var options: IngestOptions
    @Option(help: "Chain name for rows without a chain column.") var chain: String = "generic"
    @Argument(help: "CSV files.") var files: [String]

    func run() throws {
        try withExitCodes {
            let store: Store
            do { store = try Store(path: options.db) } catch let e as StoreError {
                throw CLIFailure(message: "cannot open the store: \(e)", exitCode: e.isBusy ? ExitStatus.busy : ExitStatus.cannotCreate)
            }
            let progress = ProgressReporter(quiet: options.quiet)
            var added = 0, skipped = 0, addresses = 0
            defer {
                let t = max(progress.elapsed, 1e-9)
                progress.finish(String(format: "ingested %ld transfers (%ld already stored), %ld new addresses in %.2f s (%ld rows/s)",
                                       added, skipped, addresses, t, Int(Double(added + addresses) / t)))
            }
            for path in files {
                guard let source = try newSource(path, format: "transfers-csv", chain: .named(chain), store: store, note: progress.note) else {
                    continue
                }
                var reader = try TransfersCSVReader(path: path, defaultChain: chain)
                let writer = try TransferWriter(store: store, source: source)
                writer.batchRows = options.batchRows
                let quietProgress = options.noProgress
                let base = added
                writer.onCommit = { n in if !quietProgress { progress.update("\(path): \(base + n) transfers committed") } }
                do {
                    while let t = try reader.next() {
                        do { try writer.add(t) } catch let e as StoreError {
                            throw IngestError(.inconsistent, e.message, path: path, line: reader.line)
                        }
                    }
                    try writer.finish()
                } catch {
                    try? writer.finish(error: "\(error)")
                    added += writer.added; skipped += writer.alreadyStored; addresses += writer.newAddresses
                    throw error
                }
                added += writer.added; skipped += writer.alreadyStored; addresses += writer.newAddresses
            }
        }
    }
}
