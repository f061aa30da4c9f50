import FlowCore
import FlowIngest
import Foundation
import Testing
import TestSupport

@Suite("JSON formats")
struct JSONTests {
    @Test func numbersKeepTheirExactText() throws {
        let v = try JSONParser.parse(Array(#"{"value": 50.00000000, "big": 123456789012345678901234567890, "s": "a\"\u00e9"}"#.utf8))
        #expect(v["value"] == .number("50.00000000"))
        #expect(v["big"]?.numberText == "123456789012345678901234567890")
        #expect(v["s"]?.stringValue == "a\"é")
    }

    @Test func badJSONNamesLineAndOffset() {
        let text = "{\n  \"a\": 1,\n  \"b\": tru\n}"
        let error = #expect(throws: IngestError.self) { try JSONParser.parse(Array(text.utf8)) }
        #expect(error?.code == .badJSON)
        #expect(error?.line == 3)
        #expect(error?.byteOffset != nil)
    }

    @Test func getblockVerbosity2MatchesTheSameBlockFromTheBlkFile() throws {
        let path = Paths.shared("btc/bitcoin-core-rpc/block_1/rpc_response_getblock_00000000839a8e6886ab5951d76f411475428afc90947ee320161bbf18eb6048_2.json")
        let records = try BitcoinRPCDecoder(network: .mainnet).records(from: JSONFile.read(path: path))
        guard case .block(let fromRPC) = try #require(records.first) else { Issue.record("not a block"); return }
        var reader = try BlockFileReader(path: Paths.shared("btc/blk-files/blocks-0-438.blk"))
        _ = try reader.nextBlock()
        let fromBlk = try #require(try reader.nextBlock()).block
        #expect(fromRPC.hash == fromBlk.hash)
        #expect(fromRPC.header == fromBlk.header)
        #expect(fromRPC.height == 1)
        #expect(fromRPC.size == fromBlk.size)
        #expect(fromRPC.weight == fromBlk.weight)
        #expect(fromRPC.transactions == fromBlk.transactions)
    }

    @Test func theMockedReplyWhoseHashDoesNotMatchItsHeaderIsRejected() throws {
        let path = Paths.shared("btc/bitcoin-core-rpc/stream_50001_50002/rpc_response_getblock_00000000000000000024fb37364cbf81fd49cc2d51c09c75c35433c3a1945d04_None.json")
        let error = #expect(throws: IngestError.self) {
            _ = try BitcoinRPCDecoder(network: .mainnet).records(from: JSONFile.read(path: path))
        }
        #expect(error?.code == .inconsistent)
    }

    @Test func rpcAmountsConvertExactlyAndEnvelopesUnwrap() throws {
        let reply = #"{"result": "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f", "error": null, "id": 1}"#
        let records = try BitcoinRPCDecoder(network: .mainnet).records(from: JSONParser.parse(Array(reply.utf8)))
        guard case .nothing = try #require(records.first) else { Issue.record("a getblockhash reply holds no block"); return }
        let failure = #"{"result": null, "error": {"code": -5, "message": "Block not found"}, "id": 1}"#
        let error = #expect(throws: IngestError.self) {
            _ = try BitcoinRPCDecoder(network: .mainnet).records(from: JSONParser.parse(Array(failure.utf8)))
        }
        #expect(error?.code == .rpcFailure)
        #expect(error?.message.contains("Block not found") == true)
    }

    @Test func wrongNetworkIsCaughtByTheStatedAddresses() throws {
        let path = Paths.shared("btc/bitcoin-core-rpc/block_1/rpc_response_getblock_00000000839a8e6886ab5951d76f411475428afc90947ee320161bbf18eb6048_2.json")
        let error = #expect(throws: IngestError.self) {
            _ = try BitcoinRPCDecoder(network: .testnet).records(from: JSONFile.read(path: path))
        }
        #expect(error?.message.contains("wrong --network") == true)
    }

    @Test func bitcoinETLTransactionsDecodeWithEnrichedInputs() throws {
        var txs: [BitcoinTransaction] = []
        let decoder = BitcoinETLDecoder(network: .mainnet)
        try JSONFile.forEachLine(path: Paths.shared("btc/bitcoin-core-rpc/stream_50001_50002/expected_transactions.json")) { v, line in
            if case .transactions(let t, _, let ref) = try decoder.record(from: v, at: "line \(line)") {
                txs += t
                #expect(ref?.height == 50001 || ref?.height == 50002)
            }
        }
        #expect(txs.count == 4)
        let spender = try #require(txs.first { $0.txid.displayHex.hasPrefix("7940cdde") })
        #expect(spender.inputs.map { $0.prevout?.valueSats } == [5_000_000_000, 5_000_000_000])
        #expect(spender.statedFeeSats == 0)
    }

    @Test func esploraFixtureDecodes() throws {
        let records = try EsploraDecoder(network: .mainnet).records(from: JSONFile.read(path: Paths.fixture("btc/esplora/block-170-txs.json")))
        #expect(records.count == 2)
        guard case .transactions(let txs, _, let ref) = records[1] else { Issue.record("not transactions"); return }
        #expect(ref?.height == 170)
        #expect(txs[0].inputs[0].prevout?.valueSats == 5_000_000_000)
        #expect(txs[0].outputs.map(\.valueSats) == [1_000_000_000, 4_000_000_000])
    }

    @Test func jsonLinesErrorsNameTheLine() throws {
        try withTemporaryDirectory { dir in
            let f = dir.appendingPathComponent("transactions.json")
            try "{\"a\": 1}\n\n{\"b\": \n".write(to: f, atomically: true, encoding: .utf8)
            let error = #expect(throws: IngestError.self) { try JSONFile.forEachLine(path: f.path) { _, _ in } }
            #expect(error?.line == 3)
            #expect(error?.path == f.path)
        }
    }

    @Test func httpRepliesParseSizedChunkedAndClosed() throws {
        func parse(_ text: String, complete: Bool) throws -> HTTPClient.Reply { try HTTPClient.parseResponse(Array(text.utf8), complete: complete) }
        let sized = try parse("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}", complete: false)
        #expect(sized.status == 200 && String(decoding: sized.body, as: UTF8.self) == "{\"a\":1}")
        let chunked = try parse("HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n", complete: false)
        #expect(chunked.status == 500 && String(decoding: chunked.body, as: UTF8.self) == "{\"a\":1}")
        let continued = try parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno", complete: false)
        #expect(continued.status == 404 && continued.body == Array("no".utf8))
        // Without a length the reply ends when the server closes.
        #expect(throws: HTTPClient.ConnectionError.self) { try parse("HTTP/1.0 200 OK\r\n\r\n[1]", complete: false) }
        #expect(try parse("HTTP/1.0 200 OK\r\n\r\n[1]", complete: true).body == Array("[1]".utf8))
        // Truncated or foreign replies are errors, never partial bodies.
        #expect(throws: HTTPClient.ConnectionError.self) { try parse("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n[1]", complete: true) }
        #expect(throws: HTTPClient.ConnectionError.self) { try parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n[1]", complete: true) }
        #expect(throws: HTTPClient.ConnectionError.self) { try parse("SSH-2.0-OpenSSH\r\n\r\n", complete: true) }
        #expect(throws: HTTPClient.ConnectionError.self) { try parse("", complete: true) }
    }
}
