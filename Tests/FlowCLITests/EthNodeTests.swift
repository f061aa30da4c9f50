import FlowCore
import FlowIngest
import FlowStore
import Foundation
import Testing
import TestSupport

/// `flowtrace ingest eth-node` against a replay server on 127.0.0.1 that answers with ethereum-etl's recorded
/// node replies.
@Suite("Ethereum node ingest", .serialized)
struct EthNodeTests {
    static let data = Paths.shared("eth/ethereum-etl")
    static let stream = "\(data)/test_stream/blocks_1755634_1755635"
    static let twoBlocks = "\(data)/test_export_blocks_job/blocks_with_transactions"

    /// Everything the Ethereum ingest stores, as comparable text (no source ids: two ingest paths of the same
    /// replies must agree on this, not on their ingest logs).
    static func dump(_ db: String) throws -> [String] {
        let store = try Store(path: db, readOnly: true)
        func rows(_ table: String, _ sql: String) throws -> [String] {
            let s = try store.db.prepare(sql)
            let columns = s.columnCount
            return try s.rows { r in table + ":" + (0..<columns).map { r.isNull($0) ? "null" : r.text($0) }.joined(separator: "|") }
        }
        var out: [String] = []
        out += try rows("block", "SELECT chain, number, hash, time, miner, has_transactions FROM eth_blocks")
        out += try rows("tx", """
            SELECT chain, hash, block, tx_index, from_address, to_address, value, gas, gas_price, has_receipt, status, gas_used,
                effective_gas_price, contract_address FROM eth_transactions
            """)
        out += try rows("trace", "SELECT * FROM eth_traces")
        out += try rows("token", "SELECT * FROM eth_token_transfers")
        out += try rows("withdrawal", "SELECT * FROM eth_withdrawals")
        out += try rows("transfer", """
            SELECT t.chain, t.kind, t.tx, t.log_index, f.address, r.address, t.amount, t.time, t.block, s.symbol FROM transfers t
            JOIN addresses f ON f.id = t.from_id JOIN addresses r ON r.id = t.to_id JOIN assets s ON s.id = t.asset_id
            """)
        return out.sorted()
    }

    static func replies(in folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.hasPrefix("web3_response.") && !$0.contains("_latest_") }.sorted().map { "\(folder)/\($0)" }
    }

    @Test func replayFileNamesFollowEthereumETL() {
        #expect(ReplayServer.fileName(method: "eth_getBlockByNumber", params: [.string("0x1ac9f2"), .bool(true)])
                == "web3_response.eth_getBlockByNumber_0x1ac9f2_true.json")
        #expect(ReplayServer.fileName(method: "debug_traceBlockByNumber", params: [.string("0xf7105"), .object(["tracer": .string("callTracer")])])
                == "web3_response.debug_traceBlockByNumber_0xf7105_tracer_calltracer.json")
        #expect(ReplayServer.fileName(method: "eth_chainId", params: []) == "web3_response.eth_chainId_.json")
        // Every reply file of the test data is found under the name its own call gives.
        #expect(FileManager.default.fileExists(atPath: "\(Self.stream)/web3_response.eth_getTransactionReceipt_0x2e3dcd051a91d3a694f6b8de2ac4b5fe7acdba55f58bcf8471ff00d4a430074d.json"))
    }

    /// Blocks and their receipts (the node lacks eth_getBlockReceipts, so they come per transaction) give the
    /// store that ingesting the same replies from files gives.
    @Test func nodeIngestEqualsRecordedRepliesIngest() throws {
        let server = try ReplayServer(folders: [Self.stream])
        defer { server.stop() }
        try withTemporaryDirectory { dir in
            let live = dir.appendingPathComponent("live.sqlite").path, files = dir.appendingPathComponent("files.sqlite").path
            let run = runCLI(["ingest", "eth-node", "--rpc-url", server.url, "--from", "1755634", "--to", "1755635", "--batch", "1", "--db", live])
            #expect(run.exitCode == 0, "\(run.stderr)")
            #expect(run.stderr.contains("fetching receipts per transaction"))
            #expect(server.requestedFiles.contains("web3_response.eth_getTransactionReceipt_0x9a5437ec71b74ecf5930b406908ac6999966d38a86d1534b7190ece7599095eb.json"))
            let recorded = runCLI(["ingest", "eth-rpc-json"] + (try Self.replies(in: Self.stream)) + ["--db", files])
            #expect(recorded.exitCode == 0, "\(recorded.stderr)")
            let dump = try Self.dump(live)
            #expect(dump == (try Self.dump(files)))
            #expect(dump.filter { $0.hasPrefix("block:") }.count == 2)
            #expect(dump.filter { $0.hasPrefix("tx:") }.count == 2)
            #expect(try Store(path: live, readOnly: true).db.scalarInt("SELECT count(*) FROM eth_transactions WHERE has_receipt = 1") == 2)
            #expect(dump.contains { $0.hasPrefix("transfer:ethereum|native|") })
            #expect(try EthWriter.liveProgress(store: Store(path: live, readOnly: true), chain: "ethereum") == 1755635)

            // Nothing left to do: the next run without --from starts after the stored mark.
            let before = server.requestedFiles.count
            let again = runCLI(["ingest", "eth-node", "--rpc-url", server.url, "--to", "1755635", "--db", live])
            #expect(again.exitCode == 0, "\(again.stderr)")
            #expect(again.stderr.contains("nothing to ingest"))
            #expect(server.requestedFiles.count == before)
            #expect(try Self.dump(live) == dump)
        }
    }

    /// Parity traces with header-only blocks (what ethereum-etl's stream recorded for blocks 508110 and 2112234).
    @Test(arguments: [("blocks_508110_508110", 508110), ("blocks_2112234_2112234", 2112234)])
    func nodeTracesEqualRecordedTraces(folder: String, block: Int) throws {
        let path = "\(Self.data)/test_stream/\(folder)"
        let server = try ReplayServer(folders: [path])
        defer { server.stop() }
        try withTemporaryDirectory { dir in
            let live = dir.appendingPathComponent("live.sqlite").path, files = dir.appendingPathComponent("files.sqlite").path
            let run = runCLI(["ingest", "eth-node", "--rpc-url", server.url, "--from", "\(block)", "--to", "\(block)", "--no-transactions",
                              "--receipts", "none", "--traces", "parity", "--db", live])
            #expect(run.exitCode == 0, "\(run.stderr)")
            let replies = try Self.replies(in: path).filter { $0.contains("trace_block") || $0.contains("eth_getBlockByNumber") }
            #expect(replies.count == 2)
            #expect(runCLI(["ingest", "eth-rpc-json"] + replies + ["--db", files]).exitCode == 0)
            let dump = try Self.dump(live)
            #expect(dump == (try Self.dump(files)))
            #expect(dump.filter { $0.hasPrefix("trace:") }.count > 1)
            #expect(dump.contains { $0.hasPrefix("transfer:ethereum|reward|") })
        }
    }

    @Test func nodeAnsweringBusyIsRetriedWithBackoff() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("s.sqlite").path
            let flaky = try ReplayServer(folders: [Self.twoBlocks], failFirst: 2)
            defer { flaky.stop() }
            let run = runCLI(["ingest", "eth-node", "--rpc-url", flaky.url, "--from", "47218", "--to", "47219", "--receipts", "none",
                              "--rpc-retries", "3", "--db", db])
            #expect(run.exitCode == 0, "\(run.stderr)")
            #expect(try Store(path: db, readOnly: true).db.scalarInt("SELECT count(*) FROM eth_blocks") == 2)

            let down = try ReplayServer(folders: [Self.twoBlocks], failFirst: 100)
            defer { down.stop() }
            let other = dir.appendingPathComponent("t.sqlite").path
            let failed = runCLI(["ingest", "eth-node", "--rpc-url", down.url, "--from", "47218", "--to", "47219", "--receipts", "none",
                                 "--rpc-retries", "1", "--db", other])
            #expect(failed.exitCode == 69, "\(failed.stderr)")
            #expect(failed.stderr.contains("unreachable after 1 retries"))
            #expect(failed.stderr.contains(down.url.dropLast()))
        }
    }

    /// A reply with an `error` member, a damaged reply, a reply with a wrong type, or a block the node does not
    /// have: exit 65 with the call named, and nothing of that batch stored.
    @Test func badRepliesFailLocatedAndStoreNothingOfTheirBatch() throws {
        let block47219 = try String(contentsOfFile: "\(Self.twoBlocks)/web3_response.eth_getBlockByNumber_0xb873_true.json", encoding: .utf8)
        let cases: [(name: String, content: String, message: String)] = [
            ("error", #"{"jsonrpc":"2.0","id":0,"error":{"code":-32000,"message":"header not found"}}"#, "header not found"),
            ("truncated", String(block47219.prefix(500)), "not JSON"),
            ("wrong type", block47219.replacingOccurrences(of: #""timestamp": "#, with: #""timestamp": true, "x": "#), "timestamp"),
            ("missing block", #"{"jsonrpc":"2.0","id":0,"result":null}"#, "has no block 47219"),
        ]
        for c in cases {
            try withTemporaryDirectory { dir in
                let folder = dir.appendingPathComponent("replies").path
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: "\(Self.twoBlocks)/web3_response.eth_getBlockByNumber_0xb872_true.json",
                                                 toPath: "\(folder)/web3_response.eth_getBlockByNumber_0xb872_true.json")
                try c.content.write(toFile: "\(folder)/web3_response.eth_getBlockByNumber_0xb873_true.json", atomically: true, encoding: .utf8)
                let server = try ReplayServer(folders: [folder])
                defer { server.stop() }
                let db = dir.appendingPathComponent("s.sqlite").path
                let run = runCLI(["ingest", "eth-node", "--rpc-url", server.url, "--from", "47218", "--to", "47219", "--batch", "1",
                                  "--receipts", "none", "--db", db])
                #expect(run.exitCode == 65, "\(c.name): \(run.stderr)")
                #expect(run.stderr.contains(c.message), "\(c.name): \(run.stderr)")
                #expect(run.stderr.contains("47219"), "\(c.name): \(run.stderr)")
                // The first batch (block 47218) is kept, the bad one left nothing behind.
                let store = try Store(path: db, readOnly: true)
                #expect(try store.db.scalarInt("SELECT group_concat(number) FROM eth_blocks") == 47218, "\(c.name)")
                #expect(try store.db.scalarInt("SELECT count(*) FROM eth_transactions WHERE block = 47219") == 0, "\(c.name)")
                #expect(try EthWriter.liveProgress(store: store, chain: "ethereum") == 47218, "\(c.name)")
            }
        }
    }
}

/// An `eth-node` run killed while it waits for the node, then resumed: the same store as one uninterrupted run.
@Suite("Ethereum node ingest, killed", .serialized)
struct EthNodeKillTests {
    @Test func killedNodeIngestResumesWithoutDuplicates() throws {
        try withTemporaryDirectory { dir in
            let whole = dir.appendingPathComponent("whole.sqlite").path, killed = dir.appendingPathComponent("killed.sqlite").path
            let reference = try ReplayServer(folders: [EthNodeTests.twoBlocks])
            defer { reference.stop() }
            let full = runCLI(["ingest", "eth-node", "--rpc-url", reference.url, "--from", "47218", "--to", "47219", "--receipts", "none", "--db", whole])
            #expect(full.exitCode == 0, "\(full.stderr)")

            let server = try ReplayServer(folders: [EthNodeTests.twoBlocks], hangOn: "web3_response.eth_getBlockByNumber_0xb873_true.json")
            defer { server.stop() }
            let p = Process()
            p.executableURL = builtBinary
            p.arguments = ["ingest", "eth-node", "--rpc-url", server.url, "--from", "47218", "--to", "47219", "--batch", "1",
                           "--receipts", "none", "--db", killed, "--quiet"]
            p.standardError = FileHandle.nullDevice
            try p.run()
            #expect(server.hung.wait(timeout: .now() + 60) == .success, "the ingest never asked for block 47219")
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            #expect(p.terminationReason == .uncaughtSignal)

            let partial = try Store(path: killed)
            #expect(try partial.db.scalarInt("SELECT group_concat(number) FROM eth_blocks") == 47218)
            #expect(try EthWriter.liveProgress(store: partial, chain: "ethereum") == 47218)

            let asked = server.requestedFiles.count
            let resumed = runCLI(["ingest", "eth-node", "--rpc-url", server.url, "--to", "47219", "--receipts", "none", "--db", killed])
            #expect(resumed.exitCode == 0, "\(resumed.stderr)")
            #expect(Array(server.requestedFiles.dropFirst(asked)) == ["web3_response.eth_getBlockByNumber_0xb873_true.json"])
            let dump = try EthNodeTests.dump(killed)
            #expect(dump == (try EthNodeTests.dump(whole)))
            #expect(dump.filter { $0.hasPrefix("tx:") }.count > 0)
        }
    }
}
