import ArgumentParser
import FlowCore
import FlowIngest
import FlowStore
import Foundation

/// `flowtrace ingest eth-node`: live ingest from an Ethereum JSON-RPC endpoint.
struct IngestEthNode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eth-node",
        abstract: "Ingest blocks live from an Ethereum JSON-RPC endpoint (blocks, receipts, traces).",
        discussion: """
            Per batch of blocks: eth_getBlockByNumber (with full transactions unless --no-transactions), the \
            receipts (eth_getBlockReceipts; with --receipts auto, falling back to eth_getTransactionReceipt per \
            transaction when the node lacks it), and with --traces parity|geth the block's trace_block or \
            debug_traceBlockByNumber callTracer reply. The replies are decoded exactly as `eth-rpc-json` decodes \
            recorded ones, and each batch is stored in one transaction together with the mark of the last block \
            stored: a run that is stopped or killed loses at most the batch in flight, and a run without --from \
            resumes after the mark. Without --to, it runs to the node's latest block. Calls that fail to connect, \
            time out, or get HTTP 429/5xx are retried with exponential backoff.
            """)

    enum Receipts: String, ExpressibleByArgument, CaseIterable { case auto, block, transaction, none }
    enum Traces: String, ExpressibleByArgument, CaseIterable { case none, parity, geth }

    @OptionGroup var options: IngestOptions
    @Option(help: "Chain name.") var chain = "ethereum"
    @Option(name: .customLong("rpc-url"), help: "The node's JSON-RPC endpoint (http or https; credentials in the URL are sent as basic auth).")
    var rpcURL = "http://127.0.0.1:8545"
    @Option(help: "First block to ingest (default: after the last block a previous eth-node run stored).") var from: Int64?
    @Option(help: "Last block to ingest (default: the node's latest block).") var to: Int64?
    @Option(help: "Blocks per batch: one batched request per kind of call, one store transaction.") var batch = 10
    @Option(help: "How to fetch receipts (their status decides whether native ETH moved; their logs hold token transfers).")
    var receipts: Receipts = .auto
    @Option(help: "Trace replies to fetch for internal transfers: none, parity (trace_block) or geth (debug_traceBlockByNumber callTracer).")
    var traces: Traces = .none
    @Flag(inversion: .prefixedNo, help: "Fetch blocks with their full transactions (--no-transactions: headers only, e.g. with --traces).")
    var transactions = true
    @Option(name: .customLong("rpc-retries"), help: "Retries, with exponential backoff, of a call that could not get an answer.")
    var rpcRetries = 6

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        if let from, from < 0 { throw ValidationError("--from must not be negative") }
        if let from, let to, to < from { throw ValidationError("--to \(to) is below --from \(from)") }
        guard rpcRetries >= 0 else { throw ValidationError("--rpc-retries must not be negative") }
    }

    func run() throws {
        try withExitCodes {
            guard let url = URL(string: rpcURL), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw CLIFailure(message: "--rpc-url '\(rpcURL)' is not an http(s) URL", exitCode: 64)
            }
            let client = try JSONRPCClient(url: url)
            client.version = "2.0"
            client.retries = rpcRetries
            var run = try EthIngestRun(options: options, format: "eth-node", chain: chain, deferDerivation: false)
            defer { run.summary() }
            let node = client.displayURL

            let stored = try EthWriter.liveProgress(store: run.store, chain: chain)
            guard let first = from ?? stored.map({ $0 + 1 }) else {
                throw CLIFailure(message: "no earlier eth-node run stored blocks of chain '\(chain)' in this store: give --from", exitCode: 64)
            }
            let last: Int64
            if let to {
                last = to
            } else {
                let latest = try client.call("eth_getBlockByNumber", [.string("latest"), .bool(false)])
                guard let text = latest["number"]?.stringValue, let n = UInt256(hexQuantity: text)?.int128.flatMap({ Int64(exactly: $0) }) else {
                    throw IngestError(.unexpectedShape, "eth_getBlockByNumber(latest) gave no block number", path: node)
                }
                last = n
            }
            guard first <= last else {
                run.progress.note("\(node): nothing to ingest (stored through \(stored.map(String.init) ?? "none"), node at \(last))")
                return
            }
            let source = SourceDescription(path: "\(node) blocks \(first)-\(last)", sha256: nil, format: "eth-node",
                                           chain: .named(chain), bytes: nil)
            var fetcher = Fetcher(client: client, node: node, receipts: receipts, traces: traces, transactions: transactions,
                                  note: run.progress.note)
            let progress = run.progress, showProgress = !options.noProgress
            try run.run { run in try run.ingest(source) { writer in
                var start = first
                while start <= last {
                    let end = min(start + Int64(batch) - 1, last)
                    let records = try fetcher.records(of: Array(start...end))
                    try writer.add(records)
                    try writer.noteLiveProgress(through: end)
                    try writer.commit()
                    if showProgress { progress.update("\(node): block \(end) of \(last)") }
                    start = end + 1
                }
            } }
        }
    }

    /// Fetches and decodes the replies for a batch of blocks.
    struct Fetcher {
        let client: JSONRPCClient
        let node: String
        var receipts: Receipts
        let traces: Traces
        let transactions: Bool
        let note: (String) -> Void
        /// Transaction hashes per receipt request (each is one call of a batched request).
        let receiptChunk = 200

        /// A node's answer that it does not have a method: -32601 in JSON-RPC 2.0, though some providers phrase it
        /// with another code.
        static func isMissingMethod(_ e: IngestError) -> Bool {
            guard let code = e.rpcCode else { return false }
            let text = e.message.lowercased()
            return code == -32601 || ["method not found", "does not exist", "not supported", "unsupported method"].contains { text.contains($0) }
        }

        static func hex(_ n: Int64) -> String { "0x" + String(n, radix: 16) }

        /// Where a reply came from, for located errors.
        func origin(_ method: String, _ n: Int64) -> String { "\(node) \(method)(\(Fetcher.hex(n)))" }

        /// One batched request; a failure names the blocks it was for.
        func batch(_ numbers: [Int64], _ calls: [(String, [JSONValue])]) throws -> [JSONValue] {
            do {
                return try client.batch(calls)
            } catch var e as IngestError {
                if e.block == nil, let first = numbers.first, let last = numbers.last { e.block = first == last ? "\(first)" : "\(first)-\(last)" }
                throw e
            }
        }

        mutating func records(of numbers: [Int64]) throws -> [EthRecord] {
            var out: [EthRecord] = []
            let blocks = try batch(numbers, numbers.map { ("eth_getBlockByNumber", [.string(Fetcher.hex($0)), .bool(transactions)]) })
            var hashes: [(block: Int64, hash: String)] = []
            for (n, reply) in zip(numbers, blocks) {
                let at = origin("eth_getBlockByNumber", n)
                guard !reply.isNull else { throw IngestError(.rpcFailure, "the node has no block \(n)", path: at) }
                let decoded = try EthRPCDecoder(path: at).decode(reply)
                guard let block = decoded.first(where: { $0.kind == .block }), block.int("number") == n else {
                    throw IngestError(.inconsistent, "asked for block \(n), the reply is another block", path: at)
                }
                out += decoded
                for (i, t) in (reply["transactions"]?.arrayValue ?? []).enumerated() {
                    guard let h = t.stringValue ?? t["hash"]?.stringValue else {
                        throw IngestError(.unexpectedShape, "result.transactions[\(i)] has no hash", path: at)
                    }
                    hashes.append((n, h.lowercased()))
                }
            }
            out += try receiptRecords(numbers, hashes)
            switch traces {
            case .none: break
            case .parity:
                let replies = try batch(numbers, numbers.map { ("trace_block", [.string(Fetcher.hex($0))]) })
                for (n, reply) in zip(numbers, replies) { out += try EthRPCDecoder(path: origin("trace_block", n)).decode(reply) }
            case .geth:
                let options = JSONValue.object(["tracer": .string("callTracer")])
                let replies = try batch(numbers, numbers.map { ("debug_traceBlockByNumber", [.string(Fetcher.hex($0)), options]) })
                for (n, reply) in zip(numbers, replies) {
                    out += try EthRPCDecoder(path: origin("debug_traceBlockByNumber", n), gethBlockNumber: n).decode(reply)
                }
            }
            return out
        }

        private mutating func receiptRecords(_ numbers: [Int64], _ hashes: [(block: Int64, hash: String)]) throws -> [EthRecord] {
            switch receipts {
            case .none:
                return []
            case .auto, .block:
                do {
                    let replies = try batch(numbers, numbers.map { ("eth_getBlockReceipts", [.string(Fetcher.hex($0))]) })
                    var out: [EthRecord] = []
                    for (n, reply) in zip(numbers, replies) {
                        let at = origin("eth_getBlockReceipts", n)
                        guard !reply.isNull else { throw IngestError(.rpcFailure, "the node has no receipts for block \(n)", path: at) }
                        out += try EthRPCDecoder(path: at).decode(reply)
                    }
                    if receipts == .auto { receipts = .block }
                    return out
                } catch let e as IngestError where receipts == .auto && Fetcher.isMissingMethod(e) {
                    note("\(node) has no eth_getBlockReceipts (\(e.message)); fetching receipts per transaction")
                    receipts = .transaction
                    return try receiptRecords(numbers, hashes)
                }
            case .transaction:
                var out: [EthRecord] = []
                var start = 0
                while start < hashes.count {
                    let chunk = hashes[start..<min(start + receiptChunk, hashes.count)]
                    let replies = try batch(numbers, chunk.map { ("eth_getTransactionReceipt", [.string($0.hash)]) })
                    for (t, reply) in zip(chunk, replies) {
                        let at = "\(node) eth_getTransactionReceipt(\(t.hash))"
                        guard !reply.isNull else { throw IngestError(.rpcFailure, "the node has no receipt for \(t.hash)", path: at) }
                        let records = try EthRPCDecoder(path: at).decode(reply)
                        if let r = records.first(where: { $0.kind == .receipt }), let b = r.int("block_number"), b != t.block {
                            throw IngestError(.inconsistent, "the receipt is for block \(b), the transaction is in block \(t.block)", path: at)
                        }
                        out += records
                    }
                    start += receiptChunk
                }
                return out
            }
        }
    }
}
