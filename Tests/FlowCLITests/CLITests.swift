import FlowCore
import FlowStore
import Foundation
import Testing
import TestSupport

@Suite("flowtrace CLI")
struct CLITests {
    private let demoBlk = Paths.fixture("btc/blk/blocks-0-438.blk")

    @Test func ingestThenQueryStatsTxAndAddressAsJSON() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("s.sqlite").path
            let ingest = runCLI(["ingest", "btc-raw", demoBlk, "--db", db])
            #expect(ingest.exitCode == 0, "\(ingest.stderr)")
            #expect(ingest.stdout.isEmpty, "results only on stdout; ingest has none")
            #expect(ingest.stderr.contains("ingested 439 blocks"))
            #expect(ingest.stderr.contains("rows/s"))

            let stats = try jsonObject(runCLI(["stats", "--db", db, "--json"]).stdout)
            #expect(stats["blocks"] as? Int == 439)
            #expect(stats["transactions"] as? Int == 446)
            #expect(stats["unresolvedInputs"] as? Int == 0)
            #expect(stats["minHeight"] as? Int == 0)
            #expect(stats["maxHeight"] as? Int == 438)
            #expect(stats["schemaVersion"] as? Int == 1)
            for key in ["outputs", "inputs", "addresses"] { #expect(stats[key] is Int, "\(key)") }

            let txRun = runCLI(["tx", "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16", "--db", db, "--json"])
            let tx = try jsonObject(txRun.stdout)
            #expect(tx["blockHeight"] as? Int == 170)
            #expect(tx["fee"] as? String == "0")
            #expect(tx["time"] as? String == "2009-01-12T03:30:25Z")
            let outputs = try #require(tx["outputs"] as? [[String: Any]])
            #expect(outputs[0]["address"] as? String == "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3")
            #expect(outputs[0]["value"] as? String == "1000000000")
            #expect(outputs[0]["scriptType"] as? String == "p2pk")
            #expect(outputs[1]["spentBy"] != nil, "Satoshi's change was spent in block 181")
            let inputs = try #require(tx["inputs"] as? [[String: Any]])
            #expect(inputs[0]["prevTxid"] as? String == "0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9")
            #expect(inputs[0]["value"] as? String == "5000000000")
            // Sorted keys: the JSON text is deterministic.
            #expect(txRun.stdout == runCLI(["tx", "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16", "--db", db, "--json"]).stdout)

            let addr = try jsonObject(runCLI(["address", "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S", "--db", db, "--json"]).stdout)
            // Satoshi's block-9 coinbase key: 50 BTC mined, then a chain of spends (10 BTC to Hal in block 170, …),
            // each sending its change back to the same key: 50 + 40 + 30 + 29 + 28 + 18 received.
            #expect(addr["received"] as? String == "19500000000")
            #expect(addr["sent"] as? String == "17700000000")
            #expect(addr["balance"] as? String == "1800000000")
            #expect(addr["txCount"] as? Int == 6)
            let history = try #require(addr["transactions"] as? [[String: Any]])
            #expect(history.map { $0["net"] as? String } == ["5000000000", "-1000000000", "-1000000000", "-100000000", "-100000000", "-1000000000"])
            #expect(history.compactMap { Int64($0["net"] as? String ?? "") }.reduce(0, +) == 1_800_000_000)
            #expect(addr["firstSeen"] as? String == "2009-01-09T03:54:39Z")

            let text = runCLI(["address", "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3", "--db", db])
            #expect(text.stdout.contains("10.00000000 BTC"))
        }
    }

    @Test func reingestIsANoOp() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("s.sqlite").path
            #expect(runCLI(["ingest", "btc-raw", demoBlk, "--db", db, "--quiet"]).exitCode == 0)
            let before = try jsonObject(runCLI(["stats", "--db", db, "--json"]).stdout)
            let again = runCLI(["ingest", "btc-raw", demoBlk, "--db", db])
            #expect(again.exitCode == 0)
            #expect(again.stderr.contains("already ingested"))
            let after = try jsonObject(runCLI(["stats", "--db", db, "--json"]).stdout)
            #expect(NSDictionary(dictionary: before) == NSDictionary(dictionary: after))
        }
    }

    @Test func badInputGetsLocatedErrorsAndSysexitsCodes() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("s.sqlite").path
            let missing = runCLI(["ingest", "btc-raw", "/nonexistent.blk", "--db", db])
            #expect(missing.exitCode == 66)
            #expect(missing.stderr.contains("/nonexistent.blk"))

            let junk = dir.appendingPathComponent("junk.json")
            try "{\"tx\": [".write(to: junk, atomically: true, encoding: .utf8)
            let bad = runCLI(["ingest", "btc-rpc-json", junk.path, "--db", db])
            #expect(bad.exitCode == 65)
            #expect(bad.stderr.contains("junk.json") && bad.stderr.contains("line 1"))

            let key = dir.appendingPathComponent("xor.dat")
            try Data([1, 2, 3, 4]).write(to: key)
            let badKey = runCLI(["ingest", "btc-raw", demoBlk, "--xor-key", key.path, "--db", db])
            #expect(badKey.exitCode == 65)
            #expect(badKey.stderr.contains("8 bytes"))

            let unknownFormat = runCLI(["ingest", "btc-foo", demoBlk, "--db", db])
            #expect(unknownFormat.exitCode == 64)

            #expect(runCLI(["stats", "--db", dir.appendingPathComponent("none.sqlite").path]).exitCode == 66)
            #expect(runCLI(["tx", "nothex", "--db", db]).exitCode == 65)
            #expect(runCLI(["tx", String(repeating: "ab", count: 32), "--db", db]).exitCode == 1)
        }
    }

    @Test func aCorruptBlockMidFileKeepsExactlyTheBlocksBeforeIt() throws {
        try withTemporaryDirectory { dir in
            var blocks = try StoreBuilder.rawBlocks(ofBlkFile: demoBlk)
            blocks[300] = Array(blocks[300].prefix(150))
            let url = dir.appendingPathComponent("blk00000.dat")
            try StoreBuilder.writeBlkFile(blocks, to: url)
            let db = dir.appendingPathComponent("s.sqlite").path
            let run = runCLI(["ingest", "btc-raw", url.path, "--db", db])
            #expect(run.exitCode == 65)
            #expect(run.stderr.contains("blk00000.dat") && run.stderr.contains("byte offset") && run.stderr.contains("block #300"),
                    "\(run.stderr)")
            let stats = try jsonObject(runCLI(["stats", "--db", db, "--json"]).stdout)
            #expect(stats["blocks"] as? Int == 300)
            #expect(stats["maxHeight"] as? Int == 299)
        }
    }

    @Test func ingestFormatsFromTheCLI() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("s.sqlite").path
            let etl = runCLI(["ingest", "btc-etl", Paths.shared("btc/bitcoin-core-rpc/stream_50001_50002/expected_transactions.json"),
                              Paths.shared("btc/bitcoin-core-rpc/stream_50001_50002/expected_blocks.json"), "--db", db])
            #expect(etl.exitCode == 0, "\(etl.stderr)")
            let rpc = runCLI(["ingest", "btc-rpc-json",
                              Paths.shared("btc/bitcoin-core-rpc/block_with_transactions/rpc_response_getblock_000000001c920d495e1eeef2452b6d1c6c229a919b28196c103ecffebabee141_2.json"),
                              Paths.shared("btc/bitcoin-core-rpc/stream_50001_50002/rpc_response_getrawtransaction_0d37522b89f991f8433b80f709ad31862a54435cd003f25732fe405e9db93216.json"),
                              Paths.shared("btc/bitcoin-core-rpc/block_0/rpc_response_getblockhash_0.json"), "--db", db])
            #expect(rpc.exitCode == 0, "\(rpc.stderr)")
            #expect(rpc.stderr.contains("getblockhash reply"))
            let esplora = runCLI(["ingest", "esplora-json", Paths.fixture("btc/esplora/block-170-txs.json"), "--db", db])
            #expect(esplora.exitCode == 0, "\(esplora.stderr)")
            let stats = try jsonObject(runCLI(["stats", "--db", db, "--json"]).stdout)
            #expect(stats["transactions"] as? Int == 7)
            #expect(stats["maxHeight"] as? Int == 50002)
            #expect(stats["transactionsWithUnknownFee"] as? Int == 0)
        }
    }
}

/// Tests that run the built binary: pipes, exit codes, and an ingest killed part-way.
@Suite("flowtrace binary", .serialized)
struct BinaryTests {
    private func spawn(_ args: [String], environment: [String: String] = [:]) throws -> (Process, Pipe, Pipe) {
        let p = Process()
        p.executableURL = builtBinary
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        return (p, out, err)
    }

    @Test func binaryWritesResultsToStdoutAndErrorsToStderr() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("s.sqlite").path
            let (p, out, err) = try spawn(["ingest", "btc-raw", Paths.fixture("btc/blk/blocks-0-438.blk"), "--db", db])
            let stdout = out.fileHandleForReading.readDataToEndOfFile()
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
            #expect(stdout.isEmpty)
            #expect(stderr.contains("ingested 439 blocks"))

            let (q, qout, qerr) = try spawn(["ingest", "btc-raw", "/nonexistent.blk", "--db", db])
            _ = qout.fileHandleForReading.readDataToEndOfFile()
            let qstderr = String(decoding: qerr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            q.waitUntilExit()
            #expect(q.terminationStatus == 66)
            #expect(qstderr.contains("error: /nonexistent.blk"))
        }
    }

    /// An ingest killed with SIGKILL between commits, then re-run, ends with the same store as an uninterrupted run.
    @Test func killedIngestResumesToTheSameStore() throws {
        try withTemporaryDirectory { dir in
            let files = [Paths.shared("btc/blk-files/blocks-0-438.blk")] + Paths.rawBlockFiles
            let reference = dir.appendingPathComponent("reference.sqlite").path
            let (r, rout, rerr) = try spawn(["ingest", "btc-raw"] + files + ["--db", reference, "--quiet"])
            _ = rout.fileHandleForReading.readDataToEndOfFile(); _ = rerr.fileHandleForReading.readDataToEndOfFile()
            r.waitUntilExit()
            #expect(r.terminationStatus == 0)

            let killed = dir.appendingPathComponent("killed.sqlite").path
            // Small batches and a pause after each commit, so the kill lands part-way through.
            let (k, kout, kerr) = try spawn(["ingest", "btc-raw"] + files + ["--db", killed, "--batch-rows", "500"],
                                            environment: ["FLOWTRACE_TEST_PAUSE_AFTER_COMMIT_MS": "50"])
            _ = kout
            // Wait for the first progress line about committed rows, then for a few more commits.
            let handle = kerr.fileHandleForReading
            var seen = ""
            while !seen.contains("rows committed") {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                seen += String(decoding: chunk, as: UTF8.self)
            }
            Thread.sleep(forTimeInterval: 0.3)
            kill(k.processIdentifier, SIGKILL)
            k.waitUntilExit()
            #expect(k.terminationReason == .uncaughtSignal)

            let partial = try Store(path: killed).stats()
            let full = try Store(path: reference).stats()
            #expect(partial.blocks > 0 && partial.blocks < full.blocks, "killed part-way: \(partial.blocks) of \(full.blocks) blocks")

            let (again, aout, aerr) = try spawn(["ingest", "btc-raw"] + files + ["--db", killed, "--quiet"])
            _ = aout.fileHandleForReading.readDataToEndOfFile(); _ = aerr.fileHandleForReading.readDataToEndOfFile()
            again.waitUntilExit()
            #expect(again.terminationStatus == 0)
            #expect(try StoreBuilder.dump(Store(path: killed)) == StoreBuilder.dump(Store(path: reference)))
        }
    }

    /// An `eth-etl` run building a new store aside, killed (SIGKILL) just before placing it: no store at the path,
    /// only the build file; the next run removes that file and builds the same store as a run never killed.
    @Test func aKilledBuildLeavesNoStoreAndTheNextRunBuildsIt() throws {
        try withTemporaryDirectory { dir in
            let files = StoreBuildTests.files
            let reference = dir.appendingPathComponent("reference.sqlite").path, db = dir.appendingPathComponent("s.sqlite").path
            #expect(runCLI(["ingest", "eth-etl"] + files + ["--db", reference, "--in-place"]).exitCode == 0)
            let (k, kout, kerr) = try spawn(["ingest", "eth-etl"] + files + ["--db", db],
                                            environment: ["FLOWTRACE_TEST_KILL_BEFORE_PLACING_BUILD": "1"])
            _ = kout.fileHandleForReading.readDataToEndOfFile(); _ = kerr.fileHandleForReading.readDataToEndOfFile()
            k.waitUntilExit()
            #expect(k.terminationReason == .uncaughtSignal && k.terminationStatus == SIGKILL)
            #expect(!FileManager.default.fileExists(atPath: db))
            #expect(FileManager.default.fileExists(atPath: db + "-building"))
            let (again, aout, aerr) = try spawn(["ingest", "eth-etl"] + files + ["--db", db, "--quiet"])
            _ = aout.fileHandleForReading.readDataToEndOfFile()
            let errors = String(decoding: aerr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            again.waitUntilExit()
            #expect(again.terminationStatus == 0, "\(errors)")
            #expect(!FileManager.default.fileExists(atPath: db + "-building"))
            #expect(try StoreBuildTests.dump(db) == StoreBuildTests.dump(reference))
        }
    }
}

@Suite("flowtrace CLI, more inputs")
struct MoreInputTests {
    @Test func aFileOfAnotherFormatIsRejectedWithExit65() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("s.sqlite").path
            let json = Paths.shared("btc/bitcoin-core-rpc/block_1/expected_blocks.json")
            let run = runCLI(["ingest", "btc-raw", json, "--db", db])
            #expect(run.exitCode == 65)
            #expect(run.stderr.contains("expected_blocks.json"))
            let text = dir.appendingPathComponent("notes.txt")
            try "hello".write(to: text, atomically: true, encoding: .utf8)
            let tiny = runCLI(["ingest", "btc-raw", text.path, "--db", db])
            #expect(tiny.exitCode == 65)
            #expect(tiny.stderr.contains("bad-magic"))
            #expect(try jsonObject(runCLI(["stats", "--db", db, "--json"]).stdout)["blocks"] as? Int == 0)
        }
    }

    @Test func unknownValuesAreExplicitNulls() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("s.sqlite").path
            let reply = Paths.shared("btc/bitcoin-core-rpc/block_with_transactions/rpc_response_getblock_000000001c920d495e1eeef2452b6d1c6c229a919b28196c103ecffebabee141_2.json")
            #expect(runCLI(["ingest", "btc-rpc-json", reply, "--db", db, "--quiet"]).exitCode == 0)
            let tx = try jsonObject(runCLI(["tx", "7940cdde4d713e171849efc6bd89939185be270266c94e92369e3877ad89455a", "--db", db, "--json"]).stdout)
            // The spent outputs are not in the store and getblock 2 states no input values: the fee is unknown.
            #expect(tx["fee"] is NSNull)
            #expect(tx["inputValue"] is NSNull)
            let input = try #require((tx["inputs"] as? [[String: Any]])?.first)
            #expect(input["value"] is NSNull && input["address"] is NSNull)
            #expect(input["resolved"] as? Bool == false)
            let output = try #require((tx["outputs"] as? [[String: Any]])?.first)
            #expect(output["spentBy"] is NSNull)
            let stats = try jsonObject(runCLI(["stats", "--db", db, "--json"]).stdout)
            #expect(stats["unresolvedInputs"] as? Int == 3)
            #expect(stats["transactionsWithUnknownFee"] as? Int == 2)
        }
    }

    @Test func heightHintForAnIsolatedPreBIP34Block() throws {
        try withTemporaryDirectory { dir in
            let db = dir.appendingPathComponent("s.sqlite").path
            let file = Paths.shared("btc/raw-blocks/block-169482.raw")
            #expect(runCLI(["ingest", "btc-raw", file, "--db", db, "--quiet"]).exitCode == 0)
            #expect(try jsonObject(runCLI(["stats", "--db", db, "--json"]).stdout)["blocksWithoutHeight"] as? Int == 1)

            let db2 = dir.appendingPathComponent("s2.sqlite").path
            #expect(runCLI(["ingest", "btc-raw", file, "--height", "169482", "--db", db2, "--quiet"]).exitCode == 0)
            let stats = try jsonObject(runCLI(["stats", "--db", db2, "--json"]).stdout)
            #expect(stats["maxHeight"] as? Int == 169_482)
            // A hint that contradicts the coinbase's BIP 34 height is refused.
            let wrong = runCLI(["ingest", "btc-raw", Paths.shared("btc/raw-blocks/block-363703.raw"), "--height", "5", "--db", db2])
            #expect(wrong.exitCode == 65)
            #expect(wrong.stderr.contains("BIP 34"))
            #expect(runCLI(["ingest", "btc-raw", Paths.fixture("btc/blk/blocks-0-438.blk"), "--height", "5", "--db", db2]).exitCode == 64)
        }
    }

    /// `getblock <hash> 3` adds each input's prevout: built here from the real block-170 data by adding the fields
    /// Bitcoin Core 28 writes, so the fee is known without the spent transaction.
    @Test func getblockVerbosity3PrevoutsGiveTheFee() throws {
        try withTemporaryDirectory { dir in
            let esplora = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Paths.fixture("btc/esplora/block-170-txs.json")))) as! [[String: Any]]
            let spend = esplora[1]
            let vin = (spend["vin"] as! [[String: Any]])[0]
            let prevout = vin["prevout"] as! [String: Any]
            let voutJSON = (spend["vout"] as! [[String: Any]]).enumerated().map { n, o in
                """
                {"value": \(String(format: "%d.%08d", (o["value"] as! Int) / 100_000_000, (o["value"] as! Int) % 100_000_000)), "n": \(n), "scriptPubKey": {"hex": "\(o["scriptpubkey"] as! String)", "type": "pubkey"}}
                """
            }.joined(separator: ",")
            let reply = """
                {"result": {"txid": "\(spend["txid"] as! String)", "hash": "\(spend["txid"] as! String)", "version": 1, "size": \(spend["size"] as! Int),
                 "vsize": \(spend["size"] as! Int), "weight": \(spend["weight"] as! Int), "locktime": 0, "fee": 0.00000000,
                 "vin": [{"txid": "\(vin["txid"] as! String)", "vout": 0, "scriptSig": {"asm": "", "hex": "\(vin["scriptsig"] as! String)"},
                          "prevout": {"generated": true, "height": 9, "value": 50.00000000,
                                      "scriptPubKey": {"hex": "\(prevout["scriptpubkey"] as! String)", "type": "pubkey"}},
                          "sequence": 4294967295}],
                 "vout": [\(voutJSON)], "blockhash": "00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee", "blocktime": 1231731025},
                 "error": null, "id": 3}
                """
            let file = dir.appendingPathComponent("getrawtransaction-v3.json")
            try reply.write(to: file, atomically: true, encoding: .utf8)
            let db = dir.appendingPathComponent("s.sqlite").path
            let run = runCLI(["ingest", "btc-rpc-json", file.path, "--db", db])
            #expect(run.exitCode == 0, "\(run.stderr)")
            let tx = try jsonObject(runCLI(["tx", spend["txid"] as! String, "--db", db, "--json"]).stdout)
            #expect(tx["fee"] as? String == "0")
            let inputs = try #require(tx["inputs"] as? [[String: Any]])
            #expect(inputs[0]["value"] as? String == "5000000000")
            #expect(inputs[0]["address"] as? String == "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S")
            #expect(inputs[0]["resolved"] as? Bool == false)
        }
    }
}
