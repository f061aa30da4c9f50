import ArgumentParser
import FlowCore
import FlowIngest
import FlowStore
import Foundation

/// `flowtrace ingest btc-node`: live ingest from a Bitcoin Core-compatible JSON-RPC node.
struct IngestBtcNode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "btc-node",
        abstract: "Ingest blocks live from a Bitcoin Core-compatible JSON-RPC node.",
        discussion: """
            Blocks are fetched as raw bytes (getblock HASH 0) in batches and parsed like blk files, so txids, \
            hashes and merkle roots are recomputed locally. The network comes from getblockchaininfo. Without \
            --from, ingest resumes after the highest height stored for that chain; without --to it runs to the tip.
            """)

    @OptionGroup var options: IngestOptions

    @Option(name: .customLong("rpc-url"), help: "Node's JSON-RPC endpoint.")
    var rpcURL: String = "http://127.0.0.1:8332"
    @Option(name: .customLong("rpc-user")) var rpcUser: String?
    @Option(name: .customLong("rpc-password")) var rpcPassword: String?
    @Option(name: .customLong("rpc-cookie"), help: "Bitcoin Core's .cookie file (instead of user and password).")
    var rpcCookie: String?
    @Option(help: "First height to ingest (default: after the highest stored height).") var from: Int?
    @Option(help: "Last height to ingest (default: the node's tip).") var to: Int?
    @Option(help: "Blocks per batched RPC request.") var batch: Int = 16
    @Option(name: .customLong("rpc-retries"), help: "Retries (with exponential backoff) when the node is unreachable or warming up.")
    var rpcRetries: Int = 6

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        if let from, let to, to < from { throw ValidationError("--to \(to) is below --from \(from)") }
    }

    func run() throws {
        try withExitCodes {
            guard let url = URL(string: rpcURL), url.scheme == "http" || url.scheme == "https" else {
                throw CLIFailure(message: "--rpc-url '\(rpcURL)' is not an http(s) URL", exitCode: 64)
            }
            let client = try JSONRPCClient(url: url, user: rpcUser, password: rpcPassword, cookieFile: rpcCookie)
            client.retries = max(0, rpcRetries)
            let info = try client.call("getblockchaininfo")
            guard let chainName = info["chain"]?.stringValue, let network = BitcoinNetwork(coreChainName: chainName) else {
                throw IngestError(.unexpectedShape, "getblockchaininfo names no known chain", path: client.displayURL)
            }
            let chain = Chain.bitcoin(network)
            var driver = try IngestDriver(options: options, format: "btc-node")
            defer { driver.finish() }
            let tip = Int(try client.call("getblockcount").int64Value ?? 0)
            let stored = try driver.store.db.scalarInt("SELECT max(height) FROM blocks WHERE chain = ?1 AND is_complete = 1",
                                                       [.text(chain.identifier)])
            let first = from ?? stored.map { Int($0) + 1 } ?? 0
            let last = min(to ?? tip, tip)
            guard first <= last else {
                driver.progress.note("\(client.displayURL): nothing to ingest (store at \(stored.map(String.init) ?? "none"), node tip \(tip))")
                return
            }
            let parser = RawBlockParser(network: network)
            let source = SourceDescription(path: "\(client.displayURL) heights \(first)-\(last)", sha256: nil, format: "btc-node",
                                           chain: chain, bytes: nil)
            let progress = driver.progress
            let quietProgress = options.noProgress
            try driver.ingest(source) { writer in
                var height = first
                while height <= last {
                    let heights = Array(height...min(height + batch - 1, last))
                    let hashes = try client.batch(heights.map { ("getblockhash", [.number(String($0))]) })
                    let blocks = try client.batch(hashes.map { ("getblock", [$0, .number("0")]) })
                    for (h, hex) in zip(heights, blocks) {
                        guard let text = hex.stringValue, let bytes = Hex.decode(text) else {
                            throw IngestError(.unexpectedShape, "getblock at height \(h) did not return hex", path: client.displayURL)
                        }
                        var block: BitcoinBlock
                        do {
                            block = try bytes.withUnsafeBytes { try parser.parseBlock($0) }
                        } catch var e as IngestError {
                            e.block = "height \(h)"
                            throw e.at(path: client.displayURL)
                        }
                        guard block.hash.displayHex == hashes[h - height].stringValue else {
                            throw IngestError(.inconsistent, "block at height \(h) hashes to \(block.hash), the node named another",
                                              path: client.displayURL, block: "height \(h)")
                        }
                        block.height = h
                        try writer.add(block: block)
                    }
                    if !quietProgress { progress.update("\(client.displayURL): height \(heights.last ?? height) of \(last)") }
                    height += batch
                }
            }
        }
    }
}
