import ArgumentParser
import FlowCore
import FlowIngest
import FlowStore
import Foundation

/// Shared driver of the Ethereum ingest formats: per file, skip it when already ingested, log it and store its
/// records (a bad file stores nothing: its open batch is rolled back); then derive the transfers of every block
/// the run touched, once, however many files (blocks, transactions, receipts, logs…) touched it.
///
/// Derivation is deferred through `eth_pending`: a run killed before it derives leaves its blocks listed there,
/// and the next Ethereum ingest of the chain (even one given no files) derives them.
struct EthIngestRun {
    let options: IngestOptions
    let format: String
    let chain: String
    let store: Store
    let progress: ProgressReporter
    /// Live ingests derive per committed batch; file ingests once at the end.
    let deferDerivation: Bool
    var records = 0, derived = 0, addresses = 0
    var unknownStatus: [Int64: Int] = [:]
    var awaiting: Set<Int64> = []
    /// The digests of the run's files, worked out ahead on a thread of their own.
    let digests: FileDigest.Ahead?

    /// - Parameters:
    ///   - files: the files the run will ingest, whose digests are worked out ahead.
    ///   - buildAside: a store that does not exist yet is built aside and placed when the run ends
    ///     (``Store/beginBuild(at:)``) instead of growing in place.
    init(options: IngestOptions, format: String, chain: String, files: [String] = [], deferDerivation: Bool = true,
         buildAside: Bool = false) throws {
        self.options = options; self.format = format; self.chain = chain; self.deferDerivation = deferDerivation
        digests = files.isEmpty ? nil : FileDigest.Ahead(paths: files)
        progress = ProgressReporter(quiet: options.quiet)
        do {
            store = try (buildAside && !files.isEmpty ? Store.beginBuild(at: options.db) : nil) ?? Store(path: options.db)
        } catch let e as StoreError {
            throw CLIFailure(message: "cannot open the store: \(e)", exitCode: e.isBusy ? ExitStatus.busy : ExitStatus.cannotCreate)
        }
    }

    /// Ingests one file; `body` hands its records to the writer (call `writer.add`, and `writer.commit()` between
    /// large chunks).
    mutating func file(_ path: String, _ body: (EthWriter) throws -> Void) throws {
        guard let source = try source(path) else { return }
        Timings.mark("log source \(URL(fileURLWithPath: path).lastPathComponent)")
        try ingest(source, body)
        Timings.mark("store \(URL(fileURLWithPath: path).lastPathComponent)")
    }

    /// Ingests two files read together (`both`) as one batch, each logged as a source; when one of them was
    /// ingested before, the other alone (`one`).
    mutating func files(_ first: String, _ second: String, both: (EthWriter) throws -> Void, one: (EthWriter, String) throws -> Void) throws {
        let sources = try [first, second].map { try source($0) }
        Timings.mark("log sources \(URL(fileURLWithPath: first).lastPathComponent), \(URL(fileURLWithPath: second).lastPathComponent)")
        switch (sources[0], sources[1]) {
        case (let a?, let b?): try ingest(a, companions: [b], both)
        case (let a?, nil): try ingest(a) { try one($0, first) }
        case (nil, let b?): try ingest(b) { try one($0, second) }
        case (nil, nil): break
        }
        Timings.mark("store \(URL(fileURLWithPath: first).lastPathComponent), \(URL(fileURLWithPath: second).lastPathComponent)")
    }

    /// The ingest-log description of a file, or nil when it was ingested before (see `newSource`).
    private func source(_ path: String) throws -> SourceDescription? {
        guard FileManager.default.fileExists(atPath: path) else { throw IngestError(.missingFile, "no such file", path: path) }
        return try newSource(path, format: format, chain: .named(chain), store: store, digests: digests, note: progress.note)
    }

    /// Ingests from one logged source (a file, or a node's block range), with the sources read together with it.
    mutating func ingest(_ source: SourceDescription, companions: [SourceDescription] = [], _ body: (EthWriter) throws -> Void) throws {
        let writer = try EthWriter(store: store, source: source, companions: companions, chain: chain, deferDerivation: deferDerivation)
        do {
            try body(writer)
            try writer.finish()
        } catch {
            try? writer.finish(error: "\(error)")
            throw error
        }
        absorb(writer)
    }

    private mutating func absorb(_ writer: EthWriter) {
        records += writer.records; derived += writer.derived; addresses += writer.newAddresses
        unknownStatus.merge(writer.unknownStatusByBlock) { _, later in later }
        awaiting.formUnion(writer.awaitingTime)
    }

    /// Runs `body` (the files), then derives every pending block of the chain — also after a failed file, so the
    /// files committed before it are complete.
    /// A store built aside is placed at the end, also after a failed file (its files before are complete there).
    mutating func run(_ body: (inout EthIngestRun) throws -> Void) throws {
        var failure: Error?
        try store.withCheckpointsInBackground {
            do { try body(&self) } catch { failure = error }
            do { try derivePending() } catch { if failure == nil { failure = error } }
        }
        do { awaiting.subtract(try store.ethBlocksWithTime(chain: chain, among: awaiting)) } catch { if failure == nil { failure = error } }
        if store.isBuilding {
            if ProcessInfo.processInfo.environment["FLOWTRACE_TEST_KILL_BEFORE_PLACING_BUILD"] != nil { kill(getpid(), SIGKILL) }
            do { try store.completeBuild() } catch let e as StoreError {
                throw CLIFailure(message: "\(e)", exitCode: e.isBusy ? ExitStatus.busy : ExitStatus.cannotCreate)
            }
            Timings.mark("place the new store")
        }
        if let failure { throw failure }
    }

    /// Derives the transfers of the chain's pending blocks, logged as a source of their own.
    mutating func derivePending() throws {
        let pending = try EthWriter.pendingBlocks(store: store, chain: chain)
        guard pending > 0 else { return }
        Timings.mark("find \(pending) pending blocks")
        // The largest rowid stands for the row count without scanning the table.
        let stored = try store.db.scalarInt("SELECT max(id) FROM transfers") ?? 0
        // A derivation that adds much to the table is faster with the address indexes rebuilt once at the end.
        let bulk = stored < 200_000 || pending * 100 > stored / 4
        let source = SourceDescription(path: "transfers of \(pending) \(chain) blocks", sha256: nil, format: "eth-derive",
                                       chain: .named(chain), bytes: nil)
        let writer = try EthWriter(store: store, source: source, chain: chain, deferIndexes: bulk)
        let progress = self.progress, quiet = options.noProgress
        do {
            try writer.derivePending { done in if !quiet { progress.update("deriving transfers: block \(done) of \(pending)") } }
            Timings.mark("derive \(pending) blocks")
            try writer.finish()
            Timings.mark("finish (indexes)")
        } catch {
            try? writer.finish(error: "\(error)")
            throw error
        }
        absorb(writer)
    }

    func summary() {
        var text = String(format: "ingested %ld Ethereum records: %ld transfers derived, %ld new addresses in %.2f s",
                          records, derived, addresses, progress.elapsed)
        let unknown = unknownStatus.values.reduce(0, +)
        if unknown > 0 { text += "; \(unknown) transactions of unknown outcome moved no value (ingest their receipts or traces)" }
        if !awaiting.isEmpty {
            text += "; \(awaiting.count) blocks have no timestamp yet (ingest their blocks): \(awaiting.sorted().prefix(5).map(String.init).joined(separator: ", "))"
        }
        progress.finish(text)
    }
}

/// `flowtrace ingest eth-rpc-json`: recorded Ethereum JSON-RPC replies.
struct IngestEthRPCJSON: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eth-rpc-json",
        abstract: "Ingest recorded Ethereum JSON-RPC replies (blocks, receipts, logs, traces).",
        discussion: """
            Each file holds one reply, bare or in its JSON-RPC envelope, or a batch of them: eth_getBlockByNumber \
            with full transactions, eth_getTransactionReceipt or eth_getBlockReceipts, eth_getLogs, Parity \
            trace_block, or geth debug_traceBlockByNumber with callTracer (whose block comes from --geth-block or a \
            file name like …debug_traceBlockByNumber_0xf4240…). Transfers are derived per block: see the README.
            """)

    @OptionGroup var options: IngestOptions
    @Option(help: "Chain name.") var chain = "ethereum"
    @Option(help: "Block number of geth trace replies (when the file name does not say).") var gethBlock: Int64?
    @Argument(help: "Reply files (none: only derive the transfers of blocks an interrupted ingest left pending).")
    var files: [String] = []

    func run() throws {
        try withExitCodes {
            var run = try EthIngestRun(options: options, format: "eth-rpc-json", chain: chain, files: files)
            defer { run.summary() }
            try run.run { run in for path in files {
                try run.file(path) { writer in
                    let bytes: [UInt8]
                    do { bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
                        throw IngestError(.unreadable, "cannot read the file", path: path)
                    }
                    let json: JSONValue
                    do { json = try JSONParser.parse(bytes) } catch let e as IngestError { throw e.at(path: path) }
                    let name = URL(fileURLWithPath: path).lastPathComponent
                    let decoder = EthRPCDecoder(path: path, gethBlockNumber: gethBlock ?? EthRPCDecoder.gethBlock(fromFileName: name))
                    // The whole file decodes before anything is stored: a bad reply stores nothing.
                    try writer.add(try decoder.decode(json))
                }
            } }
        }
    }
}

/// `flowtrace ingest eth-etl`: blockchain-etl ethereum-etl exports.
struct IngestEthETL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eth-etl",
        abstract: "Ingest ethereum-etl exports (blocks, transactions, receipts, logs, token_transfers, traces; CSV or JSON Lines).",
        discussion: """
            The kind of each file is found from its column names; extra columns are ignored. token_transfers has no \
            timestamps: ingest the blocks (or transactions) of the same range too, in any order. A token_transfers \
            export cannot tell ERC-20 from ERC-721 (both appear with a value): ingest the logs to classify them. A \
            transactions CSV export and a receipts CSV export given in one run are read together (the k-th of each), \
            so a transaction and its receipt are written once; the two files are stored, or refused, together.
            """)

    @OptionGroup var options: IngestOptions
    @Option(help: "Chain name.") var chain = "ethereum"
    @Flag(name: .customLong("in-place"), help: ArgumentHelp(
        "Grow a new store in place, committing as it goes: slower, but a killed run keeps the files it finished.",
        discussion: "By default a store that does not exist yet is built aside (PATH-building) and appears at PATH when the run ends."))
    var inPlace = false
    @Argument(help: "Export files (none: only derive the transfers of blocks an interrupted ingest left pending).")
    var files: [String] = []

    func run() throws {
        try withExitCodes {
            var run = try EthIngestRun(options: options, format: "eth-etl", chain: chain, files: files, buildAside: !inPlace)
            defer { run.summary() }
            let chunk = max(1, options.batchRows)
            // Stores the rows of one read, committing every `chunk` rows.
            func store(_ writer: EthWriter, _ read: ((EthRowBatch) throws -> Void) throws -> Void) throws {
                var uncommitted = 0
                try read { rows in
                    try writer.add(rows)
                    uncommitted += rows.count
                    if uncommitted >= chunk {
                        try writer.commit()
                        uncommitted = 0
                    }
                }
            }
            func one(_ writer: EthWriter, _ path: String) throws {
                try store(writer) { try EthETLReader.readRows(path: path, columns: EthWriter.fieldsRead, chunkSize: min(chunk, 4096), $0) }
            }
            // A transactions export and a receipts export are read together, k-th with k-th, so that a transaction
            // and its receipt are written once.
            let kinds = files.map { EthETLReader.pairableKind(path: $0) }
            let transactions = files.indices.filter { kinds[$0] == .transaction }, receipts = files.indices.filter { kinds[$0] == .receipt }
            var partner: [Int: Int] = [:]
            for (t, r) in zip(transactions, receipts) { partner[t] = r; partner[r] = t }
            try run.run { run in
                var done: Set<Int> = []
                for (i, path) in files.enumerated() where !done.contains(i) {
                    if let j = partner[i] {
                        let (t, r) = kinds[i] == .transaction ? (i, j) : (j, i)
                        try run.files(files[t], files[r], both: { writer in
                            try store(writer) {
                                try EthETLReader.readRows(transactions: files[t], receipts: files[r], columns: EthWriter.fieldsRead,
                                                          chunkSize: min(chunk, 4096), $0)
                            }
                        }, one: one)
                        done.formUnion([i, j])
                    } else {
                        try run.file(path) { try one($0, path) }
                    }
                }
            }
        }
    }
}

/// `flowtrace ingest token-list`: token metadata (symbol, name, decimals) from token lists.
struct IngestTokenList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token-list",
        abstract: "Ingest token metadata (symbol, name, decimals) from token lists (tokenlists.org JSON schema).",
        discussion: """
            Only the entries of the chain's EIP-155 id are taken (--chain-id, or the id of --chain: ethereum 1, \
            optimism 10, bsc 56, gnosis 100, polygon 137, base 8453, arbitrum 42161, avalanche 43114). ethereum-etl \
            `tokens` exports carry the same metadata and are read by `ingest eth-etl`. Decimals decide how token \
            amounts are shown; a source that contradicts decimals already stored for a token is an error.
            """)

    @OptionGroup var options: IngestOptions
    @Option(help: "Chain name.") var chain = "ethereum"
    @Option(name: .customLong("chain-id"), help: "EIP-155 chain id of the entries to take (default: the id of --chain).")
    var chainID: Int64?
    @Argument(help: "Token list files.") var files: [String]

    func run() throws {
        try withExitCodes {
            guard let id = chainID ?? TokenListReader.chainIDs[chain] else {
                throw CLIFailure(message: "no known chain id for '\(chain)': give --chain-id", exitCode: 64)
            }
            var run = try EthIngestRun(options: options, format: "token-list", chain: chain, files: files)
            defer { run.summary() }
            let note = run.progress.note
            try run.run { run in for path in files {
                try run.file(path) { writer in
                    let json: JSONValue
                    do { json = try JSONFile.read(path: path) } catch let e as IngestError { throw e.at(path: path) }
                    let (records, others) = try TokenListReader.records(from: json, chainID: id, path: path)
                    if others > 0 { note("\(path): \(others) entries for other chains skipped") }
                    try writer.add(records)
                }
            } }
        }
    }
}

/// `flowtrace ingest etherscan`: Etherscan API replies and web CSV exports.
struct IngestEtherscan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "etherscan",
        abstract: "Ingest Etherscan API replies (txlist, txlistinternal, tokentx, tokennfttx) and its web CSV exports.",
        discussion: """
            API txlist items are transactions with their outcome and merge with node and ETL data of the same \
            blocks. Internal and token transfers (and CSV transactions, which lack their position in the block) are \
            explorer movements: they count for a transaction only while the store has no traces, Transfer logs or \
            transaction record of it — node and ETL data win, nothing is counted twice. CSV exports give decimal ETH \
            and token units (display precision), converted exactly with the asset's decimals; a token whose decimals \
            are unknown is refused until a token list, tokens export or tokentx reply states them. Both CSV header \
            generations are read ("Txhash" and "Transaction Hash").
            """)

    @OptionGroup var options: IngestOptions
    @Option(help: "Chain name (Etherscan clones: arbitrum, bsc, …).") var chain = "ethereum"
    @Option(help: "The token of a token contract page CSV export (its rows do not name it).") var token: String?
    @Argument(help: "API reply (.json) or CSV export files (none: only derive pending blocks).") var files: [String] = []

    func run() throws {
        try withExitCodes {
            var run = try EthIngestRun(options: options, format: "etherscan", chain: chain, files: files)
            defer { run.summary() }
            let token = self.token
            try run.run { run in for path in files {
                try run.file(path) { writer in
                    try writer.add(try EtherscanReader.read(path: path, token: token))
                }
            } }
        }
    }
}
