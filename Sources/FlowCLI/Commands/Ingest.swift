import ArgumentParser
import FlowCore
import FlowIngest
import FlowStore
import Foundation

/// `flowtrace ingest <format> FILE... --db PATH`
struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read on-chain data into the store.",
        subcommands: [IngestBtcRaw.self, IngestBtcRPCJSON.self, IngestEsplora.self, IngestBtcETL.self, IngestBtcNode.self, IngestEthRPCJSON.self, IngestEthNode.self,
                      IngestEthETL.self, IngestEtherscan.self, IngestTokenList.self, IngestTransfersCSV.self])
}

/// Options every ingest format shares.
struct IngestOptions: ParsableArguments {
    @Option(help: "Path of the store (created if missing).")
    var db: String

    @Flag(help: "Print nothing on stderr but errors.")
    var quiet = false

    @Flag(name: .customLong("no-progress"), help: "No progress lines; the final summary is still printed.")
    var noProgress = false

    @Option(help: ArgumentHelp("Rows per committed transaction.", visibility: .hidden))
    var batchRows: Int = 200_000
}

/// The ingest-log description of `path` read as `format`, or nil — after saying so on stderr — when the same
/// content (SHA-256) was already ingested completely in that format, so reading it again would change nothing.
func newSource(_ path: String, format: String, chain: Chain, store: Store, verb: String = "ingested", digests: FileDigest.Ahead? = nil,
               note: (String) -> Void) throws -> SourceDescription? {
    let sha = try digests?.sha256Hex(path: path) ?? FileDigest.sha256Hex(path: path)
    if try store.hasCompleteIngest(sha256: sha, format: format) {
        note("\(path): already \(verb) (sha256 \(sha.prefix(16))…), nothing to do")
        return nil
    }
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
    return SourceDescription(path: path, sha256: sha, format: format, chain: chain, bytes: size)
}

/// Drives an ingest of files: skips sources already ingested (same SHA-256 and format), logs each source,
/// commits complete blocks before a bad one, and prints progress and the final summary.
struct IngestDriver {
    let options: IngestOptions
    let format: String
    let progress: ProgressReporter
    let store: Store
    var total = IngestCounts()

    init(options: IngestOptions, format: String) throws {
        self.options = options
        self.format = format
        progress = ProgressReporter(quiet: options.quiet)
        do {
            store = try Store(path: options.db)
        } catch let e as StoreError {
            throw CLIFailure(message: "cannot open the store: \(e)", exitCode: e.isBusy ? ExitStatus.busy : ExitStatus.cannotCreate)
        }
    }

    /// Ingests one file: `body` reads it and hands blocks or transactions to the writer.
    mutating func ingestFile(_ path: String, chain: Chain, body: (BitcoinWriter) throws -> Void) throws {
        guard let source = try newSource(path, format: format, chain: chain, store: store, note: progress.note) else { return }
        try ingest(source, body: body)
    }

    /// Ingests from any source (a file or a node).
    mutating func ingest(_ source: SourceDescription, body: (BitcoinWriter) throws -> Void) throws {
        let writer = try BitcoinWriter(store: store, source: source)
        writer.batchRows = options.batchRows
        let pause = ProcessInfo.processInfo.environment["FLOWTRACE_TEST_PAUSE_AFTER_COMMIT_MS"].flatMap(Int.init)
        let base = total
        let progress = self.progress
        let quietProgress = options.noProgress
        writer.onCommit = { counts in
            if !quietProgress {
                progress.update("\(source.path): \(base.blocks + counts.blocks) blocks, \(base.transactions + counts.transactions) txs, "
                                + "\(base.rows + counts.rows) rows committed")
            }
            // Lets tests interrupt an ingest between two commits.
            if let pause { usleep(UInt32(pause) * 1000) }
        }
        do {
            try body(writer)
            try writer.finish()
        } catch {
            try? writer.finish(error: "\(error)")
            add(writer.counts)
            throw error
        }
        add(writer.counts)
    }

    private mutating func add(_ c: IngestCounts) {
        total.blocks += c.blocks; total.blocksAlreadyStored += c.blocksAlreadyStored
        total.transactions += c.transactions; total.transactionsAlreadyStored += c.transactionsAlreadyStored
        total.outputs += c.outputs; total.inputs += c.inputs; total.addresses += c.addresses
        total.lateResolvedInputs += c.lateResolvedInputs
    }

    /// The final summary line (always printed unless --quiet).
    func finish() {
        let t = max(progress.elapsed, 1e-9)
        let rate = Int(Double(total.rows) / t)
        progress.finish(String(format: "ingested %ld blocks (%ld already stored), %ld transactions (%ld already stored), %ld outputs, %ld inputs, "
                               + "%ld new addresses; %ld rows in %.2f s (%ld rows/s)",
                               total.blocks, total.blocksAlreadyStored, total.transactions, total.transactionsAlreadyStored,
                               total.outputs, total.inputs, total.addresses, total.rows, t, rate))
    }
}

/// `flowtrace ingest btc-raw`: consensus-serialised blocks, one per file or in `blk*.dat` framing.
struct IngestBtcRaw: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "btc-raw",
        abstract: "Ingest raw Bitcoin blocks: a single serialised block, or Bitcoin Core blk*.dat files.",
        discussion: """
            The framing is detected from the magic bytes (mainnet, testnet3, testnet4, signet, regtest). Blocks may \
            arrive in any order; heights come from prev-hash links, the genesis hash or the BIP 34 coinbase height. \
            Bitcoin Core 28+ XOR-obfuscates blk files: xor.dat next to a blk file is used automatically.
            """)

    @OptionGroup var options: IngestOptions

    @Option(name: .customLong("xor-key"), help: "8-byte XOR key file (Bitcoin Core's blocks/xor.dat).")
    var xorKey: String?

    @Option(help: "Network of unframed single-block files: mainnet, testnet, testnet4, signet, regtest.")
    var network: BitcoinNetwork = .mainnet

    @Option(help: ArgumentHelp(
        "Height of the block in a single-block file, when nothing else can tell it (a pre-BIP 34 block with no stored neighbour).",
        discussion: "Checked against the BIP 34 height and the stored neighbours when they state one."))
    var height: Int?

    @Argument(help: "Block files.")
    var files: [String]

    func validate() throws {
        if height != nil && files.count != 1 { throw ValidationError("--height applies to exactly one single-block file") }
    }

    func run() throws {
        try withExitCodes {
            var driver = try IngestDriver(options: options, format: "btc-raw")
            let key = try xorKey.map { try BlockFileReader.loadXORKey(path: $0) }
            defer { driver.finish() }
            for path in files {
                var reader = try BlockFileReader(path: path, xorKey: key, defaultNetwork: network)
                let progress = driver.progress
                try driver.ingestFile(path, chain: .bitcoin(reader.network)) { writer in
                    if height != nil, reader.isFramed {
                        throw CLIFailure(message: "--height applies to a single-block file; \(path) is a blk file", exitCode: 64)
                    }
                    // Parse a batch of blocks on all cores, store them in file order, repeat.
                    while true {
                        let (records, error) = reader.nextBatch(maxBlocks: 64)
                        for var record in records {
                            if let height {
                                if let stated = record.block.transactions.first?.bip34Height, record.block.header.version >= 2, stated != height {
                                    throw IngestError(.inconsistent, "--height \(height) contradicts the BIP 34 height \(stated) in the coinbase",
                                                      path: path)
                                }
                                record.block.height = height
                            }
                            try writer.add(block: record.block)
                        }
                        if let error { throw error }
                        if records.isEmpty { break }
                    }
                    if let tx = reader.looseTransaction {
                        progress.note("\(path): holds one transaction (\(tx.txid)), stored without a block")
                        try writer.add(transactions: [tx], indexes: [nil], in: nil)
                    }
                }
            }
        }
    }
}

extension BitcoinNetwork: ExpressibleByArgument {}
