import ArgumentParser
import FlowCore
import FlowIngest
import FlowStore
import Foundation

extension BitcoinWriter {
    /// Stores one decoded record; returns a note when the record carried no block data.
    func add(record: BitcoinRecord) throws -> String? {
        switch record {
        case .block(let b): try add(block: b)
        case .transactions(let txs, let indexes, let ref): try add(transactions: txs, indexes: indexes, in: ref)
        case .headerOnly(let ref): try add(transactions: [], indexes: [], in: ref)
        case .nothing(let what): return what
        }
        return nil
    }
}

/// Options of the JSON formats, whose files do not name their network.
struct NetworkOption: ParsableArguments {
    @Option(help: "Bitcoin network the data belongs to: mainnet, testnet, testnet4, signet, regtest.")
    var network: BitcoinNetwork = .mainnet
}

/// `flowtrace ingest btc-rpc-json`
struct IngestBtcRPCJSON: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "btc-rpc-json",
        abstract: "Ingest recorded Bitcoin Core JSON-RPC replies (getblock 2/3, getrawtransaction).",
        discussion: """
            Replies may be bare or in a JSON-RPC envelope ({"result": …}), one per file or a batch (array). \
            Header hashes and merkle roots are recomputed and must match; BTC amounts are converted exactly.
            """)
    @OptionGroup var options: IngestOptions
    @OptionGroup var net: NetworkOption
    @Argument(help: "Reply files (.json).") var files: [String]

    func run() throws {
        let decoder = BitcoinRPCDecoder(network: net.network)
        try ingestJSONDocuments(files, format: "btc-rpc-json", options: options, network: net.network) { try decoder.records(from: $0) }
    }
}

/// `flowtrace ingest btc-etl`
struct IngestBtcETL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "btc-etl",
        abstract: "Ingest blockchain-etl bitcoin-etl exports (transactions.json, blocks.json; JSON Lines).")
    @OptionGroup var options: IngestOptions
    @OptionGroup var net: NetworkOption
    @Argument(help: "JSON Lines files.") var files: [String]

    func run() throws {
        try withExitCodes {
            var driver = try IngestDriver(options: options, format: "btc-etl")
            defer { driver.finish() }
            let decoder = BitcoinETLDecoder(network: net.network)
            for path in files {
                try driver.ingestFile(path, chain: .bitcoin(net.network)) { writer in
                    try JSONFile.forEachLine(path: path) { value, line in
                        do {
                            _ = try writer.add(record: try decoder.record(from: value, at: "record"))
                        } catch var e as IngestError {
                            e.line = e.line ?? line
                            throw e.at(path: path)
                        }
                    }
                }
            }
        }
    }
}

/// `flowtrace ingest esplora-json`
struct IngestEsplora: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "esplora-json",
        abstract: "Ingest Esplora REST replies (/tx/:txid, /address/:address/txs, /block/:hash/txs).")
    @OptionGroup var options: IngestOptions
    @OptionGroup var net: NetworkOption
    @Argument(help: "Reply files (.json).") var files: [String]

    func run() throws {
        let decoder = EsploraDecoder(network: net.network)
        try ingestJSONDocuments(files, format: "esplora-json", options: options, network: net.network) { try decoder.records(from: $0) }
    }
}

/// Ingests files that each hold one JSON document of Bitcoin records (node replies, explorer replies).
func ingestJSONDocuments(_ files: [String], format: String, options: IngestOptions, network: BitcoinNetwork,
                         decode: (JSONValue) throws -> [BitcoinRecord]) throws {
    try withExitCodes {
        var driver = try IngestDriver(options: options, format: format)
        defer { driver.finish() }
        for path in files {
            let progress = driver.progress
            try driver.ingestFile(path, chain: .bitcoin(network)) { writer in
                let records: [BitcoinRecord]
                do { records = try decode(try JSONFile.read(path: path)) } catch let e as IngestError { throw e.at(path: path) }
                for r in records {
                    if let what = try writer.add(record: r) { progress.note("\(path): holds \(what); no block data to store") }
                }
            }
        }
    }
}
