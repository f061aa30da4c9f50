import Foundation
import Testing
import TestSupport

/// One golden file per ingest format: the JSON the CLI prints for a transaction ingested from that format.
@Suite("Golden outputs per ingest format")
struct GoldenTests {
    private func ingestAndShow(_ format: String, _ files: [String], txid: String, extra: [String] = []) throws -> String {
        withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("g.sqlite").path
            let ingest = runCLI(["ingest", format] + files + ["--db", db, "--quiet"] + extra)
            #expect(ingest.exitCode == 0, "\(ingest.stderr)")
            return runCLI(["tx", txid, "--db", db, "--json"]).stdout
        }
    }

    @Test func btcRaw() throws {
        expectGolden(try ingestAndShow("btc-raw", [Paths.fixture("btc/blk/blocks-0-438.blk")],
                                       txid: "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"),
                     named: "btc-raw-tx-f4184fc5.json")
    }

    @Test func btcRPCJSON() throws {
        expectGolden(try ingestAndShow("btc-rpc-json", [Paths.shared("btc/bitcoin-core-rpc/block_with_transactions/rpc_response_getblock_000000001c920d495e1eeef2452b6d1c6c229a919b28196c103ecffebabee141_2.json")],
                                       txid: "7940cdde4d713e171849efc6bd89939185be270266c94e92369e3877ad89455a"),
                     named: "btc-rpc-json-tx-7940cdde.json")
    }

    @Test func btcETL() throws {
        expectGolden(try ingestAndShow("btc-etl", [Paths.shared("btc/bitcoin-core-rpc/stream_50001_50002/expected_transactions.json")],
                                       txid: "7940cdde4d713e171849efc6bd89939185be270266c94e92369e3877ad89455a"),
                     named: "btc-etl-tx-7940cdde.json")
    }

    @Test func esploraJSON() throws {
        expectGolden(try ingestAndShow("esplora-json", [Paths.fixture("btc/esplora/block-170-txs.json")],
                                       txid: "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"),
                     named: "esplora-json-tx-f4184fc5.json")
    }
}
